/**
 * `npm run build` and `npm prepare`: build a fresh dist/ with TypeScript when it is installed (a clone after `npm ci`,
 * `npm pack`, a git dependency). An install that has no TypeScript (`npm install <folder>` of a
 * clone, which skips its devDependencies) keeps a dist/ that is already there, and otherwise
 * builds nothing and says how to get one, instead of failing with "tsc: not found".
 */

import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  tsc = undefined;
}
if (tsc) {
  // a fresh dist/: modules moved or removed in src/ must not linger in it (npm pack ships dist/)
  rmSync("dist", { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
if (!existsSync("dist/cli/main.js"))
  console.warn(
    "critkit: TypeScript is not installed here, so dist/ was not built: run `npm install && npm run build` in this folder, or install a packed tarball (`npm pack`)",
  );
