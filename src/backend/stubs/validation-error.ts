// The error every part of a mapping's validation throws: the JSON path of the first problem (`$`, `$.push[0].to`,
// `$[2].match.payload["odd key"]`) and what is wrong there.

export class StubValidationError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export function fail(path: string, reason: string): never {
  throw new StubValidationError(path, reason);
}

/** `$.a.b`, `$.a[0]`, `$.a["odd key"]` (also the `payload.item` paths a nearest miss names). */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
