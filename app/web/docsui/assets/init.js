// Starts Swagger UI on the OpenAPI document named by this script's data-url
// (relative to the page, so the docs work behind a path prefix too). The
// public spec validator is switched off: the page must work with no
// network but this server's.
(function () {
  var url = new URL(document.currentScript.dataset.url, document.baseURI).href;
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: url,
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
    });
  });
})();
