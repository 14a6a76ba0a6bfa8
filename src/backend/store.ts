// The mock backend's in-memory state: users (keyed by normalized email), device sessions,
// email-code challenges and the mailbox of codes "sent". Pure state and bookkeeping; the HTTP
// mapping lives in the *-routes modules.
import { randomBytes } from "node:crypto";
import type { BackendSession, MailboxMessage, SentMail } from "../shared/protocol.js";
import { CHALLENGE_TTL_MS, MAX_CODE_ATTEMPTS } from "../shared/protocol.js";
import { FleetGame, type FleetGameState } from "./fleet-game.js";

export const MAILBOX_CAPACITY = 1_000;
/** Challenges kept at most (oldest first out), so a flood of send-email-code calls stays bounded. */
export const MAX_CHALLENGES = 10_000;
/** Expired challenges are kept this long so that late confirms still answer 410, not "unknown". */
const EXPIRED_CHALLENGE_RETENTION_MS = 60 * 60_000;

export interface User {
  user_id: string;
  email: string;
  display_name: string;
  created_at_ms: number;
  game: FleetGame;
}

export interface Challenge {
  challenge_id: string;
  email: string;
  code: string;
  expires_at_ms: number;
  wrong_attempts: number;
  used: boolean;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function randomId(prefix: string, bytes = 16): string {
  return `${prefix}${randomBytes(bytes).toString("hex")}`;
}

/** The store's persisted form (see persistence.ts). */
export interface StoreState {
  users: (Omit<User, "game"> & { game: FleetGameState })[];
  sessions: BackendSession[];
  challenges: Challenge[];
  mailbox: SentMail[];
}

export class MockStore {
  private readonly usersById = new Map<string, User>();
  private readonly userIdByEmail = new Map<string, string>();
  private readonly sessions = new Map<string, BackendSession>();
  /** Insertion order is creation order, which pruning relies on. */
  private readonly challenges = new Map<string, Challenge>();
  private mailbox: SentMail[] = [];

  constructor(readonly now: () => number) {}

  createChallenge(email: string, code: string): Challenge {
    this.pruneChallenges();
    const challenge: Challenge = {
      challenge_id: randomId("ch_"),
      email: normalizeEmail(email),
      code,
      expires_at_ms: this.now() + CHALLENGE_TTL_MS,
      wrong_attempts: 0,
      used: false,
    };
    this.challenges.set(challenge.challenge_id, challenge);
    if (this.challenges.size > MAX_CHALLENGES) this.challenges.delete(this.challenges.keys().next().value!);
    return challenge;
  }

  challenge(id: string): Challenge | undefined {
    return this.challenges.get(id);
  }

  deliverMail(message: SentMail): void {
    this.mailbox.push(message);
    if (this.mailbox.length > MAILBOX_CAPACITY) this.mailbox = this.mailbox.slice(-MAILBOX_CAPACITY);
  }

  /** The mails (of one address, when given), each with its challenge's state now. */
  mail(email?: string): MailboxMessage[] {
    const wanted = email === undefined ? undefined : normalizeEmail(email);
    const now = this.now();
    return this.mailbox
      .filter((m) => wanted === undefined || m.email === wanted)
      .map((m) => {
        const c = this.challenges.get(m.challenge_id);
        const used = c?.used ?? false;
        const expired = !c || now >= c.expires_at_ms || c.wrong_attempts >= MAX_CODE_ATTEMPTS;
        return { ...m, used, expired: expired && !used };
      });
  }

  /** The user of this email, created on first use. */
  userForEmail(email: string): User {
    const normalized = normalizeEmail(email);
    const existing = this.userIdByEmail.get(normalized);
    if (existing) return this.usersById.get(existing)!;
    const user: User = {
      user_id: randomId("u_", 12),
      email: normalized,
      display_name: normalized.split("@")[0] || normalized,
      created_at_ms: this.now(),
      game: new FleetGame(),
    };
    this.usersById.set(user.user_id, user);
    this.userIdByEmail.set(normalized, user.user_id);
    return user;
  }

  user(userId: string): User | undefined {
    return this.usersById.get(userId);
  }

  /** Every user's id, oldest first. */
  userIds(): string[] {
    return [...this.usersById.keys()];
  }

  createSession(userId: string, clientPublicKey: string): BackendSession {
    const session: BackendSession = {
      device_session_id: randomId("ds_"),
      user_id: userId,
      client_public_key: clientPublicKey,
      status: "active",
      created_at_ms: this.now(),
    };
    this.sessions.set(session.device_session_id, session);
    return session;
  }

  session(id: string): BackendSession | undefined {
    return this.sessions.get(id);
  }

  sessionsOf(userId: string): BackendSession[] {
    return [...this.sessions.values()].filter((s) => s.user_id === userId);
  }

  /**
   * Revokes the user's named session, or all of them when `deviceSessionId` is undefined.
   * Returns the ids that were active and are now revoked.
   */
  revokeSessions(userId: string, deviceSessionId?: string): string[] {
    const revoked: string[] = [];
    for (const s of this.sessionsOf(userId)) {
      if (deviceSessionId !== undefined && s.device_session_id !== deviceSessionId) continue;
      if (s.status === "revoked") continue;
      s.status = "revoked";
      revoked.push(s.device_session_id);
    }
    return revoked;
  }

  /** Users known, and device sessions still active. */
  counts(): { users: number; sessions: number } {
    let sessions = 0;
    for (const s of this.sessions.values()) if (s.status === "active") sessions++;
    return { users: this.usersById.size, sessions };
  }

  toState(): StoreState {
    return {
      users: [...this.usersById.values()].map(({ game, ...user }) => ({ ...user, game: game.toState() })),
      sessions: [...this.sessions.values()].map((s) => ({ ...s })),
      challenges: [...this.challenges.values()].map((c) => ({ ...c })),
      mailbox: this.mailbox.map((m) => ({ ...m })),
    };
  }

  /** Replaces everything with a persisted state (at start, before serving). */
  restore(state: StoreState): void {
    this.reset();
    for (const { game, ...user } of state.users) {
      this.usersById.set(user.user_id, { ...user, game: FleetGame.fromState(game) });
      this.userIdByEmail.set(user.email, user.user_id);
    }
    for (const s of state.sessions) this.sessions.set(s.device_session_id, { ...s });
    for (const c of state.challenges) this.challenges.set(c.challenge_id, { ...c });
    this.mailbox = state.mailbox.slice(-MAILBOX_CAPACITY);
  }

  reset(): void {
    this.usersById.clear();
    this.userIdByEmail.clear();
    this.sessions.clear();
    this.challenges.clear();
    this.mailbox = [];
  }

  private pruneChallenges(): void {
    const cutoff = this.now() - EXPIRED_CHALLENGE_RETENTION_MS;
    for (const [id, c] of this.challenges) {
      if (c.expires_at_ms > cutoff) break;
      this.challenges.delete(id);
    }
  }
}
