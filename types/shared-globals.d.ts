// The globals src/shared uses that every runtime it runs in provides — Node >= 20, browsers, Electron's
// renderer and preload all implement them (WinterTC's "Minimum Common Web API") — but that TypeScript
// declares only in its DOM lib or in @types/node. tsconfig.shared.json type-checks src/shared with the
// ECMAScript lib plus this file and nothing else, so a shared file that reaches for a Node-only or
// DOM-only API (Buffer, process, document, window, localStorage, …) fails `npm run typecheck`.
// Each declaration is the part of the standard signature src/shared calls. Add here only a global that
// every one of those runtimes has; anything else belongs in a runtime's own folder.

declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string;
}

// A timer handle is a number in browsers and an object in Node: shared code only hands it back.
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}
