// The web console (the built renderer) as static files: GET/HEAD only, confined to consoleDir (segment
// checks, resolve + prefix check, then realpath + prefix check so symlinks cannot lead out), SPA
// fallback to index.html for extension-less paths, nosniff everywhere and a strict CSP on HTML.
// Files are sent with backpressure, in 16 KiB slices of one copy in memory shared by every response
// (console-files.ts), or streamed from disk when the cache cannot hold them: a response that its client
// does not read holds one slice in flight, never a copy of the file (the probe's 2 MB source map
// fetched 1,024 times by clients that granted no flow-control window took the gateway to 2 GB of RSS)
// and, from memory, no file descriptor.
import { promises as fs, type Stats } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CONSOLE_CSP } from "../../shared/console-csp.js";
import { CONSOLE_CACHE_BYTES, ConsoleFileCache, MAX_OPEN_CONSOLE_FILES } from "./console-files.js";
import { HttpError, responseStream, sendError, sendMethodNotAllowed, type AnyRequest, type AnyResponse } from "./http-json.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Bytes written per step: node's default stream high-water mark and HTTP/2 frame size. A stalled
 * response holds one such slice written (from disk: and one read ahead), whatever the file's size.
 */
export const READ_CHUNK_BYTES = 16 * 1024;

export interface StaticConsoleOptions {
  /**
   * Serve `*.map` files (`--console-sourcemaps`). Off by default: they are the console's largest files
   * (2 MB) and of use only with the browser's developer tools open.
   */
  sourcemaps?: boolean;
  /** Bytes of files held in memory (default CONSOLE_CACHE_BYTES); the others are streamed from disk. */
  cacheBytes?: number;
  /** Files streamed from disk at once (default MAX_OPEN_CONSOLE_FILES); past it `503`. */
  maxOpenFiles?: number;
}

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

/**
 * URL path → path segments inside the console, or an HttpError. Each segment is percent-decoded once
 * and must not be empty-after-decoding, `.`/`..`, a dotfile, or contain `/`, `\`, NUL or control chars.
 */
export function consoleSegments(urlPath: string): string[] {
  const segments: string[] = [];
  for (const raw of urlPath.split("/")) {
    if (raw === "") continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, "invalid_request", "malformed percent-encoding in the path");
    }
    // eslint-disable-next-line no-control-regex
    if (seg === "" || seg.startsWith(".") || /[/\\\x00-\x1f\x7f]/.test(seg)) {
      throw new HttpError(404, "not_found", "no such file");
    }
    segments.push(seg);
  }
  return segments;
}

function inside(root: string, candidate: string): boolean {
  return candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The file's bytes in READ_CHUNK_BYTES slices: views of the one copy, never copies. */
function* slices(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += READ_CHUNK_BYTES) yield bytes.subarray(at, at + READ_CHUNK_BYTES);
}

interface ConsoleFile {
  /** Real path, inside the console. */
  path: string;
  stat: Stats;
}

export function createStaticConsole(consoleDir: string | undefined, options: StaticConsoleOptions = {}) {
  const root = consoleDir ? path.resolve(consoleDir) : undefined;
  let realRoot: Promise<string> | undefined;
  const cache = new ConsoleFileCache(options.cacheBytes ?? CONSOLE_CACHE_BYTES);
  const maxOpenFiles = options.maxOpenFiles ?? MAX_OPEN_CONSOLE_FILES;
  let openFiles = 0;

  /** The real path of a regular file inside the console (stat'ed now), or undefined. */
  async function findFile(segments: readonly string[]): Promise<ConsoleFile | undefined> {
    if (!root) return undefined;
    const candidate = path.resolve(root, ...segments);
    if (!inside(root, candidate)) return undefined;
    try {
      realRoot ??= fs.realpath(root);
      const [rootReal, fileReal] = await Promise.all([realRoot, fs.realpath(candidate)]);
      if (!inside(rootReal, fileReal)) return undefined;
      const stat = await fs.stat(fileReal);
      return stat.isFile() ? { path: fileReal, stat } : undefined;
    } catch {
      realRoot = undefined; // retried next time (the console may be built while we run)
      return undefined;
    }
  }

  function setHeaders(res: AnyResponse, file: string, size: number): void {
    const type = contentTypeFor(file);
    res.statusCode = 200;
    res.setHeader("content-type", type);
    res.setHeader("content-length", size);
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("cache-control", "no-cache");
    res.setHeader("referrer-policy", "no-referrer");
    if (type.startsWith("text/html")) {
      res.setHeader("content-security-policy", CONSOLE_CSP);
      res.setHeader("x-frame-options", "DENY");
    }
  }

  /** Sends the file from memory, else from disk; false if it is gone since it was found. */
  async function serve(req: AnyRequest, res: AnyResponse, file: ConsoleFile): Promise<boolean> {
    const bytes = await cache.get(file.path, file.stat);
    if (!bytes) return streamFromDisk(req, res, file.path);
    setHeaders(res, file.path, bytes.length);
    if (req.method === "HEAD" || bytes.length === 0) {
      res.end();
      return true;
    }
    // A client gone: pipeline has destroyed the response (HTTP/1.1 connection closed, HTTP/2 stream
    // reset); nobody is left to answer.
    await pipeline(Readable.from(slices(bytes), { objectMode: false, highWaterMark: READ_CHUNK_BYTES }), responseStream(res)).catch(() => {});
    return true;
  }

  /** A file the cache cannot hold, read as it is sent; false if it could not be opened. */
  async function streamFromDisk(req: AnyRequest, res: AnyResponse, file: string): Promise<boolean> {
    if (openFiles >= maxOpenFiles) {
      sendError(req, res, 503, "rate_limited", "too many console files are being sent; retry shortly", { "retry-after": "1" });
      return true;
    }
    openFiles++;
    const handle = await fs.open(file, "r").catch(() => undefined);
    const closeFile = async () => {
      await handle?.close();
      openFiles--;
    };
    if (!handle) {
      await closeFile();
      return false;
    }
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch {
      await closeFile();
      return false;
    }
    setHeaders(res, file, size);
    if (req.method === "HEAD" || size === 0) {
      await closeFile();
      res.end();
      return true;
    }
    // The length announced is the length sent, even if the file grows meanwhile (a rebuild).
    const body = handle.createReadStream({ start: 0, end: size - 1, highWaterMark: READ_CHUNK_BYTES });
    body.once("close", () => openFiles--); // the stream closes the file, at its end or when destroyed
    // A client gone, or a read error after the headers: pipeline has destroyed the response (HTTP/1.1
    // connection closed, HTTP/2 stream reset) and the file; nobody is left to answer.
    await pipeline(body, responseStream(res)).catch(() => {});
    return true;
  }

  return async function handle(req: AnyRequest, res: AnyResponse, urlPath: string): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") return sendMethodNotAllowed(req, res, ["GET", "HEAD"]);
    if (!root) {
      return sendError(req, res, 404, "not_found", "no web console is served: run `npm run build` and start the emulator with its console directory");
    }
    let segments = consoleSegments(urlPath);
    if (segments.length === 0) segments = ["index.html"];
    if (!options.sourcemaps && segments[segments.length - 1]!.toLowerCase().endsWith(".map")) {
      return sendError(req, res, 404, "not_found", "source maps are served only with --console-sourcemaps");
    }
    let file = await findFile(segments);
    // SPA fallback: client-side routes have no extension.
    if (!file && !segments[segments.length - 1]!.includes(".")) file = await findFile(["index.html"]);
    if (!file || !(await serve(req, res, file))) {
      const hint = segments.length === 1 && segments[0] === "index.html" ? " (is the console built? run `npm run build`)" : "";
      return sendError(req, res, 404, "not_found", `no such file${hint}`);
    }
  };
}
