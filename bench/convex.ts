/**
 * ADMM on the convex two-layer ReLU program, n = 1000, d = 50 (49 features + bias), P = 100 sampled
 * patterns, squared loss, λ = 1e-3, synthetic teacher data: the one-off factorization and a fixed
 * budget of iterations, against bench/convex_ref.py running the identical iterations in numpy on
 * the same data (passed through a temporary JSON file); the final objectives are compared.
 *
 * Not measured: the time to a 1e-6 relative objective gap — ADMM is far from it within any
 * practical budget at this size and λ (see docs/convex.md, "Status"); the note gives the gap reached.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admm } from "../src/convex/admm.js";
import { losses } from "../src/convex/losses.js";
import { samplePatterns } from "../src/convex/patterns.js";
import type { ConvexProblem } from "../src/convex/problem.js";
import { AdmmSystem } from "../src/convex/system.js";
import { synthetic } from "../src/data/datasets.js";
import { Rng } from "../src/rng.js";
import { isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";

const ITERS = 50;

export async function run(): Promise<BenchRow[]> {
  const data = synthetic(0, 1000, 49, 5);
  const patterns = samplePatterns(data.X, 100, new Rng(1));
  const p: ConvexProblem = {
    X: data.X,
    y: data.y,
    patterns,
    lambda: 1e-3,
    loss: losses.squared,
    gated: false,
  };
  const t0 = performance.now();
  const system = new AdmmSystem(p);
  const setupMs = performance.now() - t0;
  const r = admm(p, { system, maxIter: ITERS, tol: 0, checkEvery: ITERS });
  const objective = r.trace[r.trace.length - 1]!.objective;

  const dir = mkdtempSync(join(tmpdir(), "critkit-convex-"));
  const spec = join(dir, "problem.json");
  const { rows: n, cols: d } = data.X;
  writeFileSync(
    spec,
    JSON.stringify({
      n,
      d,
      P: patterns.count,
      X: Array.from(data.X.data),
      y: Array.from(data.y),
      masks: Array.from(patterns.masks),
      lambda: p.lambda,
      iters: ITERS,
      repeats: 3,
    }),
  );
  const ref = await runNumpy(new URL("./convex_ref.py", import.meta.url), [spec]);
  rmSync(dir, { recursive: true, force: true });
  const refNote = isNumpyError(ref)
    ? `no numpy reference: ${ref.error}`
    : `numpy final objective ${Number(ref.objective).toPrecision(10)} vs ${objective.toPrecision(10)} (rel. diff ${(Math.abs(Number(ref.objective) - objective) / objective).toExponential(1)}); blas ${JSON.stringify(ref.blas)}`;
  const size = `n=${n}, d=${d}, P=${patterns.count}`;
  return [
    {
      name: `convex ADMM factorization (${size})`,
      ms: setupMs,
      referenceMs: isNumpyError(ref) ? undefined : Number(ref.setupMs),
      note: "d×d and n×n Cholesky (Woodbury), once",
    },
    {
      name: `convex ADMM ${ITERS} iterations (${size})`,
      ms: r.ms,
      referenceMs: isNumpyError(ref) ? undefined : ref.ms,
      note: `relative duality gap ${r.certificate.relGap.toExponential(2)} after ${ITERS} iterations (1e-6 not reached); ${refNote}`,
    },
  ];
}
