// When the console's streams reconnect: by the answer's code and GatewayError reason, never by the
// wording of a browser's or connect-web's error message.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { GatewayRejection } from "../../src/gateway/stages/stage.js";
import { isTransient, toRejection } from "../../src/renderer/services/rejection.js";

describe("isTransient", () => {
  it.each([
    ["a fetch failure in words no list knows", new TypeError("NetworkError when attempting to fetch resource. (a new wording)")],
    ["a stream cut with an unknown code", new ConnectError("something ended the body early", Code.Unknown)],
    ["an internal error without a gateway reason", new ConnectError("protocol error: promised 10 bytes, got 3", Code.Internal)],
    ["UNAVAILABLE", new ConnectError("gateway_shutting_down", Code.Unavailable)],
  ])("reconnects after %s", (_what, error) => {
    expect(isTransient(toRejection(error))).toBe(true);
  });

  it.each([
    ["a revoked session", new GatewayRejection(Code.FailedPrecondition, "session_revoked", "push", "revoked").toConnectError(0)],
    ["a gateway rejection with a reason", new GatewayRejection(Code.Unauthenticated, "stale_request", "freshness", "stale").toConnectError(0)],
    ["a client mistake without a reason", new ConnectError("bad request", Code.InvalidArgument)],
  ])("does not reconnect after %s", (_what, error) => {
    expect(isTransient(toRejection(error))).toBe(false);
  });
});
