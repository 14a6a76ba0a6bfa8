// Types for electron-binary.mjs (imported by the TypeScript tests).
export declare function defaultExecutable(platform?: string): string;

export type ElectronBinary =
  | { found: true; executablePath: string; source: "override" | "node_modules" }
  | { found: false; reason: string };

export declare function findElectronBinary(options: {
  projectDir: string;
  env?: Record<string, string | undefined>;
  platform?: string;
  fs?: { existsSync(p: string): boolean; readFileSync(p: string, encoding: "utf8"): string };
}): ElectronBinary;
