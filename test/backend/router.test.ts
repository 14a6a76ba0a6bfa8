// The mock backend's REST router (src/backend/router.ts) on a real node:http server: a change is
// answered only once persisted, and a failed persist turns the answer into 500 internal_error.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { createRouter, type Route } from "../../src/backend/router.js";
import { HttpError } from "../../src/node/http-json.js";

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(routes: Route[], persist: () => Promise<void>): Promise<string> {
  const router = createRouter(routes, { persist });
  const server = http.createServer((req, res) => void router(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const routes: Route[] = [
  { method: "POST", path: "/things", handler: () => ({ status: 201, body: { made: true } }) },
  { method: "POST", path: "/refused", handler: () => { throw new HttpError(409, "conflict", "no"); } },
  { method: "GET", path: "/things", handler: () => ({ body: { things: [] } }) },
];

it("answers a change after persisting it; a GET is not persisted", async () => {
  const persisted: string[] = [];
  const base = await serve(routes, async () => void persisted.push("persist"));
  const made = await fetch(`${base}/things`, { method: "POST" });
  expect({ status: made.status, body: await made.json() }).toEqual({ status: 201, body: { made: true } });
  expect(persisted).toEqual(["persist"]);
  const refused = await fetch(`${base}/refused`, { method: "POST" });
  expect({ status: refused.status, body: await refused.json() }).toEqual({ status: 409, body: { error: { code: "conflict", message: "no" } } });
  expect(persisted).toEqual(["persist", "persist"]); // a refusal may have counted an attempt
  expect((await fetch(`${base}/things`)).status).toBe(200);
  expect(persisted).toHaveLength(2);
});

it("a failed persist answers 500 internal_error instead of the handler's answer", async () => {
  const base = await serve(routes, () => Promise.reject(new Error("disk full")));
  for (const path of ["/things", "/refused"]) {
    const res = await fetch(`${base}${path}`, { method: "POST" });
    expect({ status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code }).toEqual({ status: 500, code: "internal_error" });
  }
});
