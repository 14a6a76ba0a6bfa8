// IPC between the preload bridge and the main process: a handler for each IPC_CHANNELS entry and
// nothing else. Every call must come from the console's main frame — not from an iframe, not from
// a page that somehow navigated elsewhere — and carry a payload of the contract's shape.
import { IPC_CHANNELS, type StoredDevice } from "../shared/bridge.js";
import { isConsoleUrl } from "./origin.js";
import { parseDevices, parsePreferences } from "./payloads.js";

export class UntrustedSenderError extends Error {
  override name = "UntrustedSenderError";
}

/** The parts of IpcMainInvokeEvent the check reads. */
export interface SenderEvent {
  readonly senderFrame: { readonly url: string; readonly parent: unknown; readonly detached?: boolean } | null;
}

export function assertTrustedSender(event: SenderEvent, consoleOrigin: string): void {
  let frame: SenderEvent["senderFrame"];
  try {
    // Reading senderFrame after the frame navigated away or was destroyed yields null (or throws
    // on some versions): either way the sender is no longer a console page.
    frame = event.senderFrame;
  } catch {
    frame = null;
  }
  if (!frame) throw new UntrustedSenderError("IPC rejected: the sender frame is gone");
  if (frame.detached === true) throw new UntrustedSenderError("IPC rejected: the sender frame is detached");
  if (frame.parent !== null) throw new UntrustedSenderError("IPC rejected: only the console's main frame may call");
  if (!isConsoleUrl(frame.url, consoleOrigin)) {
    throw new UntrustedSenderError("IPC rejected: the sender is not the console origin");
  }
}

/** What the handlers delegate to (implemented by secure-store.ts). */
export interface BridgeStore {
  loadDevices(): Promise<StoredDevice[]>;
  saveDevices(devices: StoredDevice[]): Promise<void>;
  loadPreferences(): Promise<Record<string, unknown>>;
  savePreferences(preferences: Record<string, unknown>): Promise<void>;
}

/** The slice of ipcMain this needs (Electron's IpcMain satisfies it). */
export interface IpcHandlerRegistry {
  handle(channel: string, listener: (event: SenderEvent, ...args: unknown[]) => Promise<unknown>): void;
}

export type BridgeHandlers = Record<(typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS], (event: SenderEvent, ...args: unknown[]) => Promise<unknown>>;

export function createBridgeHandlers(options: { consoleOrigin: string; store: BridgeStore }): BridgeHandlers {
  const { consoleOrigin, store } = options;
  const guarded =
    <T>(body: (args: unknown[]) => Promise<T>) =>
    async (event: SenderEvent, ...args: unknown[]): Promise<T> => {
      assertTrustedSender(event, consoleOrigin);
      return body(args);
    };
  return {
    [IPC_CHANNELS.loadDevices]: guarded(() => store.loadDevices()),
    [IPC_CHANNELS.saveDevices]: guarded((args) => store.saveDevices(parseDevices(args[0]))),
    [IPC_CHANNELS.loadPreferences]: guarded(() => store.loadPreferences()),
    [IPC_CHANNELS.savePreferences]: guarded((args) => store.savePreferences(parsePreferences(args[0]))),
  };
}

export function registerBridgeHandlers(
  ipcMain: IpcHandlerRegistry,
  options: { consoleOrigin: string; store: BridgeStore },
): void {
  for (const [channel, handler] of Object.entries(createBridgeHandlers(options))) {
    ipcMain.handle(channel, handler);
  }
}
