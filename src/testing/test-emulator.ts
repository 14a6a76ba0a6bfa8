// startTestEmulator: an in-process emulator for a client's test suite (vitest, jest, node:test) — a free
// loopback port, a temporary state directory removed on close, relaxed rate limits, and SDK clients
// signed in through the emulator's mailbox, pinned to this emulator's key.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmulator, type EmulatorOptions } from "../emulator/start.js";
import type { EmulatorConfig, JournalEntry, MailboxMessage } from "../shared/protocol.js";
import { createGatewayClient, type GatewayClient, type GatewayClientOptions, type Protocol } from "../sdk/client.js";
import { collection, createControlPlane, type CollectionHandle } from "./control-plane.js";
import { checkFilter, matches, readJournal, type JournalFilter } from "./journal.js";

export interface TestEmulatorOptions {
  /** Protocol of the clients `signIn` and `client` make (default "connect"). */
  protocol?: Protocol;
  /** Freshness window of signed requests (default 60 000 ms). */
  freshnessMs?: number;
  /** Browser origins granted CORS (default: loopback, any port). */
  corsOrigins?: string[];
  /** Require `Authorization: Bearer <token>` on the control plane (the kit sends it). */
  accessToken?: string;
  /** Port to listen on (default 0: a free one). */
  port?: number;
  /**
   * Keep the gateway's default rate limits (20 sign-ins per IP, 5 codes per e-mail, 20 commands of a
   * type in a burst…). Default false: the kit raises them, because a test suite signs in and calls from
   * one address far faster than players do; tests of rate limiting turn this on or patch the config.
   */
  productionRateLimits?: boolean;
  /** Settings to apply after start (`PATCH /emulator/v1/config`), e.g. `{ clock_offset_ms: 5000 }`. */
  config?: Record<string, unknown>;
}

export interface PushedEvent {
  userId: string;
  /** Only this device session (default: all of the user's). */
  deviceSessionId?: string;
  eventType: string;
  payload?: Record<string, unknown>;
}

export interface TestEmulator {
  /** The gateway's origin: give it to your client as its gateway URL. */
  url: string;
  /** The gateway's response-signing key, base64url (what clients pin). */
  gatewayPublicKey: string;
  /** The temporary state directory (gateway key, mock backend state); removed by `close`. */
  stateDir: string;
  /** A new SDK client for this emulator (not signed in), pinned to its key. */
  client(options?: Partial<GatewayClientOptions>): GatewayClient;
  /** Signs `email` in through the public REST, reading the code from the mailbox (default: a fresh address). */
  signIn(email?: string, options?: Partial<GatewayClientOptions>): Promise<GatewayClient>;
  /** The codes the mock backend "sent", newest last. */
  mailbox(email?: string): Promise<MailboxMessage[]>;
  /** Injects a backend push (`client_event`); resolves with its event id. */
  push(event: PushedEvent): Promise<{ eventId: string }>;
  /** Injects a session invalidation: the session (or all of the user's) is revoked, its streams end. */
  revoke(target: { userId: string; deviceSessionId?: string; reason?: string }): Promise<{ eventId: string }>;
  journal: {
    /** Every journaled call, oldest first. */
    entries(afterSeq?: number): Promise<JournalEntry[]>;
    /** The calls that reached the gateway matching every field of `filter`, with their stage verdicts. */
    find(filter?: JournalFilter): Promise<JournalEntry[]>;
  };
  config: {
    get(): Promise<EmulatorConfig>;
    patch(patch: Record<string, unknown>): Promise<EmulatorConfig>;
  };
  /** `/emulator/v1/stubs` (stub mappings, README "Your own game"): add, list, get, remove, clear. */
  stubs: CollectionHandle;
  /** `/emulator/v1/faults` (fault injection, README "Faults"): add, list, get, remove, clear. */
  faults: CollectionHandle;
  /** Clears sessions, challenges, mailbox, replay store, buckets and journal (`POST /emulator/v1/reset`). */
  reset(): Promise<void>;
  /** Stops the emulator and removes its state directory. */
  close(): Promise<void>;
}

/** Budgets a test suite does not hit: 10 000 in a burst, 1 000 per second. */
const RELAXED = { rate_per_s: 1_000, burst: 10_000 };

export async function startTestEmulator(options: TestEmulatorOptions = {}): Promise<TestEmulator> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), "galaxy-test-emulator-"));
  const emulatorOptions: EmulatorOptions = {
    port: options.port ?? 0,
    stateDir,
    ...(options.freshnessMs !== undefined ? { freshnessMs: options.freshnessMs } : {}),
    ...(options.corsOrigins !== undefined ? { corsOrigins: options.corsOrigins } : {}),
    ...(options.accessToken !== undefined ? { accessToken: options.accessToken } : {}),
  };
  let emulator;
  try {
    emulator = await startEmulator(emulatorOptions);
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  const running = emulator;
  const url = running.url;
  const control = createControlPlane(url, options.accessToken);
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      try {
        await running.close();
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    })());

  let gatewayPublicKey: string;
  try {
    if (!options.productionRateLimits) {
      await control.patchConfig({
        rate_limits: { per_ip: RELAXED, per_session: RELAXED, per_user: RELAXED, per_message_type: RELAXED },
        public_rate_limits: { per_ip: RELAXED, per_email: RELAXED, per_challenge: RELAXED },
      });
    }
    if (options.config) await control.patchConfig(options.config);
    gatewayPublicKey = (await createGatewayClient({ baseUrl: url }).gatewayInfo()).response_signing_public_key;
  } catch (err) {
    await close();
    throw err;
  }

  const client = (overrides: Partial<GatewayClientOptions> = {}) =>
    createGatewayClient({ baseUrl: url, protocol: options.protocol ?? "connect", gatewayPublicKey, ...overrides });

  return {
    url,
    gatewayPublicKey,
    stateDir,
    client,
    async signIn(email = `pilot-${crypto.randomUUID()}@example.com`, overrides = {}) {
      const signingIn = client(overrides);
      const { challengeId } = await signingIn.sendEmailCode(email);
      const mail = (await control.mailbox(email)).findLast((m) => m.challenge_id === challengeId);
      if (!mail) throw new Error(`no code was mailed to ${email} for challenge ${challengeId}`);
      await signingIn.confirmEmailCode(challengeId, mail.code);
      return signingIn;
    },
    mailbox: (email) => control.mailbox(email),
    async push(event) {
      const { event_id } = await control.push({
        client_event: {
          user_id: event.userId,
          ...(event.deviceSessionId !== undefined ? { device_session_id: event.deviceSessionId } : {}),
          event_type: event.eventType,
          payload: event.payload ?? {},
        },
      });
      return { eventId: event_id };
    },
    async revoke(target) {
      const { event_id } = await control.push({
        session_invalidation: {
          user_id: target.userId,
          ...(target.deviceSessionId !== undefined ? { device_session_id: target.deviceSessionId } : {}),
          reason: target.reason ?? "revoked_by_test",
        },
      });
      return { eventId: event_id };
    },
    journal: {
      entries: (afterSeq) => readJournal(control, afterSeq),
      find: async (filter = {}) => {
        checkFilter(filter);
        return (await readJournal(control, filter.afterSeq)).filter((entry) => matches(entry, filter));
      },
    },
    config: {
      get: () => control.config(),
      patch: (patch) => control.patchConfig(patch),
    },
    stubs: collection(control, { path: "/emulator/v1/stubs", listKey: "stubs", clearedKey: "deleted" }),
    faults: collection(control, { path: "/emulator/v1/faults", listKey: "faults", clearedKey: "removed" }),
    reset: () => control.reset(),
    close,
  };
}
