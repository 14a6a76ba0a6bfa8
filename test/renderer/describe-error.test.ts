// The console's one-line error text: the SDK's public REST errors (sign-in, gateway info) and the
// control plane's, each with its code, status and Retry-After in seconds.
import { describe, expect, it } from "vitest";
import { GatewayHttpError } from "../../src/sdk/errors.js";
import { describeError, HttpError } from "../../src/renderer/services/http.js";

describe("describeError", () => {
  it("shows an SDK REST error with its code, status and call, and Retry-After in seconds", () => {
    const error = new GatewayHttpError(429, "rate_limited", "POST /api/v1/public/auth/send-email-code: too many requests", 2_500);
    expect(describeError(error)).toBe("rate_limited (429): POST /api/v1/public/auth/send-email-code: too many requests, retry after 2.5 s");
  });

  it("leaves the status out when no answer came", () => {
    const error = new GatewayHttpError(0, "timeout", "GET /api/v1/public/gateway/info: no answer within 30000 ms");
    expect(describeError(error)).toBe("timeout: GET /api/v1/public/gateway/info: no answer within 30000 ms");
  });

  it("shows a control-plane error as before", () => {
    expect(describeError(new HttpError(403, "forbidden", "a token is required", 3))).toBe("forbidden (403): a token is required, retry after 3 s");
  });

  it("shows any other error by its message", () => {
    expect(describeError(new TypeError("boom"))).toBe("boom");
  });
});
