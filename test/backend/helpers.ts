// Shared helpers for the mock backend tests: a mock with a known backend token (every helper sends it,
// as the gateway does), JSON calls over real sockets, sign-in through the mailbox, and a pull-style
// reader for the Connect push stream.
import http from "node:http";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { expect } from "vitest";
import { startMockBackend, type MockBackend, type MockBackendOptions } from "../../src/backend/server.js";
import { BACKEND_TOKEN_HEADER } from "../../src/node/backend-token.js";
import { Push, type PushEvent } from "../../src/shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { fromUtf8, toBase64Url } from "../../src/shared/bytes.js";

/** The token the test mocks require; the helpers below send it unless a test overrides the header. */
export const TEST_BACKEND_TOKEN = "test-backend-token-0123456789";
export const TOKEN_HEADERS: Record<string, string> = { [BACKEND_TOKEN_HEADER]: TEST_BACKEND_TOKEN };

export function startTestBackend(options: Omit<MockBackendOptions, "token"> = {}): Promise<MockBackend> {
  return startMockBackend({ ...options, token: TEST_BACKEND_TOKEN });
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  json: T;
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...TOKEN_HEADERS, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await fetch(base + path, init);
  return { status: res.status, headers: res.headers, json: (await res.json()) as T };
}

export function expectError(reply: Pick<Reply, "status" | "json">, status: number, code: string): void {
  expect({ status: reply.status, code: reply.json?.error?.code }).toEqual({ status, code });
  expect(typeof reply.json.error.message).toBe("string");
}

export function newPublicKey(): string {
  return toBase64Url(publicKeyFromSeed(generateSeed()));
}

/** The newest mailbox message for `email`. */
export async function latestCode(base: string, email: string): Promise<{ code: string; challenge_id: string }> {
  const mailbox = await call(base, "GET", `/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
  expect(mailbox.status).toBe(200);
  const last = mailbox.json.messages.at(-1);
  expect(last).toBeDefined();
  return last;
}

export interface SignedIn {
  userId: string;
  deviceSessionId: string;
  publicKey: string;
  headers: Record<string, string>;
}

/** Full email-code sign-in over HTTP, reading the code from the mailbox. */
export async function signIn(base: string, email: string): Promise<SignedIn> {
  const sent = await call(base, "POST", "/api/v1/public/auth/send-email-code", { email });
  expect(sent.status).toBe(200);
  const { code } = await latestCode(base, email);
  const publicKey = newPublicKey();
  const confirmed = await call(base, "POST", "/api/v1/public/auth/confirm-email-code", {
    challenge_id: sent.json.challenge_id,
    code,
    client_public_key: publicKey,
  });
  expect(confirmed.status).toBe(200);
  const { user_id: userId, device_session_id: deviceSessionId } = confirmed.json;
  return { userId, deviceSessionId, publicKey, headers: identityHeaders(userId, deviceSessionId) };
}

export function identityHeaders(userId: string, deviceSessionId: string, messageType = "test.call"): Record<string, string> {
  return {
    "x-galaxy-user-id": userId,
    "x-galaxy-device-session-id": deviceSessionId,
    "x-galaxy-request-id": `req-${Math.random().toString(36).slice(2)}`,
    "x-galaxy-message-type": messageType,
  };
}

/** Injects a client event through the emulator endpoint and returns its event id. */
export async function injectEvent(base: string, userId: string, payload: unknown = {}, eventType = "test.event"): Promise<string> {
  const reply = await call(base, "POST", "/emulator/v1/push", { client_event: { user_id: userId, event_type: eventType, payload } });
  expect(reply.status).toBe(200);
  return reply.json.event_id;
}

export interface PushReader {
  next(): Promise<PushEvent>;
  /** Reads until `predicate` matches, returning every event read (the match last). */
  readUntil(predicate: (e: PushEvent) => boolean): Promise<PushEvent[]>;
  close(): void;
}

export function openPush(base: string, resumeAfterEventId = "", gatewayId = "test-gateway"): PushReader {
  const client = createClient(Push, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
  const abort = new AbortController();
  const iterator = client
    .subscribePush({ gatewayId, resumeAfterEventId }, { signal: abort.signal, headers: TOKEN_HEADERS })
    [Symbol.asyncIterator]();
  /** The next real event: heartbeats (no id, no kind; one opens every stream) are skipped. */
  async function next(): Promise<PushEvent> {
    for (;;) {
      const r = await iterator.next();
      if (r.done) throw new Error("push stream ended");
      if (r.value.kind.case === undefined && r.value.eventId === "") continue;
      return r.value;
    }
  }
  return {
    next,
    async readUntil(predicate) {
      const seen: PushEvent[] = [];
      for (;;) {
        const e = await next();
        seen.push(e);
        if (predicate(e)) return seen;
      }
    },
    close: () => abort.abort(),
  };
}

export function payloadOf(e: PushEvent): any {
  if (e.kind.case !== "clientEvent") throw new Error(`not a client event: ${e.kind.case}`);
  return JSON.parse(fromUtf8(e.kind.value.payloadBytes));
}

/** A raw node:http request, for bodies and headers fetch will not produce. */
export function rawRequest(
  base: string,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string | number>;
    chunks?: (string | Buffer)[];
    /** false: no backend token header at all (as a stranger would call). */
    token?: false;
  },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: any }> {
  return new Promise((resolve, reject) => {
    const headers = { ...(options.token === false ? {} : TOKEN_HEADERS), ...options.headers };
    const req = http.request(base + options.path, { method: options.method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}
