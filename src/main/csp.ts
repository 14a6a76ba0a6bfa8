// The Content-Security-Policy (src/shared/console-csp.ts) enforced on everything the console origin
// serves. Injected by the main process so it holds whatever the gateway's static handler sends.
import { CONSOLE_CSP } from "../shared/console-csp.js";
import { isConsoleUrl } from "./origin.js";

export type ResponseHeaders = Record<string, string[]>;

/**
 * The headers to answer with, or undefined to leave the response untouched (other origins).
 * A CSP the server already sent is kept next to ours: several policies are all enforced, so
 * adding can only tighten, whereas replacing could loosen a stricter one.
 */
export function withConsoleCsp(
  url: string,
  headers: ResponseHeaders | undefined,
  consoleOrigin: string,
): ResponseHeaders | undefined {
  if (!isConsoleUrl(url, consoleOrigin)) return undefined;
  const out: ResponseHeaders = {};
  let cspKey = "Content-Security-Policy";
  for (const [key, values] of Object.entries(headers ?? {})) {
    out[key] = [...values];
    if (key.toLowerCase() === "content-security-policy") cspKey = key;
  }
  out[cspKey] = [...(out[cspKey] ?? []), CONSOLE_CSP];
  return out;
}

/** The slice of `session.webRequest` this needs (Electron's WebRequest satisfies it). */
export interface HeadersReceivedHook {
  onHeadersReceived(
    listener: (
      details: { url: string; responseHeaders?: ResponseHeaders },
      callback: (response: { responseHeaders?: ResponseHeaders }) => void,
    ) => void,
  ): void;
}

export function installConsoleCsp(webRequest: HeadersReceivedHook, consoleOrigin: string): void {
  webRequest.onHeadersReceived((details, callback) => {
    const responseHeaders = withConsoleCsp(details.url, details.responseHeaders, consoleOrigin);
    callback(responseHeaders ? { responseHeaders } : {});
  });
}
