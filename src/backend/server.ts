// Composition of the mock backend: one node:http (HTTP/1.1) server that lets only its gateway in
// (access-guard.ts: the backend token, no web pages), then sends /galaxy.backend.v1.Push/* to the
// Connect adapter (Connect + gRPC-Web) and everything else to the JSON REST router.
import http from "node:http";
import type { Socket } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Push } from "../shared/gen/galaxy/backend/v1/backend_push_pb.js";
import { backendTokenProblem } from "../node/backend-token.js";
import { createAccessGuard, refuse } from "./access-guard.js";
import { authRoutes } from "./auth-routes.js";
import { emulatorRoutes, type Snapshots } from "./emulator-routes.js";
import { StateFile, STATE_VERSION } from "./persistence.js";
import { PushLog } from "./push-log.js";
import { pushRoutes } from "./push-service.js";
import { createRouter } from "./router.js";
import { MockStore } from "./store.js";
import { PushScheduler } from "./stubs/push-scheduler.js";
import { loadStubFiles } from "./stubs/stub-files.js";
import { stubInterceptor } from "./stubs/stub-responder.js";
import { resetStubs, stubRoutes } from "./stubs/stub-routes.js";
import { StubLimitError, StubStore } from "./stubs/stub-store.js";
import { userRoutes } from "./user-routes.js";
import { buildPlayback } from "./playback/build.js";
import { playbackRoutes, PushReplay } from "./playback/playback-routes.js";

export interface MockBackendOptions {
  /**
   * The backend token: every request must carry it in X-Galaxy-Backend-Token (access-guard.ts).
   * Required, so no mock ever listens unguarded; `generateBackendToken()` makes one.
   */
  token: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Clock in ms since the epoch; injectable so tests can expire challenges. */
  now?: () => number;
  /**
   * Persist users, sessions, challenges, mailbox and the push log (with its id counter) in this
   * folder, atomically, before answering each change; reload them on start. Absent: memory only.
   */
  stateDir?: string;
  /**
   * Load the stub mappings of every `*.json` in this folder at start (stubs/stub-files.ts), over the
   * persisted ones (same id: replaced). A bad file or too many stubs: start fails, nothing applied.
   */
  stubsDir?: string;
  /**
   * Play back the recording in this folder (playback/build.ts, README "Record and play back"): its
   * users, sessions and commands (as stub mappings, under those of `stubsDir`) are loaded at start,
   * its pushes replayed on demand. Memory only (no `stateDir`): every start is the recording again.
   * A bad recording stops the start naming the file, the line and the JSON path.
   */
  playbackDir?: string;
}

export interface MockBackend {
  /** http://host:port */
  url: string;
  /** Ends push streams (UNAVAILABLE), then closes every socket. */
  close(): Promise<void>;
}

/** How long close() lets push streams write their end-of-stream before cutting sockets. */
const STREAM_DRAIN_MS = 1_000;

export async function startMockBackend(options: MockBackendOptions): Promise<MockBackend> {
  const { host = "127.0.0.1", port = 0, now = Date.now } = options;
  const tokenProblem = backendTokenProblem(options.token);
  if (tokenProblem) throw new Error(`mock backend: ${tokenProblem}`);
  const guard = createAccessGuard({ token: options.token, listenHost: host });
  if (options.playbackDir !== undefined && options.stateDir !== undefined) {
    throw new Error("mock backend: a playback keeps no state (it is the recording again on every start): no stateDir with playbackDir");
  }
  // Files are read and validated before anything else, so a bad one stops the start with nothing done.
  const playback = options.playbackDir !== undefined ? await buildPlayback(options.playbackDir) : undefined;
  const fileStubs = options.stubsDir !== undefined ? await loadStubFiles(options.stubsDir) : [];
  const store = new MockStore(now);
  const stubs = new StubStore();
  let stateFile: StateFile | undefined;
  const persist = options.stateDir ? () => stateFile!.flush() : undefined;
  const pushLog = new PushLog(persist);
  const snapshots: Snapshots = {
    take: () => ({ version: STATE_VERSION, saved_at_ms: Date.now(), store: store.toState(), push: pushLog.toState(), stubs: stubs.toState() }),
    replace(snapshot) {
      store.restore(snapshot.store);
      pushLog.replace(snapshot.push);
      // Stubs come whole with the snapshot (checkSnapshot compiled every mapping); delayed pushes of the old world are dropped.
      resetStubs(stubs, pushScheduler);
      if (snapshot.stubs) stubs.restore(snapshot.stubs);
    },
  };
  if (options.stateDir) {
    const opened = await StateFile.open(options.stateDir, snapshots.take);
    stateFile = opened.file;
    if (opened.loaded) {
      store.restore(opened.loaded.store);
      pushLog.restore(opened.loaded.push);
      if (opened.loaded.stubs) stubs.restore(opened.loaded.stubs);
    }
  }
  if (playback) {
    store.restore(playback.store);
    try {
      stubs.add(playback.stubs);
    } catch (err) {
      if (err instanceof StubLimitError) throw new Error(`--playback ${playback.file}: its commands make more stub mappings than the mock holds (${err.message}); record a shorter session`);
      throw err;
    }
  }
  if (fileStubs.length > 0) {
    try {
      stubs.add(stubs.changed(fileStubs));
    } catch (err) {
      if (err instanceof StubLimitError) throw new Error(`--stubs ${options.stubsDir}: ${err.message}`);
      throw err;
    }
    await stateFile?.flush();
  }
  const pushScheduler = new PushScheduler(pushLog);
  const replay = playback ? new PushReplay(playback.pushes, store, pushLog) : undefined;
  const shutdown = new AbortController();

  let openStreams = 0;
  let streamsDrained: (() => void) | undefined;
  const connectHandler = connectNodeAdapter({
    routes: pushRoutes({
      log: pushLog,
      shutdown: shutdown.signal,
      onStreamOpen: () => void openStreams++,
      onStreamClosed: () => {
        if (--openStreams === 0) streamsDrained?.();
      },
    }),
  });
  const restHandler = createRouter(
    [
      ...authRoutes(store),
      ...userRoutes(store, pushLog),
      ...emulatorRoutes(store, pushLog, snapshots, () => {
        resetStubs(stubs, pushScheduler);
        replay?.stop();
      }),
      ...stubRoutes(stubs),
      ...(playback && replay ? playbackRoutes(playback, replay) : []),
    ],
    { persist, intercept: stubInterceptor({ stubs, store, pushes: pushScheduler, shutdown: shutdown.signal }) },
  );
  const pushPrefix = `/${Push.typeName}/`;

  const server = http.createServer((req, res) => {
    const refusal = guard(req);
    if (refusal) refuse(req, res, refusal);
    else if (req.url?.startsWith(pushPrefix)) connectHandler(req, res);
    else void restHandler(req, res);
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("mock backend: unexpected listen address");
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const drained = new Promise<void>((resolve) => {
      streamsDrained = resolve;
      if (openStreams === 0) resolve();
    });
    shutdown.abort();
    replay?.stop();
    pushScheduler.clear(); // pushes still waiting for their delay are dropped (they are not persisted)
    // Streams end cleanly with UNAVAILABLE; a client that does not read gets cut after the grace period.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, STREAM_DRAIN_MS)))]);
    clearTimeout(timer);
    server.closeIdleConnections();
    // Give in-flight responses (just-ended streams included) a turn to flush before cutting sockets.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
    await stateFile?.flush(); // the last changes are on disk before close() resolves
  }

  return {
    url: `http://${urlHost}:${address.port}`,
    close: () => (closing ??= close()),
  };
}
