// SHA-256 that runs synchronously in every runtime (WebCrypto's digest is async only).
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes);
}
