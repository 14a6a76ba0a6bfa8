// The system under test as run.ts and ab.ts start it: the gateway (gateway-proc.ts) and, unless it
// runs in the gateway's process, the mock backend (mock-proc.ts) reached over loopback HTTP as a real
// backend; then the anti-abuse budgets raised and the gateway's response-signing key read.
import { gatewayPublicKey, raiseBudgets } from "./devices.js";
import type { Child, startChild } from "./proc.js";

/** --cpu-prof for a child: its profile is written to bench/profiles/ when it stops. */
export const CPU_PROFILE_ARGS = ["--cpu-prof", "--cpu-prof-dir", "bench/profiles"];

export type StartChild = (name: string, script: string, options?: Parameters<typeof startChild>[2]) => Child;

export interface SystemUnderTest {
  url: string;
  /** The gateway's response-signing public key. */
  key: Buffer;
  gateway: Child;
  /** The mock backend's own process; undefined when it runs in the gateway's. */
  mock: Child | undefined;
}

export async function startSystemUnderTest(
  start: StartChild,
  options: { mockInProcess: boolean; profile: boolean; env?: Record<string, string>; nameSuffix?: string },
): Promise<SystemUnderTest> {
  const childOptions = { execArgv: options.profile ? CPU_PROFILE_ARGS : [], ...(options.env ? { env: options.env } : {}) };
  const suffix = options.nameSuffix ?? "";
  const mock = options.mockInProcess ? undefined : start(`mock${suffix}`, "./mock-proc.ts", childOptions);
  const backend = mock ? await mock.call<{ url: string; token: string }>("start") : undefined;
  const gateway = start(`gateway${suffix}`, "./gateway-proc.ts", childOptions);
  const { url } = await gateway.call<{ url: string }>("start", backend ? { mockBackendUrl: backend.url, mockBackendToken: backend.token } : undefined);
  await raiseBudgets(url);
  return { url, key: await gatewayPublicKey(url), gateway, mock };
}
