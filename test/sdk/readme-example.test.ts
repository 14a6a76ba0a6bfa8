// The README's client SDK example ("The client SDK"), run: the region below is in README.md word for
// word (the last test checks), and the tests drive it against an emulator.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "galaxy-gateway-emulator/testing";

// #region readme-sdk
import { createGatewayClient, GatewayCallError, type DeviceExport } from "galaxy-gateway-emulator/sdk";

/** Sign-in: the gateway e-mails a code; the SDK makes the device key, keeps it and pins the gateway key. */
export async function signIn(baseUrl: string, email: string, askForCode: () => Promise<string>): Promise<DeviceExport> {
  const gateway = createGatewayClient({ baseUrl }); // Connect over fetch; or protocol: "grpcweb"
  const { challengeId } = await gateway.sendEmailCode(email);
  await gateway.confirmEmailCode(challengeId, await askForCode());
  return gateway.exportDevice(); // store it as a secret: it holds the device's private key
}

export async function play(baseUrl: string, device: DeviceExport, show: (...what: unknown[]) => void, signal: AbortSignal) {
  const gateway = createGatewayClient({ baseUrl, device });
  const fleet = await gateway.execute("game.fleet.dispatch", { from_planet: "earth", to_planet: "mars", ships: 10 });
  if (fleet.ok) show("fleet", fleet.payload.fleet_id, fleet.payload.ships_remaining); // typed, verified
  else show("refused", fleet.resultCode); // a business error is a signed answer too: "insufficient_ships"
  try {
    await gateway.execute("game.unknown.command", {});
  } catch (e) {
    if (!(e instanceof GatewayCallError)) throw e;
    show("rejected", e.code, e.reason, e.stage); // "unimplemented" "unknown_message_type" "routing"
  }
  for await (const event of gateway.subscribe({ signal })) {
    show("event", event.eventType, event.payload); // verified; "gateway.server_time" first, then pushes
  }
}
// #endregion

const README = fileURLToPath(new URL("../../README.md", import.meta.url));
let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
}, 30_000);
afterAll(async () => {
  await emulator?.close();
});

describe("the README's SDK example", () => {
  it("signs in, plays and receives a push", async () => {
    const email = "readme-sdk@example.com";
    const device = await signIn(emulator.url, email, async () => (await emulator.mailbox(email)).at(-1)!.code);
    const shown: unknown[][] = [];
    const abort = new AbortController();
    await play(
      emulator.url,
      device,
      (...what) => {
        shown.push(what);
        if (what[1] === "gateway.server_time") void emulator.push({ userId: device.user_id, eventType: "game.notice", payload: { text: "hello" } });
        if (what[1] === "game.notice") abort.abort();
      },
      abort.signal,
    );
    expect(shown).toEqual([
      ["fleet", expect.stringMatching(/^f_/), 90],
      ["rejected", "unimplemented", "unknown_message_type", "routing"],
      ["event", "gateway.server_time", { server_time_ms: expect.any(Number) }],
      ["event", "game.notice", { text: "hello" }],
    ]);
  }, 30_000);

  it("is the one in README.md", async () => {
    const source = await readFile(fileURLToPath(import.meta.url), "utf8");
    const region = /\/\/ #region readme-sdk\n([\s\S]*?)\/\/ #endregion/.exec(source)?.[1];
    expect(region).toBeDefined();
    expect(await readFile(README, "utf8")).toContain(region!);
  });
});
