import { it } from "vitest";
import { startMockBackend } from "../../src/backend/server.js";
import { injectEvent, openPush } from "./helpers.js";
it("dbg", async () => {
  const b = await startMockBackend();
  const base = b.url;
  for (const resume of ["", "0"]) {
    const push = openPush(base, resume);
    const first = push.next();
    let arrived;
    let n = 0;
    while (!arrived) { n++; await injectEvent(base, "u"); arrived = await Promise.race([first, Promise.resolve(undefined)]); }
    process.stderr.write(`DBG injected ${n}\n`);
    push.close();
    await new Promise((r) => setTimeout(r, 300));
    process.stderr.write(`DBG after wait\n`);
  }
  await b.close();
});
