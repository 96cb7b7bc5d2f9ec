// The API reference at /docs: Swagger UI (from its WebJar) rendering /openapi.json, under the
// same Content-Security-Policy as the web UI. No validator badge (it would call a third party).
document.addEventListener('securitypolicyviolation', e => {
  const seen = document.body.dataset.cspViolations ? document.body.dataset.cspViolations + ' ' : '';
  document.body.dataset.cspViolations = seen + e.violatedDirective;
});

window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
});
