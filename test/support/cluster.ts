// Two gateways of one cluster in this process: one mock backend, one Redis, one shared key file, each
// gateway on its own free loopback port (they share nothing else: no module-level state).
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { startMockBackend, type MockBackend } from "../../src/backend/server.js";
import { startGateway, type GatewayOptions, type RunningGateway } from "../../src/gateway/gateway.js";
import { generateBackendToken } from "../../src/node/backend-token.js";
import { executeCommandRequest, type DeviceIdentity } from "../../src/shared/sdk.js";
import { GatewayErrorSchema } from "../../src/shared/gen/galaxy/gateway/v1/gateway_pb.js";
import { edgeClient, getJson, tempDir } from "./emulator.js";

/** Sign-ins come from 127.0.0.1 for every test: the per-IP public budget is raised out of the way. */
export const TEST_PUBLIC_BUDGETS = { public_rate_limits: { per_ip: { rate_per_s: 1000, burst: 10_000 } } };

export interface Cluster {
  a: RunningGateway;
  b: RunningGateway;
  backend: MockBackend;
  /** Starts one more gateway of the cluster (a late joiner). */
  join(options?: Partial<GatewayOptions>): Promise<RunningGateway>;
  close(): Promise<void>;
}

export async function startCluster(redisUrl: string, options: Partial<GatewayOptions> = {}): Promise<Cluster> {
  const token = generateBackendToken();
  const backend = await startMockBackend({ token });
  const stateDir = tempDir("gge-cluster-");
  const gateways: RunningGateway[] = [];
  const join = async (more: Partial<GatewayOptions> = {}) => {
    const gateway = await startGateway({
      port: 0,
      stateDir,
      gatewayKeyFile: path.join(stateDir, "shared-key.json"),
      mockBackendUrl: backend.url,
      mockBackendToken: token,
      redis: redisUrl,
      onPushError: () => {},
      ...options,
      ...more,
      config: { ...TEST_PUBLIC_BUDGETS, ...options.config, ...more.config },
    });
    gateways.push(gateway);
    return gateway;
  };
  const a = await join();
  const b = await join();
  return {
    a,
    b,
    backend,
    join,
    async close() {
      await Promise.all(gateways.map((g) => g.close(0)));
      await backend.close();
    },
  };
}

/** ExecuteCommand's answer as "ok" or the rejection's reason, for one signed request sent to `url`. */
export async function outcome(url: string, request: ReturnType<typeof executeCommandRequest>): Promise<string> {
  try {
    await edgeClient(url).executeCommand(request);
    return "ok";
  } catch (err) {
    const error = ConnectError.from(err);
    return error.findDetails(GatewayErrorSchema)[0]?.reason ?? `code ${Code[error.code]}`;
  }
}

/** A freshly signed `user.profile.get` of `device`. */
export function profileGet(device: DeviceIdentity) {
  return executeCommandRequest(device, { messageType: "user.profile.get", payload: {} });
}

/** Polls `check` until it holds (what a test waits for that no event announces, e.g. a key in Redis). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An instance's live config (GET /emulator/v1/config). */
export async function configOf(url: string): Promise<any> {
  return (await getJson(`${url}/emulator/v1/config`)).json;
}
