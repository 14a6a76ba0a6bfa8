// The Content-Security-Policy of the console origin, in one place: the gateway sends it with the web
// console's HTML (src/gateway/http/static-console.ts) and the Electron main process adds it to every
// console response (src/main/csp.ts). The renderer may only run its own bundled scripts, apply its own
// stylesheets and talk to its own origin.
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // No 'unsafe-inline': the renderer styles only through its bundled stylesheet (no style attributes,
  // no <style>); style properties set from script through the CSSOM are not affected.
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join("; ");
