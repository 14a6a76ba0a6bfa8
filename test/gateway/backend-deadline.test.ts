// The backend REST client bounds a call by the shorter of its own timeout and the caller's deadline,
// and says which one ran out: the caller's (CallerDeadlineError) is not a backend fault.
import { afterAll, beforeAll, expect, it } from "vitest";
import { BackendUnavailableError, CallerDeadlineError, createBackendRestClient } from "../../src/gateway/backend/rest-client.js";
import { startHttpServer, type FakeBackend } from "../hardening/support.js";

let hanging: FakeBackend;
const seen: string[] = [];

beforeAll(async () => {
  hanging = await startHttpServer((req) => {
    seen.push(req.url ?? "");
    req.resume(); // and never answer
  });
});
afterAll(() => hanging.close());

it("a caller deadline shorter than the client's timeout: CallerDeadlineError once it runs out", async () => {
  const client = createBackendRestClient(() => hanging.url, { timeoutMs: 60_000 });
  try {
    const err = await client.request("GET", "/slow", { deadlineMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallerDeadlineError);
    expect(seen).toContain("/slow");
  } finally {
    client.close();
  }
});

it("a caller deadline longer than the client's timeout: the client's own timeout, BackendUnavailableError", async () => {
  const client = createBackendRestClient(() => hanging.url, { timeoutMs: 200 });
  try {
    const err = await client.request("GET", "/slow", { deadlineMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
  } finally {
    client.close();
  }
});

it("no time left: CallerDeadlineError at once", async () => {
  const client = createBackendRestClient(() => hanging.url, { timeoutMs: 60_000 });
  try {
    const err = await client.request("GET", "/never", { deadlineMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallerDeadlineError);
  } finally {
    client.close();
  }
});
