// TLS on the one port (issue 10, item 4): with a certificate and key the listener speaks TLS only;
// ALPN `h2` reaches the HTTP/2 handler (Connect, gRPC, gRPC-Web), `http/1.1` or no ALPN the HTTP/1.1
// one, with the same limits as cleartext. The certificate is self-signed, made here with the openssl
// CLI, and the clients trust exactly it (`ca`).
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/start.js";
import { fromBase64Url } from "../../src/shared/bytes.js";
import { EdgeGateway } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { executeCommandRequest, verifyResponse } from "../../src/shared/sdk.js";
import { signIn, tempDir } from "../support/emulator.js";
import { ROOT } from "./children.js";
import { portOf, REQUEST_DEADLINE_MS } from "./support.js";

let certDir: string;
let cert: Buffer;
let key: Buffer;
let emulator: RunningEmulator;

const LIMITS = { sniffTimeoutMs: 300, idleTimeoutMs: 300 };

beforeAll(async () => {
  certDir = tempDir("gge-tls-");
  execFileSync(
    "/usr/bin/openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout", path.join(certDir, "key.pem"), "-out", path.join(certDir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  cert = readFileSync(path.join(certDir, "cert.pem"));
  key = readFileSync(path.join(certDir, "key.pem"));
  emulator = await startEmulator({ port: 0, stateDir: tempDir(), tls: { cert, key }, limits: LIMITS });
});
afterAll(() => emulator.close());

/** GET over HTTPS (HTTP/1.1) trusting our certificate: status, body and the protocol ALPN picked. */
function httpsGet(url: string, alpn?: string[]): Promise<{ status: number; body: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: cert, agent: false, ...(alpn ? { ALPNProtocols: alpn } : {}), signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, alpn: (res.socket as tls.TLSSocket).alpnProtocol }));
    });
    req.on("error", reject);
  });
}

/** A fetch over HTTPS/1.1 trusting our certificate (the global fetch cannot be given a CA). */
function httpsFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: init.method ?? "GET", headers: init.headers as Record<string, string>, ca: cert, agent: false, signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0 })));
      },
    );
    req.on("error", reject);
    req.end(init.body as string | undefined);
  });
}

/** An HTTP/2-over-TLS session trusting our certificate, once connected. */
async function h2Session(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, { ca: cert });
  session.on("error", () => {});
  await once(session, "connect");
  return session;
}

function h2Status(session: http2.ClientHttp2Session, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": target });
    stream.on("error", reject);
    stream.once("response", (headers) => resolve(Number(headers[":status"])));
    stream.resume();
  });
}

/** Resolves with what the server sent before it closed the connection; rejects after REQUEST_DEADLINE_MS. */
function untilClosed(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => reject(new Error(`connection still open after ${REQUEST_DEADLINE_MS} ms`)), REQUEST_DEADLINE_MS);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {});
    socket.once("close", () => {
      clearTimeout(deadline);
      resolve(Buffer.concat(chunks));
    });
  });
}

describe("one port, TLS only", () => {
  it("the gateway's URL is https://", () => {
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("HTTPS/1.1: /healthz answers, whether the client offers ALPN http/1.1 or no ALPN at all", async () => {
    const offered = await httpsGet(`${emulator.url}/healthz`, ["http/1.1"]);
    expect(offered).toMatchObject({ status: 200, alpn: "http/1.1" });
    expect(JSON.parse(offered.body)).toEqual({ status: "ok" });
    expect(await httpsGet(`${emulator.url}/healthz`)).toMatchObject({ status: 200, alpn: false });
  });

  it("h2 over TLS: ALPN picks h2 and the HTTP/2 handler answers", async () => {
    const session = await h2Session(emulator.url);
    try {
      expect(session.alpnProtocol).toBe("h2");
      expect(session.encrypted).toBe(true);
      expect(await h2Status(session, "/healthz")).toBe(200);
    } finally {
      session.destroy();
    }
  });

  it("ExecuteCommand over gRPC and Connect on h2+TLS, and gRPC-Web/Connect on HTTPS/1.1: signed answers the client verifies", async () => {
    const device = await signIn(emulator.url, undefined, httpsFetch); // the public REST and the mailbox over HTTPS too
    const info = JSON.parse((await httpsGet(`${emulator.url}/api/v1/public/gateway/info`)).body) as { response_signing_public_key: string };
    const gatewayKey = fromBase64Url(info.response_signing_public_key);
    const transports = {
      "grpc h2": createGrpcTransport({ baseUrl: emulator.url, nodeOptions: { ca: cert } }),
      "connect h2": createConnectTransport({ baseUrl: emulator.url, httpVersion: "2", nodeOptions: { ca: cert } }),
      "connect h1": createConnectTransport({ baseUrl: emulator.url, httpVersion: "1.1", nodeOptions: { ca: cert } }),
      "grpc-web h1": createGrpcWebTransport({ baseUrl: emulator.url, httpVersion: "1.1", nodeOptions: { ca: cert } }),
    };
    for (const [name, transport] of Object.entries(transports)) {
      const req = executeCommandRequest(device, { messageType: "user.profile.get" });
      const res = await createClient(EdgeGateway, transport).executeCommand(req);
      expect(verifyResponse(res, gatewayKey, { deviceSessionId: device.deviceSessionId, requestId: req.envelope!.requestId }), name).toEqual({ ok: true });
      expect(res.envelope!.resultCode, name).toBe("ok");
    }
  });

  it("the console's own origin is https://<Host>: the control plane accepts it over TLS and refuses http://<Host>", async () => {
    const host = new URL(emulator.url).host;
    const patch = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          `${emulator.url}/emulator/v1/config`,
          { method: "PATCH", ca: cert, agent: false, headers: { origin, "content-type": "application/json" } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify({ freshness_window_ms: 60_000 }));
      });
    expect(await patch(`https://${host}`)).toBe(200);
    expect(await patch(`http://${host}`)).toBe(403);
    const session = await h2Session(emulator.url);
    try {
      const h2Patch = (origin: string) =>
        new Promise<number>((resolve, reject) => {
          const stream = session.request({ ":method": "PATCH", ":path": "/emulator/v1/config", origin, "content-type": "application/json" });
          stream.on("error", reject);
          stream.once("response", (headers) => resolve(Number(headers[":status"])));
          stream.resume();
          stream.end(JSON.stringify({ freshness_window_ms: 60_000 }));
        });
      expect(await h2Patch(`https://${host}`)).toBe(200);
      expect(await h2Patch(`http://${host}`)).toBe(403);
    } finally {
      session.destroy();
    }
  });

  it("a cleartext request to the TLS port gets no HTTP answer: the connection is closed", async () => {
    const socket = net.connect(portOf(emulator.url), "127.0.0.1");
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const received = await untilClosed(socket);
    expect(received.toString("latin1")).not.toMatch(/^HTTP\//);
  });

  it("the same limits: a connection that never starts its handshake is closed after sniffTimeoutMs", async () => {
    const received = await untilClosed(net.connect(portOf(emulator.url), "127.0.0.1"));
    expect(received.length).toBe(0);
  });

  it("the same limits: dribbling a ClientHello does not extend the handshake deadline", async () => {
    const socket = net.connect(portOf(emulator.url), "127.0.0.1");
    // A TLS handshake record header announcing 16 KiB, then one byte per 20 ms (the sender's pace).
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x3f, 0xff]));
    const pacer = setInterval(() => {
      if (!socket.destroyed) socket.write(Buffer.from([0x01]));
    }, 20);
    try {
      expect((await untilClosed(socket)).length).toBe(0);
    } finally {
      clearInterval(pacer);
    }
  });

  it("the same limits: an idle h2-over-TLS session gets GOAWAY and is closed", async () => {
    const session = await h2Session(emulator.url);
    const goaway = once(session, "goaway");
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error("idle TLS h2 session still open")), REQUEST_DEADLINE_MS);
      session.once("close", () => {
        clearTimeout(deadline);
        resolve();
      });
    });
    await goaway;
  });
});

describe("startup", () => {
  it("a certificate and key that do not belong together stop the start with a message", async () => {
    const other = tempDir("gge-tls-other-");
    execFileSync("/usr/bin/openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path.join(other, "key.pem")], { stdio: "ignore" });
    await expect(startEmulator({ port: 0, stateDir: tempDir(), tls: { cert, key: readFileSync(path.join(other, "key.pem")) } })).rejects.toThrow(
      /TLS certificate or key unusable/,
    );
  });

  it("the CLI with --tls-cert/--tls-key prints an https:// ready line and serves HTTPS; one without the other exits 2", async () => {
    const cli = (args: string[]) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/cli/emulator.ts", "--port", "0", "--state-dir", tempDir(), ...args], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const exit = once(child, "exit").then(([code]) => ({ code: code as number | null, stderr }));
      const ready = new Promise<string>((resolve, reject) => {
        child.stdout.on("data", () => {
          const match = /Gateway emulator ready at (\S+)/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        void exit.then(() => reject(new Error(`exited before ready: ${stderr}`)));
      });
      ready.catch(() => undefined);
      return { child, ready, exit };
    };

    const served = cli(["--tls-cert", path.join(certDir, "cert.pem"), "--tls-key", path.join(certDir, "key.pem")]);
    const url = await served.ready;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await httpsGet(`${url}/healthz`)).status).toBe(200);
    served.child.kill("SIGTERM");
    expect((await served.exit).code).toBe(0);

    const half = await cli(["--tls-cert", path.join(certDir, "cert.pem")]).exit;
    expect(half.code).toBe(2);
    expect(half.stderr).toContain("--tls-cert and --tls-key go together");
  });
});
