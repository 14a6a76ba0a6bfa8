// The mock backend as a real child process (src/cli/backend.ts via tsx, with --state-dir), killed with
// SIGKILL mid-run and restarted on the same port. While it is gone, calls fail fast with UNAVAILABLE
// backend_unavailable (REST: 503) and do not pile up; afterwards they recover by themselves. The
// gateway's push stream reconnects with backoff and resume_after_event_id: a subscriber that stayed
// connected to the gateway receives every event injected before the kill, while the gateway was cut
// off, and after the restart, exactly once and in order.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/gateway.js";
import { BACKEND_TOKEN_HEADER } from "../../src/node/backend-token.js";
import type { GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest, verifyEvent } from "../../src/shared/sdk.js";
import { edgeClient, gatewayPublicKey, patchConfig, postJson, signIn, TRANSPORT_NAMES } from "../support/emulator.js";
import { startBackendChild, type BackendChild } from "./children.js";
import { connectErrorOf, gatewayFor, reasonOf, REQUEST_DEADLINE_MS } from "./support.js";

const stateDir = mkdtempSync(path.join(os.tmpdir(), "gge-restart-"));
const children: BackendChild[] = [];
let gateway: RunningGateway | undefined;

afterAll(async () => {
  await gateway?.close(0);
  for (const c of children) await c.kill9();
});

async function backend(port: number): Promise<BackendChild> {
  const child = await startBackendChild(port, stateDir);
  children.push(child);
  return child;
}

async function inject(baseUrl: string, userId: string, n: number, tag: string, headers: Record<string, string> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await postJson(`${baseUrl}/emulator/v1/push`, { client_event: { user_id: userId, event_type: "test.restart", payload: { tag, i } } }, headers);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    ids.push(r.json.event_id);
  }
  return ids;
}

describe("mock backend killed (SIGKILL) and restarted on the same port", () => {
  it("calls fail fast and recover; the push stream resumes with zero events lost or duplicated", async () => {
    const first = await backend(0);
    const port = first.port;
    gateway = await gatewayFor(first.url, { backendToken: first.token, limits: { backendTimeoutMs: 2_000 } });
    await patchConfig(gateway.url, { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } });
    const key = await gatewayPublicKey(gateway.url);
    const device = await signIn(gateway.url); // through the gateway's REST and control plane, to the child

    // A subscriber connected to the gateway for the whole test.
    const abort = new AbortController();
    const events = edgeClient(gateway.url, "connect h2")
      .subscribeEvents(subscribeEventsRequest(device), { signal: abort.signal })
      [Symbol.asyncIterator]();
    const next = async (): Promise<GatewayEvent> => {
      const r = await events.next();
      if (r.done) throw new Error("the subscription ended");
      expect(verifyEvent(r.value, key)).toEqual({ ok: true });
      return r.value;
    };
    expect((await next()).envelope?.eventType).toBe("gateway.server_time");

    // Before: events injected through the gateway's control plane; the kill follows the last answer
    // at once, so some of them may not have reached the gateway yet (they are on the backend's disk).
    const before = await inject(gateway.url, device.userId, 25, "before");
    await first.kill9();

    // While it is gone: calls fail fast with UNAVAILABLE backend_unavailable, all of them, on every
    // protocol (connection refused: no waiting out a timeout, no pile-up); REST answers 503.
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        edgeClient(gateway!.url, TRANSPORT_NAMES[i % TRANSPORT_NAMES.length])
          .executeCommand(executeCommandRequest(device, { messageType: "user.profile.get", payload: {} }), {
            signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
          })
          .then(() => undefined, connectErrorOf),
      ),
    );
    for (const err of outcomes) expect({ code: err?.code, reason: err && reasonOf(err) }).toEqual({ code: Code.Unavailable, reason: "backend_unavailable" });
    const rest = await postJson(`${gateway.url}/api/v1/public/auth/send-email-code`, { email: "down@example.com" });
    expect({ status: rest.status, code: rest.json.error.code }).toEqual({ status: 503, code: "backend_unavailable" });

    // While the gateway is cut off: the same backend state serves on another port for a moment,
    // events are appended there (the gateway never streams them live), then that process dies too.
    const elsewhere = await backend(0);
    expect(elsewhere.token).toBe(first.token); // kept in the state folder, so the gateway's still works
    const during = await inject(elsewhere.url, device.userId, 25, "during", { [BACKEND_TOKEN_HEADER]: elsewhere.token });
    await elsewhere.kill9();

    // Restart on the same port. Calls recover by themselves.
    await backend(port);
    const res = await edgeClient(gateway.url).executeCommand(executeCommandRequest(device, { messageType: "user.profile.get", payload: {} }), {
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    expect(res.envelope?.resultCode).toBe("ok");

    // After: more events, through the gateway again.
    const after = await inject(gateway.url, device.userId, 25, "after");

    // The subscriber sees every id exactly once, in order (the ids are consecutive: nothing in between).
    const expected = [...before, ...during, ...after];
    expect(expected.map(Number)).toEqual(expected.map((_, i) => Number(expected[0]) + i));
    const received: string[] = [];
    while (received.length < expected.length) received.push((await next()).envelope!.eventId);
    expect(received).toEqual(expected);
    // And nothing more: the next event is a fresh marker, not a late duplicate.
    const [marker] = await inject(gateway.url, device.userId, 1, "marker");
    expect((await next()).envelope?.eventId).toBe(marker);
    abort.abort();
  }, 60_000);
});
