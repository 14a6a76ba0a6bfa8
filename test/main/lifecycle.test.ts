import { describe, expect, it, vi } from "vitest";
import { createGracefulQuit, focusWindow } from "../../src/main/lifecycle.js";

const quitEvent = () => ({ preventDefault: vi.fn() });

describe("graceful quit", () => {
  it("holds the first quit until the emulator closed, then exits 0 — once", async () => {
    let finish!: () => void;
    const close = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const exit = vi.fn();
    const onBeforeQuit = createGracefulQuit({ close, exit });
    const first = quitEvent();
    onBeforeQuit(first);
    expect(first.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(close).toHaveBeenCalledTimes(1));
    expect(exit).not.toHaveBeenCalled();

    const second = quitEvent(); // Cmd-Q hammered while closing
    onBeforeQuit(second);
    expect(second.preventDefault).toHaveBeenCalled();
    expect(close).toHaveBeenCalledTimes(1);

    finish();
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it("exits 1 when closing fails", async () => {
    const exit = vi.fn();
    const log = vi.fn();
    createGracefulQuit({ close: async () => Promise.reject(new Error("port stuck")), exit, log })(quitEvent());
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    expect(log).toHaveBeenCalledWith(expect.stringContaining("port stuck"));
  });

  it("exits 1 when closing hangs past the timeout", async () => {
    const exit = vi.fn();
    createGracefulQuit({ close: () => new Promise(() => {}), exit, timeoutMs: 20 })(quitEvent());
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
  });
});

describe("second instance", () => {
  const window = (minimized: boolean, destroyed = false) => ({
    isDestroyed: () => destroyed,
    isMinimized: () => minimized,
    restore: vi.fn(),
    show: vi.fn(),
    focus: vi.fn(),
  });

  it("restores and focuses the existing window", () => {
    const w = window(true);
    focusWindow(w);
    expect(w.restore).toHaveBeenCalled();
    expect(w.focus).toHaveBeenCalled();
  });

  it("ignores a missing or destroyed window", () => {
    expect(() => focusWindow(null)).not.toThrow();
    const w = window(false, true);
    focusWindow(w);
    expect(w.focus).not.toHaveBeenCalled();
  });
});
