// The runtime table of docs/ARCHITECTURE.md ("Tree, by runtime"), enforced by `npm run lint`.
// Each folder of src/ has ONE rule, an allowed list: a dependency of a file in that folder breaks the
// rule unless it goes to a folder or npm package the list names, or — in the Node folders only — to a
// Node built-in (`fs` as well as `node:fs`). Every way a file can depend on a module counts: static,
// side-effect, dynamic and type-only imports, `export … from`, `require(...)`, `import x = require(...)`
// and `process.getBuiltinModule(...)`. test/architecture.test.ts proves each kind is caught.
// bench/, test/ and scripts/ are tooling and may import anything, so they are not cruised.

/** src/ folders and npm packages (`@noble/*`: every package of that scope) as dependency-cruiser path patterns. */
function patterns(names) {
  return names.map((name) => {
    const escaped = name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]+");
    return name.startsWith("src/") ? `^${escaped}/` : `^node_modules/${escaped}/`;
  });
}

// Pure code that runs anywhere (Node, browser, Electron renderer and preload): none of Node's built-ins,
// and only packages that are plain ECMAScript themselves. tsconfig.shared.json keeps out Node's and the
// DOM's globals the same way.
const SHARED = ["src/shared", "@bufbuild/protobuf", "@noble/*"];
// What both Node sides of the wire (gateway, mock backend) build on; they never import each other.
const NODE_SIDE = [...SHARED, "src/node", "@connectrpc/connect", "@connectrpc/connect-node"];

/** folder → [its runtime, what it may import besides itself, whether Node's built-ins are allowed] */
const ROOMS = {
  shared: ["every runtime", SHARED, false],
  node: ["Node: helpers the Node folders share", SHARED, true],
  // ioredis: cluster mode's shared stores (src/gateway/redis/). sodium-native: Ed25519 (signing/ed25519-node.ts).
  gateway: ["Node: the gateway", [...NODE_SIDE, "ioredis", "lru-cache", "sodium-native", "undici", "zod"], true],
  backend: ["Node: the mock backend", NODE_SIDE, true],
  emulator: ["Node: composition root", [...SHARED, "src/node", "src/gateway", "src/backend"], true],
  // A client of any gateway, from outside: it sees the gateway only through the wire, as users do.
  conform: ["Node: the conformance checks", [...SHARED, "src/node", "@connectrpc/connect", "@connectrpc/connect-node"], true],
  cli: ["Node: the command lines", [...SHARED, "src/node", "src/gateway", "src/backend", "src/emulator", "src/conform"], true],
  main: ["Electron main", [...SHARED, "src/node", "src/emulator", "electron"], true],
  // A sandboxed preload gets `electron` and a few polyfilled built-ins it has no use for.
  preload: ["Electron's sandboxed preload", [...SHARED, "electron"], false],
  // The client SDK runs in browsers and Node alike: connect-web's fetch transports, no Node built-ins
  // (tsconfig.sdk.json and tsconfig.node.json check its globals from both sides).
  sdk: ["client SDK (browser and Node)", [...SHARED, "@connectrpc/connect", "@connectrpc/connect-web"], false],
  // The testing kit: an in-process emulator driven through its HTTP surfaces, with SDK clients.
  testing: ["Node: the testing kit", [...SHARED, "src/node", "src/emulator", "src/sdk"], true],
  renderer: [
    "browser / Electron renderer",
    [...SHARED, "src/sdk", "react", "react-dom", "@connectrpc/connect", "@connectrpc/connect-web"],
    false,
  ],
};

// The one build-tool config under src/ (the renderer's Vite config) runs in Node at build time, not in
// its folder's runtime. Named exactly: a pattern such as `*.config.ts` would let any file so named, in
// any folder, out of its room.
const BUILD_CONFIG = "^src/renderer/vite\\.config\\.ts$";

const roomRules = Object.entries(ROOMS).map(([folder, [runtime, others, builtins]]) => {
  const allowed = [`src/${folder}`, ...others.filter((name) => name !== `src/${folder}`)];
  return {
    name: `${folder}-allowed-imports`,
    severity: "error",
    comment:
      `src/${folder} (${runtime}) may import only ${allowed.join(", ")}` +
      (builtins ? " and Node built-ins" : "; no Node built-ins") +
      " (docs/ARCHITECTURE.md, .dependency-cruiser.cjs)",
    from: { path: `^src/${folder}/`, pathNot: BUILD_CONFIG },
    to: { pathNot: patterns(allowed), ...(builtins ? { dependencyTypesNot: ["core"] } : {}) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...roomRules,
    {
      name: "build-config-allowed-imports",
      severity: "error",
      comment: "The renderer's Vite config runs in Node at build time: Node built-ins, vite and its plugins.",
      from: { path: BUILD_CONFIG },
      to: { pathNot: patterns(["vite", "@vitejs/*"]), dependencyTypesNot: ["core"] },
    },
    {
      // The issue's "the console uses the same SDK": its signing, verifying and RPC client are the client
      // SDK's (src/sdk/signed-call.ts), so what the console shows is what a client built on the SDK does.
      name: "renderer-signs-through-sdk",
      severity: "error",
      comment: "src/renderer signs and verifies through the client SDK (src/sdk), not around it on src/shared/sdk.ts (docs/ARCHITECTURE.md)",
      from: { path: "^src/renderer/" },
      to: { path: "^src/shared/sdk\\.ts$" },
    },
    {
      name: "src-folder-not-in-table",
      severity: "error",
      comment: "Every file under src/ lives in a folder of the runtime table; a new folder needs its row and rule.",
      from: { path: "^src/", pathNot: patterns(Object.keys(ROOMS).map((folder) => `src/${folder}`)) },
      to: {},
    },
  ],
  options: {
    // A type-only import is still a dependency on that folder or package (and on its runtime's types).
    tsPreCompilationDeps: true,
    // "tsd": triple-slash `/// <reference types="…" />` directives are dependencies too (they pull a
    // runtime's global types in, e.g. @types/node into the renderer).
    moduleSystems: ["es6", "cjs", "tsd"],
    detectProcessBuiltinModuleCalls: true,
    doNotFollow: { path: "^node_modules/" },
    // node_modules may be a symlink (a shared install): keep paths as node_modules/<package>/….
    preserveSymlinks: true,
    // Subpath imports (`@noble/hashes/sha2.js`) resolve only through package.json "exports".
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
