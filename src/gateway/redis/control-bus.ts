// The Redis transport of cluster-control.ts: one Lua script stamps a message with the cluster's epoch
// (`galaxy:control:epoch`, a random id the first publisher of a Redis lifetime sets if none is there)
// and the next version (`galaxy:control:version`), keeps it under its kind in `galaxy:control:latest` when it is state, and
// PUBLISHes it on `galaxy:control` — atomically, so versions are in publish order. Each instance
// subscribes on a connection of its own; on (re)subscribing it reads the kept copies, so one that started
// late or lost its subscription for a while catches up. The keys hold one small entry per kind and so
// have no TTL. The epoch exists because a Redis restarted empty counts versions from 1 again: an
// instance that sees a new epoch knows its remembered versions belong to the old one.
import type { Redis } from "ioredis";
import type { ControlBus, ControlMessage } from "../cluster-control.js";
import { randomUUID } from "node:crypto";
import type { SharedRedis } from "./connection.js";
import { redisUnavailable } from "../store-unavailable.js";

export const CONTROL_KEYS = { version: "galaxy:control:version", latest: "galaxy:control:latest", epoch: "galaxy:control:epoch" } as const;
export const CONTROL_CHANNEL = "galaxy:control";

const PUBLISH = `
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[6]
  redis.call('SET', KEYS[3], epoch)
end
local version = redis.call('INCR', KEYS[1])
local message = cjson.encode({ kind = ARGV[1], epoch = epoch, version = version, origin = ARGV[2], payload = ARGV[3] })
if ARGV[4] == '1' then redis.call('HSET', KEYS[2], ARGV[1], message) end
redis.call('PUBLISH', ARGV[5], message)
return version
`;

interface ControlCommands {
  galaxyControlPublish(versionKey: string, latestKey: string, epochKey: string, ...args: string[]): Promise<number>;
}

/** The wire form: the payload travels as JSON text inside the message. */
function parseMessage(text: string): ControlMessage | undefined {
  try {
    const raw = JSON.parse(text) as { kind: string; epoch: string; version: number; origin: string; payload: string };
    return { kind: raw.kind, epoch: raw.epoch, version: raw.version, origin: raw.origin, payload: JSON.parse(raw.payload) };
  } catch {
    return undefined;
  }
}

export class RedisControlBus implements ControlBus {
  private readonly redis: Redis & ControlCommands;
  private subscriber: Redis | undefined;

  constructor(private readonly shared: SharedRedis) {
    shared.client.defineCommand("galaxyControlPublish", { numberOfKeys: 3, lua: PUBLISH });
    this.redis = shared.client as Redis & ControlCommands;
  }

  async publish(kind: string, origin: string, payload: unknown, latest: boolean): Promise<void> {
    // A fresh candidate epoch each time: used only if this is the first publish since Redis started empty.
    const epoch = randomUUID();
    await this.redis
      .galaxyControlPublish(CONTROL_KEYS.version, CONTROL_KEYS.latest, CONTROL_KEYS.epoch, kind, origin, JSON.stringify(payload), latest ? "1" : "0", CONTROL_CHANNEL, epoch)
      .catch((err: unknown) => {
        throw new Error(redisUnavailable(err), { cause: err });
      });
  }

  async start(deliver: (message: ControlMessage) => void): Promise<void> {
    const subscriber = this.shared.duplicate();
    this.subscriber = subscriber;
    const catchUp = async () => {
      // Read on the main connection: a subscribed connection cannot send HGETALL.
      const kept = await this.redis.hgetall(CONTROL_KEYS.latest);
      const messages = Object.values(kept).map(parseMessage).filter((m) => m !== undefined);
      for (const message of messages.sort((a, b) => a.version - b.version)) deliver(message);
    };
    subscriber.on("message", (_channel: string, text: string) => {
      const message = parseMessage(text);
      if (message) deliver(message);
    });
    await subscriber.subscribe(CONTROL_CHANNEL);
    await catchUp();
    // ioredis resubscribes after a reconnect; what was published meanwhile is read from the copy.
    subscriber.on("ready", () => void catchUp().catch(() => {}));
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
  }
}
