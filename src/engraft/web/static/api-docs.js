// Starts Swagger UI (served from /static/vendor) on the element #swagger-ui; no inline script (CSP).
(function () {
  "use strict";
  function start() {
    var element = document.getElementById("swagger-ui");
    if (!element || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.SwaggerUIBundle({
      url: element.dataset.openapiUrl,
      domNode: element,
      deepLinking: true,
      validatorUrl: null,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      defaultModelsExpandDepth: 0,
      tryItOutEnabled: false,
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
