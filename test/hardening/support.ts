// Shared helpers of the hardening tests: fake backends on real sockets, a gateway in front of them,
// raw HTTP/1.1 and HTTP/2 requests with a deadline, and the vocabulary of acceptable answers.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { GatewayErrorSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { startGateway, type GatewayOptions, type RunningGateway } from "../../src/gateway/gateway.js";
import { tempDir } from "../support/emulator.js";

/** Each request of the hostile-input tests must settle within this; otherwise it counts as a hang. */
export const REQUEST_DEADLINE_MS = 10_000;

export interface FakeBackend {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A real node:http server on loopback with the given handler (sockets tracked so close() is prompt). */
export async function startHttpServer(handler: http.RequestListener, port = 0): Promise<FakeBackend> {
  const server = http.createServer(handler);
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** A gateway (no mock) in front of `backendUrl`, with a fresh state dir; push-stream errors are ignored. */
export function gatewayFor(backendUrl: string, options: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  return startGateway({
    port: 0,
    stateDir: tempDir("gge-hard-"),
    onPushError: () => {},
    ...options,
    config: { backend: backendUrl, ...options.config },
  });
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  trailers: Record<string, string | string[] | undefined>;
  /** True when `stopWhen` matched and the request was cut there (a live stream). */
  cut?: boolean;
}

export interface RawInit<H> {
  method?: string;
  path: string;
  headers?: H;
  body?: Uint8Array | string;
  /** Stop reading (and resolve, with `cut`) once the body so far satisfies this: for live streams. */
  stopWhen?: (body: Buffer) => boolean;
}

/** A complete enveloped message frame (flags 0) at the start of a streamed body: the stream is live. */
export function hasMessageFrame(body: Buffer): boolean {
  return body.length >= 5 && body[0] === 0 && body.length >= 5 + body.readUInt32BE(1);
}

/** One HTTP/1.1 request on a fresh connection, bounded by REQUEST_DEADLINE_MS (a hang rejects). */
export function h1Request(port: number, init: RawInit<http.OutgoingHttpHeaders>): Promise<RawReply> {
  return new Promise<RawReply>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: init.method ?? "POST",
        path: init.path,
        headers: init.headers,
        agent: false,
        signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          chunks.push(c);
          const body = Buffer.concat(chunks);
          if (init.stopWhen?.(body)) {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, trailers: {}, cut: true });
            req.destroy();
          }
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), trailers: res.trailers }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** One HTTP/2 (prior knowledge) request on its own session, bounded by REQUEST_DEADLINE_MS. */
export function h2Request(port: number, init: RawInit<http2.OutgoingHttpHeaders>): Promise<RawReply> {
  return new Promise<RawReply>((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`h2 request to ${init.path} hung for ${REQUEST_DEADLINE_MS} ms`));
    }, REQUEST_DEADLINE_MS);
    let settled = false;
    const done = (err: Error | undefined, reply?: RawReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    session.on("error", (err) => done(err));
    const stream = session.request(
      { ":method": init.method ?? "POST", ":path": init.path, ...init.headers },
      init.body === undefined ? {} : { endStream: false }, // node ends GET/HEAD streams at once otherwise
    );
    let status = 0;
    let headers: RawReply["headers"] = {};
    let trailers: RawReply["trailers"] = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h;
    });
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => {
      chunks.push(c);
      const body = Buffer.concat(chunks);
      if (init.stopWhen?.(body)) {
        done(undefined, { status, headers, body, trailers, cut: true });
        session.destroy();
      }
    });
    stream.on("end", () => done(undefined, { status, headers, body: Buffer.concat(chunks), trailers }));
    stream.on("error", (err) => done(err));
    stream.end(init.body);
  });
}

/** The Connect codes a gateway answer may carry; INTERNAL and UNKNOWN are bugs. */
export const DOCUMENTED_CODES = new Set<Code>([
  Code.InvalidArgument,
  Code.Unauthenticated,
  Code.FailedPrecondition,
  Code.AlreadyExists,
  Code.ResourceExhausted,
  Code.Unimplemented,
  Code.Unavailable,
  Code.Canceled,
  Code.DeadlineExceeded,
]);

export function connectErrorOf(err: unknown): ConnectError {
  return ConnectError.from(err);
}

export function reasonOf(err: ConnectError): string | undefined {
  return err.findDetails(GatewayErrorSchema)[0]?.reason;
}

export function stageOf(err: ConnectError): string | undefined {
  return err.findDetails(GatewayErrorSchema)[0]?.stage;
}
