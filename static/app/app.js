// The app's only script besides the vendored libraries (no inline scripts: CSP).
// Forms with data-confirm ask before submitting: publishing a call cannot be undone.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Buttons with data-print (打印) open the browser's print dialog; the page's print stylesheet
// (static/app/app.css, @media print) leaves out the navigation, buttons and forms.
document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
