// Scorecard and consensus pages (no inline scripts: CSP). Keeps the running total of points in
// view while the expert scores, and asks before a button that cannot be undone (submit,
// confirm the consensus).
(function () {
  "use strict";

  function format(value) {
    return String(Math.round(value * 100) / 100);
  }

  function recompute(form) {
    var total = 0;
    form.querySelectorAll("select[data-points]").forEach(function (select) {
      var points = Number(select.getAttribute("data-points"));
      var shown = select.parentElement.querySelector(".qa-score-points");
      if (select.value === "") {
        if (shown) { shown.textContent = "—"; }
        return;
      }
      var value = points * Number(select.value) / 100;
      total += value;
      if (shown) { shown.textContent = format(value); }
    });
    var target = document.getElementById(form.getAttribute("data-total") || "card-total");
    if (target) { target.textContent = format(total); }
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-points]") && select.form) {
      recompute(select.form);
      var item = select.closest(".qa-score-item");
      if (item) { item.classList.toggle("qa-score-empty", select.value === ""); }
    }
  });

  // The autosave (htmx, on change after a delay) must not fire once the page is being submitted:
  // htmx would post it to the submit button's formaction with the revision the submission is
  // about to use, and one of the two would be refused as stale (409).
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[hx-post]")) {
      event.target.setAttribute("data-submitting", "");
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    var form = source && source.closest ? source.closest("form") : null;
    if (form && form.hasAttribute("data-submitting")) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm-button]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm-button"))) {
      event.preventDefault();
    }
  });
})();
