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

  // A failed htmx request says so in the page's status region (htmx swaps nothing on an error answer).
  // The words come from the page (data-htmx-error, data-htmx-offline on <body>), so they are translated.
  function reportFailure(text) {
    var region = document.getElementById("request-status");
    if (!region) {
      return;
    }
    region.textContent = text;
    region.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    reportFailure((document.body.dataset.htmxError || "The request failed") + " (" + status + ")");
  });
  document.addEventListener("htmx:sendError", function () {
    reportFailure(document.body.dataset.htmxOffline || "The server could not be reached");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("request-status");
    if (region) {
      region.hidden = true;
      region.textContent = "";
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
