// Cluster-wide control mutations: what the control plane changes on one instance (a config PATCH, a
// reset, a key rotation …) reaches every instance of a cluster, so a client sees one emulator whichever
// instance it lands on. Generic on purpose: a feature adds its own kind with one `register` call (its
// apply function) and one `publish` after its local change; the transport (a ControlBus: Redis pub/sub
// plus a versioned copy, redis/control-bus.ts) is not its concern. Without a bus (one process) publish
// does nothing: the local change was the whole change.
//
// Rules:
// - The instance that takes the request validates and applies it locally, then publishes the *result*
//   (the whole config, not the patch): applying it elsewhere needs no validation that could differ and
//   is idempotent. Last writer wins between concurrent changes on two instances.
// - Every message gets a cluster-wide (epoch, version); an instance applies a kind's message only if it is newer
//   than the last it applied of that kind. State (`latest`) is applied even when it is the instance's
//   own: with two changes made at once on A and B, B may receive A's (older) one after making its own,
//   and only applying every state message in version order leaves all instances on the same last one.
//   Events are never applied twice on the instance that made them. Versions count within an epoch:
//   a Redis restarted empty starts a new epoch (and counts from 1 again), so an instance that sees a
//   new epoch forgets the versions it remembers and applies what comes, instead of dropping every
//   later change as old.
// - Kinds marked `latest` keep their newest message in the cluster's copy: an instance that starts (or
//   whose subscription reconnects) applies it, so it catches up on what happened while it was away.
//   Events (reset, rotation) are not kept: a late joiner has nothing to reset, and loads the key file.

export interface ControlMutation<T> {
  kind: string;
  /** Keep the newest payload for instances that join (or reconnect) later: true for state, false for events. */
  latest: boolean;
  /** Applies what another instance published (already validated and applied there). */
  apply(payload: T): void | Promise<void>;
}

export interface ControlMessage {
  kind: string;
  /** Names the bus's current lifetime (a Redis restarted empty starts a new one); versions count within it. */
  epoch: string;
  /** Cluster-wide, increasing within an epoch. */
  version: number;
  /** The instance that published it. */
  origin: string;
  payload: unknown;
}

/** Carries messages between instances. */
export interface ControlBus {
  /** Stamps the message with the next version, keeps it if `latest`, delivers it to every instance. */
  publish(kind: string, origin: string, payload: unknown, latest: boolean): Promise<void>;
  /**
   * Starts delivering messages; `deliver` gets, in order, the kept copies (now, and again after a lost
   * subscription comes back) and every message published from then on.
   */
  start(deliver: (message: ControlMessage) => void): Promise<void>;
  close(): Promise<void>;
}

export class ClusterControl {
  private readonly mutations = new Map<string, ControlMutation<never>>();
  private readonly appliedVersion = new Map<string, number>();
  /** The epoch `appliedVersion` counts in. */
  private epoch: string | undefined;
  /** Remote messages are applied one at a time, in the order they came. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly instanceId: string,
    private readonly bus?: ControlBus,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  register<T>(mutation: ControlMutation<T>): void {
    if (this.mutations.has(mutation.kind)) throw new Error(`control mutation ${mutation.kind} is registered twice`);
    this.mutations.set(mutation.kind, mutation as ControlMutation<never>);
  }

  /** Tells the other instances about a change this one has made; rejects if the bus cannot take it. */
  async publish(kind: string, payload: unknown): Promise<void> {
    const mutation = this.mutations.get(kind);
    if (!mutation) throw new Error(`control mutation ${kind} is not registered`);
    await this.bus?.publish(kind, this.instanceId, payload, mutation.latest);
  }

  /** Subscribes and catches up (after every register call). */
  async start(): Promise<void> {
    await this.bus?.start((message) => {
      this.queue = this.queue.then(() => this.apply(message)).catch(this.onError);
    });
    await this.queue;
  }

  /** Resolves once every message received so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  async close(): Promise<void> {
    await this.bus?.close();
  }

  private async apply(message: ControlMessage): Promise<void> {
    const mutation = this.mutations.get(message.kind);
    // A kind this instance does not know (a newer version of the emulator in the same cluster): skip.
    if (!mutation) return;
    if (message.epoch !== this.epoch) {
      this.epoch = message.epoch;
      this.appliedVersion.clear();
    }
    if (message.version <= (this.appliedVersion.get(message.kind) ?? 0)) return;
    this.appliedVersion.set(message.kind, message.version);
    if (message.origin === this.instanceId && !mutation.latest) return;
    await mutation.apply(message.payload as never);
  }
}
