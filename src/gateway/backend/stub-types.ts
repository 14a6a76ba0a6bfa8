// The message types the mock backend has stub mappings for (README "Your own game"): the routing
// stage routes a type that is in neither the routing table nor here nowhere, but a stubbed type it
// routes to the mock (`POST /api/v1/user/stubs/<type>`), without writing it into the user's `routes`.
// Learned from the backend's GET /emulator/v1/stub-types: after every stubs change through the control
// plane (awaited, so "one POST, then the command" works), at start, when the backend setting changes,
// when the push stream (re)connects (a restarted backend), and, at most once per REFRESH_ON_MISS_MS, when a call names a type found nowhere (stubs added through
// another gateway, a backend restarted with other stubs). A backend without stubs (404) has none.
import type { Route } from "../../shared/protocol.js";
import type { BackendRestClient } from "./rest-client.js";

/**
 * How often a call of an unknown message type may make the gateway ask the backend again. Such calls
 * come from authenticated clients only (routing runs after the signature and rate-limit stages); once
 * a second keeps a flood of them from turning into a flood of backend calls.
 */
export const REFRESH_ON_MISS_MS = 1_000;
/** As many types as the mock can have mappings (src/backend/stubs/stub-store.ts MAX_STUBS). */
const MAX_STUB_TYPES = 1_000;
const MESSAGE_TYPE = /^[A-Za-z0-9._-]{1,128}$/;

export class StubTypes {
  private types = new Set<string>();
  /** Refreshes started so far; a result older than one already applied is dropped. */
  private started = 0;
  private applied = 0;
  private lastMissRefresh = Number.NEGATIVE_INFINITY;
  private latest: Promise<void> | undefined;

  constructor(
    private readonly backend: BackendRestClient,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The route of a stubbed type, or undefined. */
  route(messageType: string): Route | undefined {
    return this.types.has(messageType) ? { method: "POST", path: `stubs/${messageType}` } : undefined;
  }

  /** Asks the backend now; resolves once the answer (or the failure, which keeps what was known) is in. */
  refresh(): Promise<void> {
    const generation = ++this.started;
    const done = this.fetch().then((types) => {
      if (types !== undefined && generation > this.applied) {
        this.applied = generation;
        this.types = types;
      }
    });
    this.latest = done;
    return done;
  }

  /** For a call of an unknown type: refresh, unless one started less than REFRESH_ON_MISS_MS ago (then wait for it). */
  refreshOnMiss(): Promise<void> {
    const now = this.clock();
    if (now - this.lastMissRefresh < REFRESH_ON_MISS_MS) return this.latest ?? Promise.resolve();
    this.lastMissRefresh = now;
    return this.refresh();
  }

  /** The backend's stubbed types; undefined when it could not tell (unreachable, garbage). */
  private async fetch(): Promise<Set<string> | undefined> {
    try {
      const reply = await this.backend.request("GET", "/emulator/v1/stub-types");
      if (reply.status === 404) return new Set(); // a backend without stubs
      if (reply.status !== 200) return undefined;
      const body = JSON.parse(reply.body.toString("utf8")) as { message_types?: unknown };
      if (!Array.isArray(body.message_types)) return undefined;
      const types = body.message_types.filter((t): t is string => typeof t === "string" && MESSAGE_TYPE.test(t));
      return new Set(types.slice(0, MAX_STUB_TYPES));
    } catch {
      return undefined;
    }
  }
}
