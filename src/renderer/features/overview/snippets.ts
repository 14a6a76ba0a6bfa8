// What the Overview hands out to connect a client of your own to this gateway: its URL and the
// response-signing key to pin, as shell variables, a `buf curl` call that lists the services by
// reflection, and a runnable TypeScript client on the published SDK (galaxy-gateway-emulator/sdk).

export interface Snippet {
  kind: "env" | "cli" | "sdk";
  title: string;
  text: string;
}

export function clientSnippets(origin: string, gatewayKey: string): Snippet[] {
  return [
    {
      kind: "env",
      title: "Gateway URL and key",
      text: `export GALAXY_GATEWAY_URL=${origin}\nexport GALAXY_GATEWAY_KEY=${gatewayKey}  # pin: verify every response and event with it`,
    },
    {
      kind: "cli",
      title: "CLI (buf curl, by server reflection)",
      text: [
        `buf curl --list-services ${origin}`,
        `buf curl --protocol connect --data '<signed ExecuteCommandRequest JSON>' ${origin}/galaxy.gateway.v1.EdgeGateway/ExecuteCommand`,
        `# a signed request ready to paste: Commands or History → "Copy as"`,
      ].join("\n"),
    },
    {
      kind: "sdk",
      title: "TypeScript (the SDK: galaxy-gateway-emulator/sdk)",
      // Runnable as copied (`npx tsx play.mts` beside `npm install galaxy-gateway-emulator`): the code is
      // read from this emulator's mailbox (loopback control plane) where a real gateway would e-mail it.
      // test/e2e/console-polish.test.ts runs the text the Overview shows against an emulator.
      text: [
        `import { createGatewayClient } from "galaxy-gateway-emulator/sdk";`,
        ``,
        `const baseUrl = "${origin}";`,
        `// Pinned: every answer and event is verified with this key.`,
        `const gateway = createGatewayClient({ baseUrl, gatewayPublicKey: "${gatewayKey}" });`,
        ``,
        `// Sign-in: the gateway e-mails a code; here the emulator's mailbox shows it.`,
        `const email = "pilot@example.com";`,
        `const { challengeId } = await gateway.sendEmailCode(email);`,
        `const mailbox = await (await fetch(\`\${baseUrl}/emulator/v1/mailbox?email=\${encodeURIComponent(email)}\`)).json();`,
        `const mail = mailbox.messages.findLast((m: { challenge_id: string }) => m.challenge_id === challengeId);`,
        `await gateway.confirmEmailCode(challengeId, mail.code); // makes the device key and keeps it`,
        ``,
        `const profile = await gateway.execute("user.profile.get", {}); // signed, sent, answer verified`,
        `console.log(profile.resultCode, profile.payload);`,
        ``,
        `// Verified events, "gateway.server_time" first; runs until you stop it (or pass { signal }).`,
        `for await (const event of gateway.subscribe()) console.log(event.eventType, event.payload);`,
      ].join("\n"),
    },
  ];
}
