// "Copy as": the shell commands that send one ExecuteCommand from outside the console — `buf curl`
// (Connect, schema by the gateway's server reflection), plain curl (Connect's JSON unary form) and
// grpcurl (gRPC, reflection too). The request is protobuf JSON, signed already: it is accepted while
// its timestamp is within the gateway's freshness window, once (its request_id is then spent).

export const EXECUTE_COMMAND_PATH = "/galaxy.gateway.v1.EdgeGateway/ExecuteCommand";

export const COPY_FORMATS = ["buf-curl", "curl", "grpcurl"] as const;
export type CopyFormat = (typeof COPY_FORMATS)[number];

export const COPY_FORMAT_LABELS: Record<CopyFormat, string> = {
  "buf-curl": "buf curl",
  curl: "curl (Connect JSON)",
  grpcurl: "grpcurl",
};

/** POSIX shell single quotes: the text stays literal, a `'` inside becomes `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The command for `format`, sending `requestJson` (protobuf JSON of an ExecuteCommandRequest) to the gateway at `origin`. */
export function copyAsCommand(format: CopyFormat, origin: string, requestJson: string): string {
  const url = new URL(EXECUTE_COMMAND_PATH, origin).href;
  const data = shellQuote(requestJson);
  switch (format) {
    case "buf-curl":
      return `buf curl --protocol connect --data ${data} ${shellQuote(url)}`;
    case "curl":
      return `curl -sS -X POST -H 'Content-Type: application/json' -H 'Connect-Protocol-Version: 1' --data-binary ${data} ${shellQuote(url)}`;
    case "grpcurl": {
      const { protocol, host } = new URL(origin);
      return `grpcurl ${protocol === "https:" ? "" : "-plaintext "}-d ${data} ${shellQuote(host)} ${EXECUTE_COMMAND_PATH.slice(1)}`;
    }
  }
}
