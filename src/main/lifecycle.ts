// App lifecycle pieces that need no Electron: the graceful quit and the second-instance focus.

export interface GracefulQuitOptions {
  /** Stops the embedded emulator (gateway push hub, then HTTP, then the mock backend). */
  close: () => Promise<void>;
  /** `app.exit`: quits without emitting before-quit again. */
  exit: (code: number) => void;
  /** A close that hangs must not keep a zombie app alive. */
  timeoutMs?: number;
  log?: (message: string) => void;
}

/**
 * The `before-quit` listener: the first quit is held back until the emulator has closed its
 * listeners and state, then the app exits (0, or 1 when closing failed or timed out). Quits asked
 * for meanwhile are held back too, so the app never dies half-closed.
 */
export function createGracefulQuit(options: GracefulQuitOptions): (event: { preventDefault(): void }) => void {
  const log = options.log ?? (() => {});
  let closing = false;
  return (event) => {
    event.preventDefault();
    if (closing) return;
    closing = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), options.timeoutMs ?? 10_000);
    });
    Promise.race([Promise.resolve().then(options.close), timeout]).then(
      () => {
        clearTimeout(timer);
        options.exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        log(`emulator did not close cleanly: ${String(error)}`);
        options.exit(1);
      },
    );
  };
}

export interface FocusableWindow {
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

/** `second-instance`: bring the existing window forward instead of starting a second emulator. */
export function focusWindow(window: FocusableWindow | null | undefined): void {
  if (!window || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
