// The app's only script besides the vendored libraries (no inline scripts: CSP).
// Forms with data-confirm ask before submitting: publishing a call cannot be undone.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
