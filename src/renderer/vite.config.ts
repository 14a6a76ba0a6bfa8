// Vite config of the renderer: the same bundle runs in Electron (served by the embedded gateway)
// and in any browser as the web console (served by the headless emulator at `/`).
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../../dist/renderer", import.meta.url)),
    emptyOutDir: true,
    // The page is served with a strict CSP (no inline scripts): keep every script external.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    target: "es2022",
    // One local chunk (React, protobuf, noble): loaded from the same machine, no point splitting.
    chunkSizeWarningLimit: 700,
  },
});
