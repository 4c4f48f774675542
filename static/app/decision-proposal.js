// The draft list (decision/proposal.html): count the chosen levels against the quotas of
// article 5 as the Office chooses; re-winners take no place (article 24). The server checks again.
document.addEventListener("DOMContentLoaded", function () {
  var selects = document.querySelectorAll("select.qa-level");
  if (!selects.length) {
    return;
  }
  function recount() {
    var counts = {};
    selects.forEach(function (select) {
      if (select.value && select.dataset.rewinner !== "1") {
        var key = select.dataset.kind + "_" + select.value;
        counts[key] = (counts[key] || 0) + 1;
      }
    });
    document.querySelectorAll("[data-quota]").forEach(function (box) {
      var count = counts[box.dataset.quota] || 0;
      box.querySelector("[data-count]").textContent = count;
      box.classList.toggle("qa-over", count > Number(box.dataset.limit));
    });
  }
  selects.forEach(function (select) {
    select.addEventListener("change", recount);
  });
  recount();
});
