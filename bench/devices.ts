// Setting up the emulator under test over its public and control-plane HTTP surface: raised
// budgets, signed-in devices (email code read from the mailbox), the gateway's public key.
import { randomBytes } from "node:crypto";
import { privateKeyFromSeed } from "../src/gateway/signing/ed25519-node.js";
import type { BenchDevice } from "./requests.js";

const UNLIMITED = { rate_per_s: 1e9, burst: 1e9 };

async function json(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function post(url: string, body: unknown, method = "POST"): Promise<any> {
  return json(url, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** The bench measures throughput, not the anti-abuse budgets: raise every one of them. */
export async function raiseBudgets(baseUrl: string): Promise<void> {
  await post(
    `${baseUrl}/emulator/v1/config`,
    {
      rate_limits: { per_ip: UNLIMITED, per_session: UNLIMITED, per_user: UNLIMITED, per_message_type: UNLIMITED },
      public_rate_limits: { per_ip: UNLIMITED, per_email: UNLIMITED, per_challenge: UNLIMITED },
    },
    "PATCH",
  );
}

export async function gatewayPublicKey(baseUrl: string): Promise<Buffer> {
  const info = await json(`${baseUrl}/api/v1/public/gateway/info`);
  return Buffer.from(info.response_signing_public_key, "base64url");
}

/** The email-code flow through the gateway's public REST (PROTOCOL.md §3). */
export async function signIn(baseUrl: string, email: string): Promise<BenchDevice> {
  const sent = await post(`${baseUrl}/api/v1/public/auth/send-email-code`, { email });
  const mailbox = await json(`${baseUrl}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`);
  const message = mailbox.messages.findLast((m: { challenge_id: string }) => m.challenge_id === sent.challenge_id);
  if (!message) throw new Error(`no mailbox message for ${email}`);
  const seed = randomBytes(32);
  const confirmed = await post(`${baseUrl}/api/v1/public/auth/confirm-email-code`, {
    challenge_id: sent.challenge_id,
    code: message.code,
    client_public_key: Buffer.from(privateKeyFromSeed(seed).publicKey).toString("base64url"),
  });
  return { deviceSessionId: confirmed.device_session_id, userId: confirmed.user_id, seed: seed.toString("base64") };
}

/** `count` devices; with `sameUser` they all belong to one account (one email), else one account each. */
export async function signInDevices(baseUrl: string, count: number, label: string, sameUser = false): Promise<BenchDevice[]> {
  const devices: BenchDevice[] = [];
  const batch = 25;
  for (let i = 0; i < count; i += batch) {
    const emails = Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
      sameUser ? `${label}@bench.example.com` : `${label}-${i + j}@bench.example.com`,
    );
    devices.push(...(await Promise.all(emails.map((email) => signIn(baseUrl, email)))));
  }
  return devices;
}

/**
 * The gateway caches session lookups only once it knows its backend push stream is connected, i.e.
 * once the stream's response headers arrived; connect-node servers (the mock) send them with the
 * first event. One push (to a user with no streams) gets the stream into that state.
 */
export async function primePushStream(baseUrl: string, userId: string): Promise<void> {
  await post(`${baseUrl}/emulator/v1/push`, { client_event: { user_id: userId, event_type: "bench.prime", payload: {} } });
  await new Promise((resolve) => setTimeout(resolve, 300));
}
