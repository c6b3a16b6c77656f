// OpenPas desk: small enhancements; every page works without them.
// A sale's form is sent once: the buttons are disabled after the first tap (the page's
// Idempotency-Key makes a second one harmless anyway).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.classList || !form.classList.contains("sell")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  document.querySelectorAll("form.sell button").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
});
