// `npx tsx bench/probe-push-headers.ts`: starts the emulator, injects no push, and prints the push
// stream errors the gateway's dispatcher reports in 12 s. The mock backend (connect-node) sends the
// SubscribePush response headers only with the first event, so the dispatcher never counts itself
// "connected" (session lookups stay uncached) and, with its 5 s header deadline, reconnects every 5 s.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../src/emulator/start.js";
const errors: string[] = [];
const t0 = Date.now();
const emu = await startEmulator({ port: 0, stateDir: mkdtempSync(path.join(os.tmpdir(), "gge-probe-")), onPushError: (e) => errors.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${String(e).slice(0, 90)}`) });
await new Promise((r) => setTimeout(r, 12_000));
console.log(`push-stream errors in 12 s with no events:\n${errors.join("\n") || "(none)"}`);
await emu.close(); process.exit(0);
