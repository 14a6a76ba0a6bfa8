// SHA-256 for the Node rooms (the gateway's payload_hash stage, its signed answers and events, the
// mock backend's token check). node:crypto's native hash, not the pure one of src/shared/hash.ts that
// the browser needs: 1 KiB hashes in ~1.8 µs here against ~10 µs with @noble/hashes (measured on
// Node 20, 100 000 runs), and the gateway hashes every payload it checks and every answer and push
// event it signs. The one-shot crypto.hash (Node ≥ 20.12; engines asks for 20.19) skips the Hash
// object: 200 bytes in ~1.1 against ~1.4–2.0 µs for createHash().update().digest(), and one object
// less per hash for the garbage collector.
import { hash } from "node:crypto";

export function sha256Node(bytes: Uint8Array | string): Uint8Array {
  return hash("sha256", bytes, "buffer");
}
