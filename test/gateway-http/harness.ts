// Test harness: the REST surface mounted on a real node:http server (unclaimed requests → 404), in
// front of a tiny fake backend that is itself a real node:http server on loopback.
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { createBackendRestClient } from "../../src/gateway/backend/rest-client.js";
import { LiveConfig } from "../../src/gateway/config.js";
import { FaultSet } from "../../src/gateway/faults/fault-set.js";
import { Journal } from "../../src/gateway/journal.js";
import { emulatorStatus } from "../../src/gateway/emulator-status.js";
import { createRestSurface, type RestSurfaceDeps } from "../../src/gateway/http/rest-surface.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import { toBase64Url } from "../../src/shared/bytes.js";
import type { EmulatorConfig } from "../../src/shared/protocol.js";

export type BackendMode = "ok" | "500" | "html" | "404";

export interface BackendCall {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeBackend {
  url: string;
  mode: BackendMode;
  calls: BackendCall[];
  close(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startFakeBackend(): Promise<FakeBackend> {
  const backend: FakeBackend = { url: "", mode: "ok", calls: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const [path = "", query = ""] = (req.url ?? "").split("?");
      const body = Buffer.concat(chunks).toString("utf8");
      backend.calls.push({ method: req.method ?? "", path, query, headers: req.headers, body });
      if (backend.mode === "500") return json(res, 500, { error: { code: "boom", message: "backend exploded" } });
      if (backend.mode === "html") {
        res.writeHead(200, { "content-type": "text/html" });
        return res.end("<html><body>maintenance</body></html>");
      }
      if (backend.mode === "404") {
        res.writeHead(404, { "content-type": "text/html" });
        return res.end("<html>not here</html>");
      }
      const key = `${req.method} ${path}`;
      switch (key) {
        case "POST /api/v1/public/auth/send-email-code":
          return json(res, 200, { challenge_id: "ch_1" }, { "x-backend-secret": "do-not-relay", "set-cookie": "a=b" });
        case "POST /api/v1/public/auth/confirm-email-code": {
          const { code } = JSON.parse(body) as { code: string };
          if (code === "000000") return json(res, 401, { error: { code: "invalid_code", message: "wrong code" } });
          if (code === "111111") return json(res, 410, { error: { code: "challenge_expired", message: "expired" } });
          if (code === "222222") {
            return json(res, 429, { error: { code: "too_many_attempts", message: "challenge is dead" } }, { "retry-after": "600" });
          }
          return json(res, 200, { device_session_id: "ds_1", user_id: "u_1" });
        }
        case "GET /emulator/v1/mailbox":
          return json(res, 200, {
            messages: [{ email: new URLSearchParams(query).get("email") ?? "any@example.com", code: "123456", challenge_id: "ch_1", sent_at_ms: 1 }],
          });
        case "POST /emulator/v1/push":
          return json(res, 200, { event_id: "ev_1" });
        case "POST /emulator/v1/reset":
          return json(res, 200, {});
        default:
          return json(res, 404, { error: { code: "not_found", message: key } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return backend;
}

export interface Surface {
  url: string;
  port: number;
  backend: FakeBackend;
  config: LiveConfig;
  journal: Journal;
  clock: { ms: number };
  ready: { value: boolean };
  resets: { count: number };
  key: { current: Uint8Array };
  close(): Promise<void>;
}

export type SurfaceOptions = Partial<Pick<RestSurfaceDeps, "accessToken" | "consoleDir">> & {
  publicLimits?: Partial<EmulatorConfig["public_rate_limits"]>;
  journal?: Journal;
};

export function newPublicKey(): Uint8Array {
  return publicKeyFromSeed(generateSeed());
}

export const VALID_KEY = toBase64Url(newPublicKey());

export async function startSurface(options: SurfaceOptions = {}): Promise<Surface> {
  const backend = await startFakeBackend();
  const client = createBackendRestClient(() => backend.url);
  const config = new LiveConfig();
  if (options.publicLimits) config.patch({ public_rate_limits: options.publicLimits });
  const journal = options.journal ?? new Journal();
  const clock = { ms: 1_700_000_000_000 };
  const ready = { value: true };
  const resets = { count: 0 };
  const key = { current: newPublicKey() };
  const handler = createRestSurface({
    config,
    backend: client,
    journal,
    faults: new FaultSet(),
    gatewayPublicKey: () => key.current,
    rotateGatewayKey: async () => {
      key.current = newPublicKey();
      return key.current;
    },
    now: () => clock.ms,
    isReady: () => ready.value,
    resetLocal: () => {
      resets.count++;
      journal.clear();
    },
    status: () =>
      emulatorStatus({
        config,
        backend: client,
        journal,
        publicKey: () => key.current,
        now: () => clock.ms,
        pushStream: () => ({ connected: false, since_ms: clock.ms }),
        ed25519: { engine: "node:crypto", why_not_libsodium: "a test surface" },
        openEventStreams: () => 0,
      }),
    ...(options.accessToken !== undefined ? { accessToken: options.accessToken } : {}),
    ...(options.consoleDir !== undefined ? { consoleDir: options.consoleDir } : {}),
  });
  const server = http.createServer((req, res) => {
    if (handler(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("fallthrough");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    backend,
    config,
    journal,
    clock,
    ready,
    resets,
    key,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      client.close();
      await backend.close();
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Resolves with the ClientRequest once it is sent (for aborting it). */
  onRequest?: (req: http.ClientRequest) => void;
}

/** One request on a fresh connection (no pooling between tests). */
export function call(surface: { port: number }, path: string, init: CallInit = {}): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: surface.port, path, method: init.method ?? "GET", headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parsed });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    init.onRequest?.(req);
    req.end(init.body);
  });
}

export function postJson(surface: { port: number }, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return call(surface, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Writes raw bytes on a socket and collects everything until the server closes it. */
export function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", (err) => (chunks.length > 0 ? resolve(Buffer.concat(chunks).toString("latin1")) : reject(err)));
    socket.write(bytes);
  });
}

export function statusOf(rawResponse: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(rawResponse)?.[1] ?? 0);
}

export function expectError(reply: Reply, status: number, code: string): void {
  if (reply.status !== status || reply.json?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${reply.status} ${reply.text}`);
  }
  if (typeof reply.json.error.message !== "string" || reply.json.error.message.length === 0) {
    throw new Error(`error without message: ${reply.text}`);
  }
}
