import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { createNavigationGuard, installNavigationGuard, type GuardableContents } from "../../src/main/navigation-guard.js";

const ORIGIN = "http://127.0.0.1:8787";

function event(url?: string) {
  return { url, prevented: false, preventDefault() { this.prevented = true; } };
}

function fakeContents() {
  const emitter = new EventEmitter();
  let windowOpen: ((d: { url: string }) => { action: "deny" }) | undefined;
  const contents = {
    on: (name: string, listener: (...args: any[]) => void) => emitter.on(name, listener),
    setWindowOpenHandler: (h: typeof windowOpen) => (windowOpen = h),
  } as unknown as GuardableContents;
  return { contents, emitter, open: (url: string) => windowOpen!({ url }) };
}

describe("navigation guard", () => {
  const setup = () => {
    const openExternal = vi.fn(async () => {});
    const guard = createNavigationGuard({ consoleOrigin: ORIGIN, openExternal });
    const fake = fakeContents();
    installNavigationGuard(fake.contents, guard);
    return { ...fake, openExternal };
  };

  it("lets the console navigate within its origin", () => {
    const { emitter } = setup();
    for (const name of ["will-navigate", "will-redirect"]) {
      const e = event(`${ORIGIN}/devices?x=1`);
      emitter.emit(name, e, e.url);
      expect(e.prevented).toBe(false);
    }
  });

  it("blocks navigation and redirects to any other origin", () => {
    const { emitter } = setup();
    for (const target of ["https://example.com/", "http://127.0.0.1:8788/", "https://127.0.0.1:8787/", "file:///etc/passwd", "javascript:alert(1)", "about:blank", ""]) {
      for (const name of ["will-navigate", "will-redirect"]) {
        const e = event(target);
        emitter.emit(name, e, target);
        expect(e.prevented, `${name} ${target}`).toBe(true);
      }
    }
  });

  it("guards will-frame-navigate: no frame, main or sub, leaves the console origin", () => {
    const { emitter } = setup();
    expect(emitter.listenerCount("will-frame-navigate")).toBe(1);
    for (const isMainFrame of [true, false]) {
      // Electron passes one argument: the event, carrying url, isMainFrame and the frame.
      const inside = { ...event(`${ORIGIN}/inspector`), isMainFrame };
      emitter.emit("will-frame-navigate", inside);
      expect(inside.prevented).toBe(false);
      for (const target of ["https://example.com/", "http://127.0.0.1:8788/", "file:///etc/passwd", "javascript:alert(1)", "about:blank", "data:text/html,x", ""]) {
        const e = { ...event(target), isMainFrame };
        emitter.emit("will-frame-navigate", e);
        expect(e.prevented, `${isMainFrame ? "main" : "sub"} frame to ${target}`).toBe(true);
      }
    }
  });

  it("falls back to the positional url when the event carries none", () => {
    const { emitter } = setup();
    const e = event(undefined);
    emitter.emit("will-navigate", e, "https://example.com/");
    expect(e.prevented).toBe(true);
  });

  it("denies every new window, opening only https links in the OS browser", async () => {
    const { open, openExternal } = setup();
    expect(open("https://example.com/docs")).toEqual({ action: "deny" });
    expect(open("http://example.com/")).toEqual({ action: "deny" });
    expect(open(`${ORIGIN}/popup`)).toEqual({ action: "deny" });
    expect(open("file:///etc/passwd")).toEqual({ action: "deny" });
    expect(open("mailto:a@b.c")).toEqual({ action: "deny" });
    await Promise.resolve();
    expect(openExternal.mock.calls).toEqual([["https://example.com/docs"]]);
  });

  it("survives a failing openExternal", async () => {
    const log = vi.fn();
    const guard = createNavigationGuard({ consoleOrigin: ORIGIN, openExternal: () => Promise.reject(new Error("no browser")), log });
    expect(guard.windowOpenHandler({ url: "https://example.com/" })).toEqual({ action: "deny" });
    await vi.waitFor(() => expect(log).toHaveBeenCalledWith(expect.stringContaining("no browser")));
  });

  it("refuses to attach <webview> guests", () => {
    const { emitter } = setup();
    const e = event();
    emitter.emit("will-attach-webview", e, {}, { src: ORIGIN });
    expect(e.prevented).toBe(true);
  });
});
