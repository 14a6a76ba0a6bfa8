// The playback's emulator-only endpoints, which the gateway's control plane forwards to:
// GET /emulator/v1/playback (what was loaded, the replay's progress) and
// POST /emulator/v1/playback/replay-pushes {"timing": "original" | "fast"}: the recorded push events,
// in their recorded order, through the push log, so they travel the backend push stream like any
// other event. "original" keeps the recorded gaps between them; "fast" sends them all at once.
import { HttpError } from "../../node/http-json.js";
import type { PushRecord } from "../../node/recording-format.js";
import { revokeAndAnnounce } from "../emulator-routes.js";
import { asObject, invalidRequest } from "../http-json.js";
import type { PushLog } from "../push-log.js";
import type { Route } from "../router.js";
import type { MockStore } from "../store.js";
import type { PlaybackSeed } from "./build.js";

export class PushReplay {
  private running: AbortController | undefined;
  private sent = 0;

  constructor(
    private readonly pushes: readonly PushRecord[],
    private readonly store: MockStore,
    private readonly log: PushLog,
  ) {}

  /** Starts a replay; "fast" has appended every event when this returns. One replay at a time. */
  start(timing: "original" | "fast"): void {
    if (this.running) throw new HttpError(409, "replay_running", "a replay of the recorded pushes is still running");
    const abort = (this.running = new AbortController());
    this.sent = 0;
    if (timing === "fast") {
      for (const push of this.pushes) this.send(push);
      this.running = undefined;
      return;
    }
    void this.paced(abort.signal).finally(() => {
      if (this.running === abort) this.running = undefined;
    });
  }

  status(): { running: boolean; sent: number; total: number } {
    return { running: this.running !== undefined, sent: this.sent, total: this.pushes.length };
  }

  /** Stops a replay in progress (reset, shutdown); what was sent stays sent. */
  stop(): void {
    this.running?.abort();
    this.running = undefined;
  }

  private async paced(signal: AbortSignal): Promise<void> {
    let previous = this.pushes[0]?.at_ms ?? 0;
    for (const push of this.pushes) {
      const gap = push.at_ms - previous;
      previous = push.at_ms;
      if (gap > 0 && !(await wait(gap, signal))) return;
      if (signal.aborted) return;
      this.send(push);
    }
  }

  private send(push: PushRecord): void {
    if (push.client_event) {
      const e = push.client_event;
      this.log.appendClientEvent({
        userId: e.user_id,
        deviceSessionId: e.device_session_id,
        eventType: e.event_type,
        ...(e.payload_base64 !== undefined ? { payloadBytes: Buffer.from(e.payload_base64, "base64") } : { payload: e.payload }),
      });
    } else if (push.session_invalidation) {
      const e = push.session_invalidation;
      revokeAndAnnounce(this.store, this.log, { userId: e.user_id, deviceSessionId: e.device_session_id || undefined, reason: e.reason });
    }
    this.sent++;
  }
}

/** Resolves true after `ms`, false when aborted first. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function playbackRoutes(seed: PlaybackSeed, replay: PushReplay): Route[] {
  return [
    {
      method: "GET",
      path: "/emulator/v1/playback",
      handler: () => ({
        body: {
          mode: "playback",
          recording: false,
          dir: seed.dir,
          counts: { stubs: seed.stubs.length, users: seed.store.users.length, sessions: seed.store.sessions.length, pushes: seed.pushes.length, skipped_commands: seed.skipped },
          replay: replay.status(),
        },
      }),
    },
    {
      method: "POST",
      path: "/emulator/v1/playback/replay-pushes",
      async handler(ctx) {
        const body = asObject(await ctx.body());
        for (const key of Object.keys(body)) if (key !== "timing") throw invalidRequest(`${key}: unknown field (allowed: timing)`);
        const timing = body["timing"] ?? "original";
        if (timing !== "original" && timing !== "fast") throw invalidRequest(`timing: must be "original" or "fast"`);
        replay.start(timing);
        return { body: { timing, ...replay.status() } };
      },
    },
  ];
}
