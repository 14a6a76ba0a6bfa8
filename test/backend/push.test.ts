// galaxy.backend.v1.Push/SubscribePush over Connect on HTTP/1.1: replay after
// resume_after_event_id, live fan-out, and how streams end.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MockBackend } from "../../src/backend/server.js";
import { PUSH_LOG_CAPACITY, PushLog } from "../../src/backend/push-log.js";
import { pushRoutes } from "../../src/backend/push-service.js";
import { Push, type PushEvent } from "../../src/shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { call, injectEvent, openPush, payloadOf, startTestBackend, TOKEN_HEADERS } from "./helpers.js";

let backend: MockBackend;
let base: string;

beforeAll(async () => {
  backend = await startTestBackend();
  base = backend.url;
});
afterAll(() => backend.close());

const ids = (events: PushEvent[]) => events.map((e) => e.eventId);

describe("SubscribePush over HTTP", () => {
  it("assigns increasing decimal event ids", async () => {
    const a = Number(await injectEvent(base, "u_ids"));
    const b = Number(await injectEvent(base, "u_ids"));
    expect(Number.isInteger(a) && a >= 1).toBe(true);
    expect(b).toBe(a + 1);
  });

  it("replays everything after resume_after_event_id, then streams live events, without loss or duplicates", async () => {
    const logged: string[] = [];
    for (let i = 0; i < 20; i++) logged.push(await injectEvent(base, "u_replay", { i }));
    const resumeAfter = logged[9]!;
    const push = openPush(base, resumeAfter);
    try {
      // Live events are injected while the replay may still be in progress.
      const live: string[] = [];
      for (let i = 20; i < 30; i++) live.push(await injectEvent(base, "u_replay", { i }));
      const lastId = live.at(-1)!;
      const received = await push.readUntil((e) => e.eventId === lastId);
      expect(ids(received)).toEqual([...logged.slice(10), ...live]);
      expect(received.map((e) => payloadOf(e).i)).toEqual(Array.from({ length: 20 }, (_, k) => k + 10));
    } finally {
      push.close();
    }
  });

  it("with an empty resume id streams only events from now", async () => {
    const before = await injectEvent(base, "u_now", { marker: "before" });
    const push = openPush(base, "");
    try {
      // The subscription is registered at some unknown moment: keep injecting markers until one arrives.
      const first = push.next();
      let arrived: PushEvent | undefined;
      while (!arrived) {
        await injectEvent(base, "u_now", { marker: "after" });
        arrived = await Promise.race([first, Promise.resolve(undefined)]);
      }
      expect(Number(arrived.eventId)).toBeGreaterThan(Number(before));
      expect(payloadOf(arrived)).toEqual({ marker: "after" });
    } finally {
      push.close();
    }
  });

  it("delivers every event to each of several concurrent subscribers", async () => {
    const start = await injectEvent(base, "u_fanout", { n: -1 });
    const readers = [openPush(base, start), openPush(base, start), openPush(base, start)];
    try {
      const sent: string[] = [];
      for (let n = 0; n < 5; n++) sent.push(await injectEvent(base, "u_fanout", { n }));
      for (const reader of readers) {
        expect(ids(await reader.readUntil((e) => e.eventId === sent.at(-1)))).toEqual(sent);
      }
    } finally {
      for (const r of readers) r.close();
    }
  });

  it("opens every stream with a heartbeat (no id, no kind), so response headers flow before any event", async () => {
    const client = createClient(Push, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    const abort = new AbortController();
    let headers = false;
    const iterator = client.subscribePush({}, { signal: abort.signal, headers: TOKEN_HEADERS, onHeader: () => (headers = true) })[Symbol.asyncIterator]();
    try {
      const first = await iterator.next();
      expect(headers).toBe(true);
      expect(first.value).toMatchObject({ eventId: "", kind: { case: undefined } });
    } finally {
      abort.abort();
    }
  });

  it("also speaks gRPC-Web over HTTP/1.1", async () => {
    const id = await injectEvent(base, "u_grpc_web", { via: "grpc-web" });
    const client = createClient(Push, createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" }));
    const abort = new AbortController();
    try {
      for await (const event of client.subscribePush({ resumeAfterEventId: String(Number(id) - 1) }, { signal: abort.signal, headers: TOKEN_HEADERS })) {
        if (event.kind.case === undefined) continue; // the opening heartbeat
        expect(event.eventId).toBe(id);
        expect(payloadOf(event)).toEqual({ via: "grpc-web" });
        break;
      }
    } finally {
      abort.abort();
    }
  });

  it("rejects a non-decimal resume id with INVALID_ARGUMENT", async () => {
    const push = openPush(base, "abc");
    await expect(push.next()).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("keeps ids increasing across a reset", async () => {
    const before = Number(await injectEvent(base, "u_reset"));
    expect((await call(base, "POST", "/emulator/v1/reset")).status).toBe(200);
    expect(Number(await injectEvent(base, "u_reset"))).toBe(before + 1);
  });

  it("ends open streams with UNAVAILABLE when the backend closes, and close() resolves", async () => {
    const own = await startTestBackend();
    const first = await injectEvent(own.url, "u_close");
    const push = openPush(own.url, "0");
    expect((await push.next()).eventId).toBe(first);
    const pending = push.next();
    await own.close();
    const err = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
  });
});

describe("push service lifecycle", () => {
  it("unsubscribes and removes its listeners when the client goes away", async () => {
    // The service mounted alone, so the test can watch its subscriber count.
    const log = new PushLog();
    const shutdown = new AbortController();
    const closedStreams: (() => void)[] = [];
    const server = http.createServer(
      connectNodeAdapter({
        routes: pushRoutes({ log, shutdown: shutdown.signal, onStreamOpen: () => {}, onStreamClosed: () => closedStreams.shift()?.() }),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const streamClosed = new Promise<void>((resolve) => closedStreams.push(resolve));
      log.appendClientEvent({ userId: "u", eventType: "t", payload: {} });
      const push = openPush(`http://127.0.0.1:${port}`, "0");
      expect((await push.next()).eventId).toBe("1");
      expect(log.subscriberCount).toBe(1);
      push.close();
      await streamClosed;
      expect(log.subscriberCount).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("PushLog", () => {
  it("replays the whole log when the resume id is older than the log, and nothing when it is in the future", async () => {
    const log = new PushLog();
    const total = PUSH_LOG_CAPACITY + 5;
    for (let i = 0; i < total; i++) log.appendClientEvent({ userId: "u", eventType: "t", payload: { i } });

    const old = log.subscribe(1);
    const replayed: string[] = [];
    for (let i = 0; i < PUSH_LOG_CAPACITY; i++) replayed.push((await old.next())!.eventId);
    expect(replayed[0]).toBe("6");
    expect(replayed.at(-1)).toBe(String(total));
    expect(new Set(replayed).size).toBe(PUSH_LOG_CAPACITY);

    const future = log.subscribe(total + 100);
    const live = log.appendClientEvent({ userId: "u", eventType: "t", payload: {} });
    expect((await future.next())!.eventId).toBe(live.eventId);
    expect((await old.next())!.eventId).toBe(live.eventId);

    old.close();
    future.close();
    expect(await old.next()).toBeUndefined();
    expect(log.subscriberCount).toBe(0);
  });

  it("resumes exactly after an id inside the log", async () => {
    const log = new PushLog();
    for (let i = 0; i < 10; i++) log.appendSessionInvalidation({ userId: "u", reason: "r" });
    const sub = log.subscribe(7);
    expect([(await sub.next())!.eventId, (await sub.next())!.eventId, (await sub.next())!.eventId]).toEqual(["8", "9", "10"]);
    sub.close();
  });
});
