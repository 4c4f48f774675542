// Public pages: a form marked data-once is sent once. The button shows it is busy and a second
// click does nothing (the server also files one objection per form, whatever arrives).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-once") || event.defaultPrevented) {
    return;
  }
  if (form.getAttribute("data-sent") === "1") {
    event.preventDefault();
    return;
  }
  form.setAttribute("data-sent", "1");
  var button = form.querySelector("[data-busy]");
  if (button) {
    button.textContent = button.getAttribute("data-busy");
    button.setAttribute("aria-disabled", "true");
    button.classList.add("disabled");
  }
});
// Leaving the page and coming back (the browser's back button) makes the form usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-once][data-sent]").forEach(function (form) {
    form.removeAttribute("data-sent");
    var button = form.querySelector("[data-busy]");
    if (button) {
      button.classList.remove("disabled");
      button.removeAttribute("aria-disabled");
      button.textContent = button.getAttribute("data-label") || button.textContent;
    }
  });
});
