// Fault injection (issue 12, "Faults"), through the gateway on real sockets: the control plane's
// /emulator/v1/faults, every target and shape as a real client sees it, the draws that repeat for a
// seed, `times`, an outage the push stream survives without losing an event, and the journal's marks.
// Latencies are checked as lower bounds only.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/shared/bytes.js";
import { GatewayErrorSchema, type GatewayEvent } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, subscribeEventsRequest, verifyResponse } from "../../src/shared/sdk.js";
import type { JournalEntry } from "../../src/shared/protocol.js";
import type { RunningEmulator } from "../../src/emulator/start.js";
import {
  edgeClient,
  gatewayPublicKey,
  getJson,
  postJson,
  signIn,
  startTestEmulator,
  subscribe,
  type SignedInDevice,
  type TransportName,
} from "../support/emulator.js";

const FAULTS = "/emulator/v1/faults";

let emulator: RunningEmulator;
let url: string;
/** Errors of the push dispatcher, and who waits for the next one. */
const pushErrors: string[] = [];
const pushErrorWaiters = new Set<() => void>();

beforeAll(async () => {
  emulator = await startTestEmulator({
    onPushError: (err) => {
      pushErrors.push(err instanceof Error ? err.message : String(err));
      for (const wake of pushErrorWaiters) wake();
    },
  });
  url = emulator.url;
});
afterAll(() => emulator.close());
afterEach(async () => {
  await fetch(`${url}${FAULTS}`, { method: "DELETE" });
});

async function addFault(fault: unknown): Promise<string> {
  const r = await postJson(`${url}${FAULTS}`, fault);
  if (r.status !== 200) throw new Error(`POST faults: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.id;
}

async function journalEntries(requestId: string): Promise<JournalEntry[]> {
  const { json } = await getJson(`${url}/emulator/v1/journal?after=0`);
  return (json.entries as JournalEntry[]).filter((e) => e.request_id === requestId);
}

function detailOf(err: ConnectError) {
  return err.findDetails(GatewayErrorSchema)[0];
}

/** An ExecuteCommand as a client makes it: the answer, or the ConnectError; with its request_id. */
async function execute(device: SignedInDevice, messageType = "user.profile.get", payload: unknown = {}, transport: TransportName = "connect h2") {
  const req = executeCommandRequest(device, { messageType, payload });
  const requestId = req.envelope!.requestId;
  try {
    return { requestId, response: await edgeClient(url, transport).executeCommand(req), error: undefined };
  } catch (err) {
    return { requestId, response: undefined, error: ConnectError.from(err) };
  }
}

async function push(userId: string, eventType = "game.test.tick"): Promise<string> {
  const r = await postJson(`${url}/emulator/v1/push`, { client_event: { user_id: userId, event_type: eventType, payload: {} } });
  expect(r.status).toBe(200);
  return r.json.event_id;
}

describe("the control plane", () => {
  it("adds a fault (answering its id), lists it with its seed and hits, shows and deletes it by id", async () => {
    const added = await postJson(`${url}${FAULTS}`, { target: "execute", message_type: "game.fleet.dispatch", latency_ms: 10, probability: 0.5, seed: 42 });
    expect(added.status).toBe(200);
    const id = added.json.id as string;
    expect(id).toMatch(/^fault-\d+$/);
    const list = await getJson(`${url}${FAULTS}`);
    expect(list.json.faults).toEqual([
      { id, target: "execute", message_type: "game.fleet.dispatch", latency_ms: 10, probability: 0.5, seed: 42, hits: 0 },
    ]);
    expect((await getJson(`${url}${FAULTS}/${id}`)).json).toMatchObject({ id, seed: 42 });
    expect((await fetch(`${url}${FAULTS}/${id}`, { method: "DELETE" })).status).toBe(200);
    expect((await fetch(`${url}${FAULTS}/${id}`, { method: "DELETE" })).status).toBe(404);
    expect((await getJson(`${url}${FAULTS}/${id}`)).status).toBe(404);
    expect((await getJson(`${url}${FAULTS}`)).json.faults).toEqual([]);
  });

  it("takes an array (answering the ids, a given id kept), and DELETE removes them all", async () => {
    const added = await postJson(`${url}${FAULTS}`, [
      { target: "backend", latency_ms: 5, message_type: "x.y" },
      { id: "slow-streams", target: "subscribe", latency_ms: 5, user_id: "nobody" },
    ]);
    expect(added.status).toBe(200);
    expect(added.json.ids).toHaveLength(2);
    expect(added.json.ids[1]).toBe("slow-streams");
    const cleared = await fetch(`${url}${FAULTS}`, { method: "DELETE" });
    expect(await cleared.json()).toEqual({ removed: 2 });
    expect((await getJson(`${url}${FAULTS}`)).json.faults).toEqual([]);
  });

  it.each([
    ["times 0", { target: "execute", latency_ms: 1, times: 0 }, "$.times: must be an integer from 1 to 1000000000"],
    ["a latency as a string", { target: "backend", latency_ms: "800" }, "$.latency_ms: must be an integer from 0 to 60000"],
    ["a latency over a minute, with the range", { target: "backend", latency_ms: 60_001 }, "$.latency_ms: must be an integer from 0 to 60000"],
  ])("refuses %s with the rule and its range, not a validator's wording", async (_what, body, message) => {
    const r = await postJson(`${url}${FAULTS}`, body);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain(message);
  });

  it.each([
    ["an unknown key", { target: "execute", latency_ms: 1, colour: "red" }, "$.colour"],
    ["another target's field", { target: "execute", latency_ms: 1, status: 503 }, "$.status"],
    ["an unknown target", { target: "everything", latency_ms: 1 }, "$.target"],
    ["a code that is not Connect's", { target: "execute", error: { code: "teapot" } }, "$.error.code"],
    ["a latency over a minute", { target: "backend", latency_ms: 60_001 }, "$.latency_ms"],
    ["a probability over 1", { target: "execute", latency_ms: 1, probability: 1.5 }, "$.probability"],
    ["a fault that does nothing", { target: "execute", message_type: "a.b" }, "$.error"],
    ["an outage with a filter", { target: "backend", outage: true, user_id: "u" }, "$.user_id"],
    ["cut_with without cut_after_events", { target: "subscribe", cut_with: "reset", latency_ms: 1 }, "$.cut_with"],
    ["the second of two, applying neither", [{ target: "execute", latency_ms: 1 }, { target: "execute", error: { code: "unavailable", extra: 1 } }], "$[1].error.extra"],
  ])("refuses %s with 400 naming the JSON path, adding nothing", async (_what, body, path) => {
    const r = await postJson(`${url}${FAULTS}`, body);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
    expect(r.json.error.message).toContain(`${path}:`);
    expect((await getJson(`${url}${FAULTS}`)).json.faults).toEqual([]);
  });

  it("POST /emulator/v1/reset removes every fault", async () => {
    await addFault({ target: "execute", latency_ms: 1, user_id: "nobody" });
    expect((await postJson(`${url}/emulator/v1/reset`, {})).status).toBe(200);
    expect((await getJson(`${url}${FAULTS}`)).json.faults).toEqual([]);
  });

  it(`holds at most 1,000 faults`, async () => {
    const many = Array.from({ length: 1_000 }, () => ({ target: "execute", latency_ms: 1, user_id: "nobody" }));
    expect((await postJson(`${url}${FAULTS}`, many)).status).toBe(200);
    const more = await postJson(`${url}${FAULTS}`, { target: "execute", latency_ms: 1, user_id: "nobody" });
    expect(more.status).toBe(400);
    expect(more.json.error.message).toContain("at most 1000 faults");
  });
});

describe("target execute", () => {
  it("answers a Connect error instead of the call, marked in the journal; other calls pass", async () => {
    const pilot = await signIn(url);
    const id = await addFault({ target: "execute", user_id: pilot.userId, message_type: "game.fleet.dispatch", error: { code: "unavailable", reason: "injected_fault" } });
    const hit = await execute(pilot, "game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 1 });
    expect(hit.error?.code).toBe(Code.Unavailable);
    expect(detailOf(hit.error!)).toMatchObject({ reason: "injected_fault", stage: "fault" });
    const [entry] = await journalEntries(hit.requestId);
    expect(entry).toMatchObject({ code: "unavailable", reason: "injected_fault", injected: id });
    expect(entry!.stages.at(-1)).toMatchObject({ stage: "fault", ok: false, reason: "injected_fault" });

    const other = await execute(pilot, "user.profile.get");
    expect(other.error).toBeUndefined();
    const [otherEntry] = await journalEntries(other.requestId);
    expect(otherEntry!.injected).toBeUndefined();
    expect(otherEntry!.stages.map((s) => s.stage)).not.toContain("fault");
  });

  it("does not hide a bad signature: the signature stage still rejects first", async () => {
    const pilot = await signIn(url);
    await addFault({ target: "execute", user_id: pilot.userId, error: { code: "internal" } });
    const req = executeCommandRequest(pilot, { messageType: "user.profile.get", payload: {} });
    req.signature[0]! ^= 1;
    const err = await edgeClient(url).executeCommand(req).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(detailOf(err!)).toMatchObject({ reason: "invalid_signature", stage: "signature" });
  });

  it("adds latency (at least latency_ms) and then makes the call; the journal shows the fault stage", async () => {
    const pilot = await signIn(url);
    const id = await addFault({ target: "execute", device_session_id: pilot.deviceSessionId, latency_ms: 300 });
    const started = performance.now();
    const result = await execute(pilot);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(result.error).toBeUndefined();
    expect(verifyResponse(result.response!, await gatewayPublicKey(url))).toEqual({ ok: true });
    const [entry] = await journalEntries(result.requestId);
    expect(entry).toMatchObject({ code: "ok", result_code: "ok", injected: id });
    const stage = entry!.stages.find((s) => s.stage === "fault");
    expect(stage?.ok).toBe(true);
    expect(stage!.ms).toBeGreaterThanOrEqual(300);
  });

  it("a latency longer than the call's deadline ends it DEADLINE_EXCEEDED at the fault stage", async () => {
    const pilot = await signIn(url);
    await addFault({ target: "execute", user_id: pilot.userId, latency_ms: 30_000 });
    const err = await edgeClient(url)
      .executeCommand(executeCommandRequest(pilot, { messageType: "user.profile.get", payload: {} }), { timeoutMs: 300 })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(err?.code).toBe(Code.DeadlineExceeded);
  });

  it("with probability and a seed draws the same hit/miss sequence every time", async () => {
    // A new user per run, so the second run's calls do not meet the first run's rate-limit buckets.
    const sequence = async () => {
      const pilot = await signIn(url);
      const id = await addFault({ target: "execute", user_id: pilot.userId, probability: 0.5, seed: 42, error: { code: "aborted" } });
      const hits: boolean[] = [];
      for (let i = 0; i < 16; i++) hits.push((await execute(pilot)).error?.code === Code.Aborted);
      await fetch(`${url}${FAULTS}/${id}`, { method: "DELETE" });
      return hits;
    };
    const first = await sequence();
    expect(first).toContain(true);
    expect(first).toContain(false);
    expect(await sequence()).toEqual(first);
  });

  it("after `times` hits the fault is removed by itself", async () => {
    const pilot = await signIn(url);
    const id = await addFault({ target: "execute", user_id: pilot.userId, times: 2, error: { code: "unavailable" } });
    expect((await execute(pilot)).error?.code).toBe(Code.Unavailable);
    expect((await getJson(`${url}${FAULTS}/${id}`)).json.hits).toBe(1);
    expect((await execute(pilot)).error?.code).toBe(Code.Unavailable);
    expect((await execute(pilot)).error).toBeUndefined();
    expect((await getJson(`${url}${FAULTS}/${id}`)).status).toBe(404);
  });
});

describe("target backend", () => {
  it("status 503 → UNAVAILABLE backend_unavailable at the backend stage, marked in the journal", async () => {
    const pilot = await signIn(url);
    const id = await addFault({ target: "backend", user_id: pilot.userId, message_type: "user.profile.get", status: 503 });
    const result = await execute(pilot);
    expect(result.error?.code).toBe(Code.Unavailable);
    expect(detailOf(result.error!)).toMatchObject({ reason: "backend_unavailable", stage: "backend" });
    const [entry] = await journalEntries(result.requestId);
    expect(entry).toMatchObject({ reason: "backend_unavailable", injected: id });
  });

  it("a 4xx status is a signed business error (result_code injected_fault)", async () => {
    const pilot = await signIn(url);
    await addFault({ target: "backend", user_id: pilot.userId, message_type: "user.profile.get", status: 409 });
    const result = await execute(pilot);
    expect(result.response?.envelope?.resultCode).toBe("injected_fault");
    expect(verifyResponse(result.response!, await gatewayPublicKey(url))).toEqual({ ok: true });
  });

  it("latency delays the backend call by at least latency_ms; the answer is the backend's", async () => {
    const pilot = await signIn(url);
    const id = await addFault({ target: "backend", user_id: pilot.userId, message_type: "user.profile.get", latency_ms: 300 });
    const started = performance.now();
    const result = await execute(pilot);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(result.response?.envelope?.resultCode).toBe("ok");
    expect(JSON.parse(fromUtf8(result.response!.payloadBytes))).toMatchObject({ user_id: pilot.userId });
    const [entry] = await journalEntries(result.requestId);
    expect(entry!.injected).toBe(id);
    expect(entry!.stages.find((s) => s.stage === "backend")!.ms).toBeGreaterThanOrEqual(300);
  });

  it("an outage refuses every call and cuts the push stream; removed, the stream resumes and loses nothing", async () => {
    const pilot = await signIn(url);
    const stream = subscribe(url, pilot);
    await stream.next(); // server_time
    const before = await push(pilot.userId);
    expect((await stream.next()).envelope!.eventId).toBe(before);

    const errorsBefore = pushErrors.length;
    const cut = new Promise<void>((resolve) => {
      const check = () => {
        if (pushErrors.slice(errorsBefore).some((m) => m.includes("injected"))) {
          pushErrorWaiters.delete(check);
          resolve();
        }
      };
      pushErrorWaiters.add(check);
    });
    const id = await addFault({ target: "backend", outage: true });
    await cut; // the dispatcher's stream was cut and its reconnects are refused

    const refused = await execute(pilot);
    expect(refused.error?.code).toBe(Code.Unavailable);
    expect(detailOf(refused.error!)).toMatchObject({ reason: "backend_unavailable" });
    expect((await journalEntries(refused.requestId))[0]!.injected).toBe(id);
    // The emulator's own endpoints (push, mailbox) still reach the mock: an event published now
    // waits in the backend's log for the gateway to come back.
    const during = await push(pilot.userId);

    expect((await fetch(`${url}${FAULTS}/${id}`, { method: "DELETE" })).status).toBe(200);
    const after = await push(pilot.userId);
    const received = [(await stream.next()).envelope!.eventId, (await stream.next()).envelope!.eventId];
    expect(received).toEqual([during, after]);
    expect((await execute(pilot)).error).toBeUndefined();
    stream.cancel();
  });
});

describe("target subscribe", () => {
  it("waits at least latency_ms before the stream opens (server_time); the stream's entry is marked", async () => {
    const pilot = await signIn(url);
    const id = await addFault({ target: "subscribe", user_id: pilot.userId, latency_ms: 300 });
    const req = subscribeEventsRequest(pilot);
    const abort = new AbortController();
    const started = performance.now();
    const stream = edgeClient(url).subscribeEvents(req, { signal: abort.signal })[Symbol.asyncIterator]();
    expect(((await stream.next()).value as GatewayEvent).envelope!.eventType).toBe("gateway.server_time");
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    const [entry] = await journalEntries(req.envelope!.requestId);
    expect(entry).toMatchObject({ code: "ok", injected: id });
    expect(entry!.stages.find((s) => s.stage === "fault")!.ms).toBeGreaterThanOrEqual(300);
    abort.abort();
  });

  it.each(["connect h2", "connect h1", "grpc h2", "grpc-web h1"] as const)(
    "cut_after_events 2, cut_with unavailable: %s gets 2 events, then UNAVAILABLE injected_fault; the journal marks the cut",
    async (transport) => {
      const pilot = await signIn(url);
      const id = await addFault({ target: "subscribe", user_id: pilot.userId, cut_after_events: 2, cut_with: "unavailable" });
      const req = subscribeEventsRequest(pilot);
      const stream = edgeClient(url, transport).subscribeEvents(req)[Symbol.asyncIterator]();
      const next = async () => ((await stream.next()).value as GatewayEvent).envelope!.eventId;
      await next(); // server_time
      const pushed = [await push(pilot.userId), await push(pilot.userId), await push(pilot.userId)];
      expect([await next(), await next()]).toEqual(pushed.slice(0, 2));
      const end = await stream.next().then(
        (r) => new Error(`expected the cut, got ${r.done ? "the end" : "an event"}`),
        (e: unknown) => ConnectError.from(e),
      );
      expect(end).toBeInstanceOf(ConnectError);
      expect((end as ConnectError).code).toBe(Code.Unavailable);
      expect(detailOf(end as ConnectError)).toMatchObject({ reason: "injected_fault", stage: "push" });
      const entries = await journalEntries(req.envelope!.requestId);
      expect(entries.map((e) => [e.code, e.injected])).toEqual([["ok", id], ["unavailable", id]]);
      expect(entries[1]!.stages.at(-1)).toMatchObject({ stage: "push", ok: false, reason: "injected_fault" });
    },
  );

  it.each(["connect h2", "connect h1", "grpc h2"] as const)(
    "cut_after_events 2, cut_with reset: %s gets 2 events, then a broken stream (no GatewayError, no clean end)",
    async (transport) => {
      const pilot = await signIn(url);
      const id = await addFault({ target: "subscribe", user_id: pilot.userId, cut_after_events: 2, cut_with: "reset" });
      const req = subscribeEventsRequest(pilot);
      const stream = edgeClient(url, transport).subscribeEvents(req)[Symbol.asyncIterator]();
      const next = async () => ((await stream.next()).value as GatewayEvent).envelope!.eventId;
      await next();
      // Each event read before the next is pushed: a reset discards what a client has not read yet.
      for (let i = 0; i < 2; i++) {
        const pushed = await push(pilot.userId);
        expect(await next()).toBe(pushed);
      }
      await push(pilot.userId); // the third would be sent: the stream is reset instead
      const end = await stream.next().then(
        (r) => new Error(`expected the reset, got ${r.done ? "a clean end" : "an event"}`),
        (e: unknown) => ConnectError.from(e),
      );
      expect(end).toBeInstanceOf(ConnectError);
      expect(detailOf(end as ConnectError)).toBeUndefined();
      if (transport !== "connect h1") expect((end as ConnectError).message).toContain("INTERNAL_ERROR"); // RST_STREAM's code
      const entries = await journalEntries(req.envelope!.requestId);
      expect(entries.map((e) => [e.code, e.injected])).toEqual([["ok", id], ["internal", id]]);
    },
  );

  it("drops and doubles pushed events (ids kept) in the same pattern for the same seed", async () => {
    const pilot = await signIn(url);
    /** The indexes (in push order) of the events one stream receives before its cut after 12. */
    const pattern = async () => {
      const id = await addFault({ target: "subscribe", user_id: pilot.userId, drop_events: 0.3, duplicate_events: 0.3, seed: 7, cut_after_events: 12 });
      const stream = subscribe(url, pilot);
      await stream.next();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push(await push(pilot.userId));
      const received: number[] = [];
      for (let i = 0; i < 12; i++) received.push(ids.indexOf((await stream.next()).envelope!.eventId));
      expect((await stream.ended()).code).toBe(Code.Unavailable);
      await fetch(`${url}${FAULTS}/${id}`, { method: "DELETE" });
      return received;
    };
    const first = await pattern();
    expect(first).not.toContain(-1);
    const doubled = first.filter((n, i) => i > 0 && first[i - 1] === n);
    const skipped = first.filter((n, i) => n > (i === 0 ? 0 : first[i - 1]! + 1));
    expect(doubled.length).toBeGreaterThan(0); // same id twice in a row: a client can dedupe
    expect(skipped.length).toBeGreaterThan(0); // gaps: dropped events
    expect(await pattern()).toEqual(first);
  });
});

it("two gateways in one process share no faults", async () => {
  const other = await startTestEmulator();
  try {
    const r = await postJson(`${other.url}${FAULTS}`, { target: "execute", error: { code: "unavailable" } });
    expect(r.status).toBe(200);
    expect((await getJson(`${url}${FAULTS}`)).json.faults).toEqual([]);
    expect((await execute(await signIn(url))).error).toBeUndefined();
    const onOther = await edgeClient(other.url)
      .executeCommand(executeCommandRequest(await signIn(other.url), { messageType: "user.profile.get", payload: {} }))
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(onOther?.code).toBe(Code.Unavailable);
  } finally {
    await other.close();
  }
});
