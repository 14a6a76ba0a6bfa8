import { describe, expect, it, vi } from "vitest";
import { IPC_CHANNELS } from "../../src/shared/bridge.js";
import { assertTrustedSender, createBridgeHandlers, registerBridgeHandlers, UntrustedSenderError, type BridgeStore, type SenderEvent } from "../../src/main/ipc.js";
import { InvalidPayloadError } from "../../src/main/payloads.js";
import { CONSOLE_ORIGIN, device } from "./fixtures.js";

const mainFrame = (url: string): SenderEvent => ({ senderFrame: { url, parent: null } });
const trusted = mainFrame(`${CONSOLE_ORIGIN}/`);

describe("IPC sender validation", () => {
  it("accepts the console origin's main frame", () => {
    expect(() => assertTrustedSender(trusted, CONSOLE_ORIGIN)).not.toThrow();
    expect(() => assertTrustedSender(mainFrame(`${CONSOLE_ORIGIN}/deep/path?q#h`), CONSOLE_ORIGIN)).not.toThrow();
  });

  it.each([
    ["another origin", mainFrame("https://evil.example/")],
    ["another port", mainFrame("http://127.0.0.1:8788/")],
    ["another scheme", mainFrame("https://127.0.0.1:8787/")],
    ["localhost alias", mainFrame("http://localhost:8787/")],
    ["about:blank", mainFrame("about:blank")],
    ["a file page", mainFrame("file:///app/index.html")],
    ["a data URL", mainFrame("data:text/html,hi")],
    ["a subframe of the console", { senderFrame: { url: `${CONSOLE_ORIGIN}/`, parent: { url: `${CONSOLE_ORIGIN}/` } } }],
    ["a missing frame", { senderFrame: null }],
    ["a detached frame", { senderFrame: { url: `${CONSOLE_ORIGIN}/`, parent: null, detached: true } }],
    ["a frame that throws when read", Object.defineProperty({}, "senderFrame", { get() { throw new Error("destroyed"); } }) as SenderEvent],
  ])("rejects %s", (_name, event) => {
    expect(() => assertTrustedSender(event, CONSOLE_ORIGIN)).toThrow(UntrustedSenderError);
  });
});

function fakeStore(): BridgeStore & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    loadDevices: async () => (calls.push(["loadDevices"]), [device()]),
    saveDevices: async (d) => void calls.push(["saveDevices", d]),
    loadPreferences: async () => (calls.push(["loadPreferences"]), { a: 1 }),
    savePreferences: async (p) => void calls.push(["savePreferences", p]),
  };
}

describe("IPC handlers", () => {
  it("registers exactly the bridge channels", () => {
    const handle = vi.fn();
    registerBridgeHandlers({ handle }, { consoleOrigin: CONSOLE_ORIGIN, store: fakeStore() });
    expect(handle.mock.calls.map((c) => c[0]).sort()).toEqual(Object.values(IPC_CHANNELS).sort());
  });

  it("delegates trusted, valid calls to the store", async () => {
    const store = fakeStore();
    const h = createBridgeHandlers({ consoleOrigin: CONSOLE_ORIGIN, store });
    await expect(h[IPC_CHANNELS.loadDevices](trusted)).resolves.toEqual([device()]);
    await expect(h[IPC_CHANNELS.saveDevices](trusted, [device()])).resolves.toBeUndefined();
    await expect(h[IPC_CHANNELS.loadPreferences](trusted)).resolves.toEqual({ a: 1 });
    await expect(h[IPC_CHANNELS.savePreferences](trusted, { theme: "dark" })).resolves.toBeUndefined();
    expect(store.calls).toEqual([["loadDevices"], ["saveDevices", [device()]], ["loadPreferences"], ["savePreferences", { theme: "dark" }]]);
  });

  it("rejects untrusted senders before touching the store, on every channel", async () => {
    const store = fakeStore();
    const h = createBridgeHandlers({ consoleOrigin: CONSOLE_ORIGIN, store });
    for (const handler of Object.values(h)) {
      await expect(handler(mainFrame("https://evil.example/"), [device()])).rejects.toThrow(UntrustedSenderError);
      await expect(handler({ senderFrame: null }, {})).rejects.toThrow(UntrustedSenderError);
    }
    expect(store.calls).toEqual([]);
  });

  it("rejects malformed payloads before touching the store", async () => {
    const store = fakeStore();
    const h = createBridgeHandlers({ consoleOrigin: CONSOLE_ORIGIN, store });
    await expect(h[IPC_CHANNELS.saveDevices](trusted, [{ ...device(), seedHex: "zz" }])).rejects.toThrow(InvalidPayloadError);
    await expect(h[IPC_CHANNELS.saveDevices](trusted)).rejects.toThrow(InvalidPayloadError);
    await expect(h[IPC_CHANNELS.savePreferences](trusted, "x".repeat(10))).rejects.toThrow(InvalidPayloadError);
    await expect(h[IPC_CHANNELS.savePreferences](trusted, { big: "x".repeat(70_000) })).rejects.toThrow(InvalidPayloadError);
    expect(store.calls).toEqual([]);
  });
});
