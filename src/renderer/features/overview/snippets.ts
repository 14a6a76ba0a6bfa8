// What the Overview hands out to connect a client of your own to this gateway: its URL and the
// response-signing key to pin, as shell variables, a `buf curl` call that lists the services by
// reflection, and the TypeScript wiring with connect-es and the project's SDK (src/shared/sdk.ts).

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
      title: "TypeScript (connect-es + the SDK's signing)",
      text: [
        `import { createClient } from "@connectrpc/connect";`,
        `import { createConnectTransport } from "@connectrpc/connect-web";`,
        `import { EdgeGateway } from "./gen/galaxy/gateway/v1/gateway_pb.js";`,
        `import { fromBase64Url } from "./bytes.js";`,
        `import { executeCommandRequest, verifyResponse } from "./sdk.js";`,
        ``,
        `const client = createClient(EdgeGateway, createConnectTransport({ baseUrl: "${origin}" }));`,
        `const gatewayKey = fromBase64Url("${gatewayKey}");`,
        `const res = await client.executeCommand(executeCommandRequest(device, { messageType: "user.profile.get" }));`,
        `if (!verifyResponse(res, gatewayKey).ok) throw new Error("response not signed by the pinned key");`,
      ].join("\n"),
    },
  ];
}
