// `--stubs DIR`: every `*.json` file of DIR holds a mapping or an array of them, loaded at start.
// A bad file stops the start with an error naming the file and the JSON path of the problem; nothing
// is added unless everything loads. A mapping without an id gets `<file name>-<n>` (n from 1 in the
// file), so loading the same folder again after a restart replaces its mappings instead of adding copies.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { MAX_STUBS_BYTES } from "./stub-store.js";
import { compileMapping, type CompiledMapping } from "./mapping.js";
import { StubValidationError } from "./validation-error.js";

export class StubFileError extends Error {}

export async function loadStubFiles(dir: string): Promise<CompiledMapping[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith(".json")).map((e) => e.name);
  } catch (err) {
    throw new StubFileError(`--stubs ${dir}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const out: CompiledMapping[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    const text = await readFile(file, "utf8");
    // Larger than every stub together may be: refused before parsing.
    if (Buffer.byteLength(text) > MAX_STUBS_BYTES) throw new StubFileError(`${file}: larger than ${MAX_STUBS_BYTES} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new StubFileError(`${file}: not JSON (${(err as Error).message})`);
    }
    const stem = name.slice(0, -".json".length).replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100) || "stub";
    const list = Array.isArray(value) ? value : [value];
    try {
      list.forEach((m, i) => out.push(compileMapping(m, Array.isArray(value) ? `$[${i}]` : "$", () => `${stem}-${i + 1}`)));
    } catch (err) {
      if (err instanceof StubValidationError) throw new StubFileError(`${file}: ${err.message}`);
      throw err;
    }
  }
  return out;
}
