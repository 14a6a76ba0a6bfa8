import { describe, expect, it } from "vitest";
import { installConsoleCsp, withConsoleCsp, type HeadersReceivedHook, type ResponseHeaders } from "../../src/main/csp.js";
import { CONSOLE_CSP } from "../../src/shared/console-csp.js";

const ORIGIN = "http://127.0.0.1:8787";

describe("console CSP", () => {
  it("is exactly the strict policy", () => {
    expect(CONSOLE_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
  });

  it("is added to console responses, keeping the other headers", () => {
    const headers = withConsoleCsp(`${ORIGIN}/assets/app.js`, { "Content-Type": ["text/javascript"] }, ORIGIN);
    expect(headers).toEqual({ "Content-Type": ["text/javascript"], "Content-Security-Policy": [CONSOLE_CSP] });
  });

  it("is enforced alongside a policy the server already sent (never replacing it)", () => {
    const original: ResponseHeaders = { "content-security-policy": ["default-src 'none'"] };
    const headers = withConsoleCsp(`${ORIGIN}/`, original, ORIGIN);
    expect(headers).toEqual({ "content-security-policy": ["default-src 'none'", CONSOLE_CSP] });
    expect(original["content-security-policy"]).toEqual(["default-src 'none'"]);
  });

  it("leaves other origins alone", () => {
    for (const url of ["http://127.0.0.1:9999/", "https://127.0.0.1:8787/", "http://localhost:8787/", "https://example.com/", "not a url"]) {
      expect(withConsoleCsp(url, {}, ORIGIN)).toBeUndefined();
    }
  });

  it("is installed on session.webRequest.onHeadersReceived", () => {
    let listener: Parameters<HeadersReceivedHook["onHeadersReceived"]>[0] | undefined;
    installConsoleCsp({ onHeadersReceived: (l) => (listener = l) }, ORIGIN);
    const answers: unknown[] = [];
    listener!({ url: `${ORIGIN}/`, responseHeaders: {} }, (r) => answers.push(r));
    listener!({ url: "https://example.com/", responseHeaders: { a: ["b"] } }, (r) => answers.push(r));
    expect(answers).toEqual([{ responseHeaders: { "Content-Security-Policy": [CONSOLE_CSP] } }, {}]);
  });
});
