// The same client against a gateway started outside the test process: `npm run test:exec` runs
// `galaxy-gateway-emulator exec -- node --test contract/gateway.contract.js`, which starts a fresh emulator, gives this
// file its address and key in the environment, and stops it when the tests end. Point the same
// variables at a staging gateway and these tests check it instead (its sign-in needs its own mailbox).
// Not matched by `node --test`'s default file patterns, so `npm test` (the testing kit) leaves it out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createGatewayClient } from "galaxy-gateway-emulator/sdk";
import { FleetCommander } from "../src/fleet-client.js";

const url = process.env.GALAXY_GATEWAY_URL;
const gatewayPublicKey = process.env.GALAXY_GATEWAY_PUBLIC_KEY;
const token = process.env.GALAXY_EMULATOR_TOKEN;
if (!url || !gatewayPublicKey) throw new Error("run me with: npm run test:exec (galaxy-gateway-emulator exec -- node --test contract/gateway.contract.js)");

/** The emulator's mailbox (its control plane): where the code a real gateway would e-mail lands. */
async function mailedCode(email, challengeId) {
  const res = await fetch(`${url}/emulator/v1/mailbox?email=${encodeURIComponent(email)}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  assert.equal(res.status, 200);
  const { messages } = await res.json();
  return messages.findLast((m) => m.challenge_id === challengeId).code;
}

async function signIn(email) {
  // Pinned to the key exec published: an answer signed by any other key is refused.
  const gateway = createGatewayClient({ baseUrl: url, gatewayPublicKey });
  const { challengeId } = await gateway.sendEmailCode(email);
  await gateway.confirmEmailCode(challengeId, await mailedCode(email, challengeId));
  return new FleetCommander(gateway);
}

describe("FleetCommander against the gateway exec started", () => {
  it("publishes the key exec gave us", async () => {
    const info = await createGatewayClient({ baseUrl: url }).gatewayInfo();
    assert.equal(info.response_signing_public_key, gatewayPublicKey);
  });

  it("signs in and dispatches a fleet, verified against the pinned key", async () => {
    // A new pilot each run: exec keeps the emulator's state directory (--state-dir) between runs.
    const email = `exec-${crypto.randomUUID()}@example.com`;
    const commander = await signIn(email);
    assert.equal((await commander.profile()).email, email);
    assert.equal((await commander.dispatch("earth", "mars", 10)).ships_remaining, 90);
  });
});
