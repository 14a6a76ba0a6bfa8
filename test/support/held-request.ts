// An HTTP/1.1 request the server has read and holds, known as such without waiting on the clock.
import { once } from "node:events";
import http from "node:http";

export interface HeldRequest {
  /**
   * Resolves once the server has handed the request to its handler: `Expect: 100-continue` makes
   * node's HTTP server write "100 Continue" just before it calls the handler, in the same turn. For a
   * server in this process that turn, the handler's synchronous part included, is over before the
   * client can read the answer.
   */
  held: Promise<void>;
  /** The response (status, parsed JSON body), or the error that ended the request. */
  outcome: Promise<{ status: number; body: unknown } | { error: string }>;
  destroy(): void;
}

/** GET is sent whole; any other method sends its headers only, so the request stays in flight. */
export function holdRequest(port: number, method: string, requestPath: string, headers: http.OutgoingHttpHeaders = {}): HeldRequest {
  const req = http.request({ host: "127.0.0.1", port, method, path: requestPath, agent: false, headers: { expect: "100-continue", ...headers } });
  const outcome = new Promise<{ status: number; body: unknown } | { error: string }>((resolve) => {
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      res.on("error", (err) => resolve({ error: err.message }));
    });
    req.on("error", (err) => resolve({ error: err.message }));
  });
  if (method === "GET") req.end();
  else req.flushHeaders(); // the body never comes
  return { held: once(req, "continue").then(() => {}), outcome, destroy: () => req.destroy() };
}
