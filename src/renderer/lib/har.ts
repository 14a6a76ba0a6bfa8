// The gateway journal as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), so a session can be
// opened in a browser's network panel or any HAR viewer. Each journaled RPC becomes one entry: a POST
// to its Connect path with the request body the journal kept, answered with the HTTP status the
// Connect protocol gives its code (gRPC and gRPC-Web answer 200 with the code in a trailer, shown as
// a header). What HAR has no field for (stages, reason, result_code, ids) goes in `_galaxy`.
import type { JournalBody, JournalEntry } from "../../shared/protocol.js";

/** Connect's HTTP status for each code (connectrpc.com/docs/protocol#error-codes). */
const CONNECT_HTTP_STATUS: Record<string, number> = {
  ok: 200,
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

interface HarHeader {
  name: string;
  value: string;
}

function bodyText(body: JournalBody | undefined): string {
  return body?.text ?? "";
}

function entryOf(e: JournalEntry, origin: string) {
  const status = e.protocol === "connect" ? (CONNECT_HTTP_STATUS[e.code] ?? 500) : 200;
  const total = e.stages.reduce((t, s) => t + s.ms, 0);
  const requestText = bodyText(e.request_body);
  const responseText = bodyText(e.response_body);
  const responseHeaders: HarHeader[] = e.protocol === "connect" ? [] : [{ name: "grpc-status-name", value: e.code }];
  return {
    startedDateTime: new Date(e.at_ms).toISOString(),
    time: total,
    request: {
      method: "POST",
      url: new URL(`/galaxy.gateway.v1.EdgeGateway/${e.rpc}`, origin).href,
      httpVersion: "HTTP/1.1",
      cookies: [],
      headers: [{ name: "x-galaxy-message-type", value: e.message_type }],
      queryString: [],
      postData: { mimeType: "application/json", text: requestText },
      headersSize: -1,
      bodySize: e.request_body?.bytes ?? 0,
    },
    response: {
      status,
      statusText: e.code,
      httpVersion: "HTTP/1.1",
      cookies: [],
      headers: responseHeaders,
      content: { size: e.response_body?.bytes ?? 0, mimeType: "application/json", text: responseText },
      redirectURL: "",
      headersSize: -1,
      bodySize: e.response_body?.bytes ?? 0,
    },
    cache: {},
    timings: { send: 0, wait: total, receive: 0 },
    comment: e.reason ? `${e.code}: ${e.reason}` : e.code,
    _galaxy: {
      seq: e.seq,
      rpc: e.rpc,
      protocol: e.protocol,
      device_session_id: e.device_session_id,
      request_id: e.request_id,
      message_type: e.message_type,
      code: e.code,
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.result_code !== undefined ? { result_code: e.result_code } : {}),
      stages: e.stages,
      request_body_truncated: e.request_body?.truncated ?? false,
      response_body_truncated: e.response_body?.truncated ?? false,
      ...(e.bodies_dropped ? { bodies_dropped: true } : {}),
    },
  };
}

export function journalToHar(entries: readonly JournalEntry[], origin: string, creatorVersion: string) {
  return {
    log: {
      version: "1.2",
      creator: { name: "Galaxy Gateway Emulator console", version: creatorVersion },
      pages: [],
      entries: entries.map((e) => entryOf(e, origin)),
    },
  };
}
