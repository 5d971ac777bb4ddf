// Engraft's own page script. The Content-Security-Policy forbids inline scripts and handlers: page
// behaviour goes here (or in another file under /static), wired by data- attributes, never onclick="".
(function () {
  "use strict";

  // htmx requests carry the CSRF token of the page (meta csrf-token) in the X-CSRF-Token header.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  // <button data-confirm="Really delete?"> asks before its form is sent.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = (submitter && submitter.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
