// The ward board's live update: an EventSource on the alert stream reloads the board's table (htmx) whenever an
// alert is raised or changes. Wired by data- attributes on the board (no inline script: the CSP forbids it).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector("[data-ward-board]");
    if (!board || !window.EventSource) {
      return;
    }
    var source = new EventSource(board.dataset.stream);
    source.addEventListener("alert", function () {
      if (window.htmx) {
        window.htmx.ajax("GET", board.dataset.refresh, { target: board, swap: "innerHTML" });
      }
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
  });
})();
