// A fetch answer's body as text, refused past a size while it streams in (a lying or absent
// Content-Length included): the SDK's REST calls and the conform checks both read untrusted gateways.
import { concatBytes } from "./bytes.js";

/** The parts of a WHATWG ReadableStream this needs (structural: the shared room has no DOM types). */
export interface ByteStream {
  getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> };
}

/** The body decoded as UTF-8; past `maxBytes` the read is cancelled and `tooLarge()` is thrown. */
export async function readBoundedText(body: ByteStream | null | undefined, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const reader = body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || !value) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(concatBytes(chunks));
}
