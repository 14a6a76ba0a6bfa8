// A fake backend on a real socket that knows one active device session and answers every routed
// call with `userReply`; either part can be told to hang (never answer) for deadline tests.
import { toBase64Url } from "../../src/shared/bytes.js";
import { generateSeed, publicKeyFromSeed } from "../../src/shared/ed25519.js";
import type { DeviceIdentity } from "../../src/shared/sdk.js";
import { startHttpServer, type FakeBackend } from "../hardening/support.js";

export interface OneDeviceBackend extends FakeBackend {
  device: DeviceIdentity;
  /** Set to make the session lookup or the routed calls hang from the next request on. */
  hangs: { session: boolean; user: boolean };
  /** Resolves once the next request of that part arrives and is left hanging: the call now waits on it. */
  hung(part: HangingPart): Promise<void>;
}

type HangingPart = "session" | "user";

export async function startOneDeviceBackend(userReply: unknown = { user_id: "u_one" }): Promise<OneDeviceBackend> {
  const seed = generateSeed();
  const device = { deviceSessionId: "ds_one", seed };
  const session = {
    device_session_id: device.deviceSessionId,
    user_id: "u_one",
    client_public_key: toBase64Url(publicKeyFromSeed(seed)),
    status: "active",
    created_at_ms: 1,
  };
  const hangs = { session: false, user: false };
  const hangWaiters: Record<HangingPart, (() => void)[]> = { session: [], user: [] };
  const hang = (part: HangingPart) => {
    for (const wake of hangWaiters[part].splice(0)) wake();
  };
  const server = await startHttpServer((req, res) => {
    req.resume();
    const url = req.url ?? "";
    const reply = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.startsWith("/api/v1/internal/sessions/")) return hangs.session ? hang("session") : reply(session);
    if (url.startsWith("/api/v1/user/")) return hangs.user ? hang("user") : reply(userReply);
    res.writeHead(404);
    res.end();
  });
  const hung = (part: HangingPart) => new Promise<void>((resolve) => hangWaiters[part].push(resolve));
  return { ...server, device, hangs, hung };
}

/** Rate-limit budgets no test here comes near, for gatewayFor's config. */
const BIG = { rate_per_s: 1e6, burst: 1e6 };
export const UNLIMITED_RATES = { rate_limits: { per_ip: BIG, per_session: BIG, per_user: BIG, per_message_type: BIG } };
