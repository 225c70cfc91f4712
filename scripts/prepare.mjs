/**
 * `npm prepare`: builds dist/ with TypeScript when it is installed (a clone after `npm ci`,
 * `npm pack`, a git dependency). An install that has no TypeScript (`npm install <folder>` of a
 * clone, which skips its devDependencies) keeps a dist/ that is already there, and otherwise
 * builds nothing and says how to get one, instead of failing with "tsc: not found".
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  tsc = undefined;
}
if (tsc) {
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
if (!existsSync("dist/cli/main.js"))
  console.warn(
    "critkit: TypeScript is not installed here, so dist/ was not built: run `npm install && npm run build` in this folder, or install a packed tarball (`npm pack`)",
  );
