// The web console (the built renderer) as static files: GET/HEAD only, confined to consoleDir (segment
// checks, resolve + prefix check, then realpath + prefix check so symlinks cannot lead out), SPA
// fallback to index.html for extension-less paths, nosniff everywhere and a strict CSP on HTML.
import { promises as fs } from "node:fs";
import path from "node:path";
import { CONSOLE_CSP } from "../../shared/console-csp.js";
import { HttpError, send, sendError, sendMethodNotAllowed, type AnyRequest, type AnyResponse, type Headers } from "./http-json.js";

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

/** Larger files are not part of a console build; refusing them keeps memory bounded. */
const MAX_FILE_BYTES = 32 * 1024 * 1024;

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

export function createStaticConsole(consoleDir: string | undefined) {
  const root = consoleDir ? path.resolve(consoleDir) : undefined;
  let realRoot: Promise<string> | undefined;

  /** The real path of a regular file inside the console, or undefined. */
  async function findFile(segments: readonly string[]): Promise<string | undefined> {
    if (!root) return undefined;
    const candidate = path.resolve(root, ...segments);
    if (!inside(root, candidate)) return undefined;
    try {
      realRoot ??= fs.realpath(root);
      const [rootReal, fileReal] = await Promise.all([realRoot, fs.realpath(candidate)]);
      if (!inside(rootReal, fileReal)) return undefined;
      const stat = await fs.stat(fileReal);
      return stat.isFile() && stat.size <= MAX_FILE_BYTES ? fileReal : undefined;
    } catch {
      realRoot = undefined; // retried next time (the console may be built while we run)
      return undefined;
    }
  }

  async function serve(req: AnyRequest, res: AnyResponse, file: string): Promise<void> {
    const body = await fs.readFile(file);
    const type = contentTypeFor(file);
    const headers: Headers = {
      "content-type": type,
      "x-content-type-options": "nosniff",
      "cache-control": "no-cache",
      "referrer-policy": "no-referrer",
    };
    if (type.startsWith("text/html")) {
      headers["content-security-policy"] = CONSOLE_CSP;
      headers["x-frame-options"] = "DENY";
    }
    send(req, res, 200, body, headers);
  }

  return async function handle(req: AnyRequest, res: AnyResponse, urlPath: string): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") return sendMethodNotAllowed(req, res, ["GET", "HEAD"]);
    if (!root) {
      return sendError(req, res, 404, "not_found", "no web console is served: run `npm run build` and start the emulator with its console directory");
    }
    let segments = consoleSegments(urlPath);
    if (segments.length === 0) segments = ["index.html"];
    let file = await findFile(segments);
    // SPA fallback: client-side routes have no extension.
    if (!file && !segments[segments.length - 1]!.includes(".")) file = await findFile(["index.html"]);
    if (!file) {
      const hint = segments.length === 1 && segments[0] === "index.html" ? " (is the console built? run `npm run build`)" : "";
      return sendError(req, res, 404, "not_found", `no such file${hint}`);
    }
    await serve(req, res, file);
  };
}
