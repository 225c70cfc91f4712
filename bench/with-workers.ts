/**
 * The jax-js worker pool is chosen once per process (`loadJax`, default off: it loses on chains of
 * small kernels), so a benchmark whose kernels are big GEMMs measures itself a second time in a
 * child process with `CRITKIT_WORKERS=1` and reports both rows. The child runs the module's own
 * `isMain` block (one JSON row per stdout line) with `CRITKIT_BENCH_CHILD=1`, so it does not spawn
 * again.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "./types.js";

/** True inside the child started by `rowsWithWorkers`. */
export const isWorkersChild = () => process.env.CRITKIT_BENCH_CHILD === "1";

/**
 * The rows of bench module `url` measured in a child with the worker pool on, names suffixed
 * " [workers on]"; a failed child gives one row with `ms: NaN` and the error in its note.
 */
export function rowsWithWorkers(url: URL, keep: (row: BenchRow) => boolean): Promise<BenchRow[]> {
  const env = { ...process.env, CRITKIT_WORKERS: "1", CRITKIT_BENCH_CHILD: "1" };
  return new Promise((resolve) => {
    let out = "";
    let err = "";
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(url)], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    child.on("close", (code) => {
      const rows = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as BenchRow)
        .filter(keep)
        .map((r) => ({ ...r, name: `${r.name} [workers on]` }));
      resolve(
        code === 0 && rows.length
          ? rows
          : [
              {
                name: "[workers on]",
                ms: Number.NaN,
                note: `child failed (${code}): ${err.trim().split("\n").pop()}`,
              },
            ],
      );
    });
  });
}
