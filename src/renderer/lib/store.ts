// The renderer's one state pattern: a small external store. It holds an immutable snapshot and tells
// its listeners when a new one replaces it; React reads it with useSyncExternalStore (state/context.tsx),
// so a component re-renders when, and only when, the snapshot it reads changes. Stores live in
// objects the app root creates once (state/console.ts), never in module variables.

/** What useSyncExternalStore reads. */
export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

export class Store<T> implements ExternalStore<T> {
  private snapshot: T;
  private readonly listeners = new Set<() => void>();

  constructor(initial: T) {
    this.snapshot = initial;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): T => this.snapshot;

  /** Replaces the snapshot (a new object: snapshots are never mutated) and notifies. */
  set(next: T): void {
    if (Object.is(next, this.snapshot)) return;
    this.snapshot = next;
    for (const listener of [...this.listeners]) listener();
  }

  update(change: (current: T) => T): void {
    this.set(change(this.snapshot));
  }
}
