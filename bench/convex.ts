/**
 * ADMM on the convex two-layer ReLU program (squared loss, synthetic teacher data, sampled patterns,
 * λ = 0.1 λ_max with λ_max = max_i ‖Xᵀ D_i y‖, see `lambdaMax`), against bench/convex_ref.py
 * running the identical iterations in numpy on the same data (passed through a temporary JSON file).
 *
 * Time to a 1e-6 relative objective gap (f(x_k) − p*)/p*, f(x_k) the objective of the cone-feasible
 * point certified at iteration k (every 10 iterations): a long run certifies p* by its duality gap
 * (p* is the best feasible objective, known to the certified gap); the first certified k within
 * 1e-6 of it gives K, then critkit and numpy are timed for exactly K iterations (no certificates),
 * and their final iterates' objectives are compared. Reported where the long run certifies p* to
 * ≤ 1e-8; otherwise the row gives the gap reached and the time of a fixed number of iterations.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admm } from "../src/convex/admm.js";
import { losses } from "../src/convex/losses.js";
import { samplePatterns } from "../src/convex/patterns.js";
import { type ConvexProblem, lambdaMax } from "../src/convex/problem.js";
import { AdmmSystem } from "../src/convex/system.js";
import { synthetic } from "../src/data/datasets.js";
import { Rng } from "../src/rng.js";
import { isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";

const TARGET = 1e-6;
const TARGET_TEXT = "1e-6";
const LAMBDA_FRACTION = 0.1;

interface Case {
  n: number;
  features: number;
  P: number;
  /** Iterations of the long run that certifies p*. */
  refIters: number;
  /** Iterations timed when p* is not certified within refIters. */
  fallbackIters: number;
}

const CASES: Case[] = [
  { n: 200, features: 5, P: 20, refIters: 10000, fallbackIters: 1000 },
  { n: 1000, features: 49, P: 100, refIters: 1000, fallbackIters: 50 },
];

function problem(c: Case): ConvexProblem {
  const data = synthetic(0, c.n, c.features, 5);
  const patterns = samplePatterns(data.X, c.P, new Rng(1));
  const p: ConvexProblem = {
    X: data.X,
    y: data.y,
    patterns,
    lambda: 1,
    loss: losses.squared,
    gated: false,
  };
  return { ...p, lambda: LAMBDA_FRACTION * lambdaMax(p) };
}

/** p* bracket from the long run and the first certified iteration within TARGET of p̂. */
function reference(p: ConvexProblem, iters: number) {
  const r = admm(p, { maxIter: iters, tol: 1e-10, checkEvery: 10 });
  const checks = r.trace.filter((t) => t.primal !== undefined && t.relGap !== undefined);
  const best = Math.min(...checks.map((t) => t.primal!));
  const lower = Math.max(...checks.map((t) => t.primal! * (1 - t.relGap!)));
  const accuracy = (best - lower) / best;
  const hit = checks.find((t) => (t.primal! - best) / best <= TARGET);
  return { best, accuracy, iterations: r.iterations, K: accuracy <= 1e-8 ? hit?.iter : undefined };
}

async function numpyRun(p: ConvexProblem, iters: number) {
  const dir = mkdtempSync(join(tmpdir(), "critkit-convex-"));
  const spec = join(dir, "problem.json");
  writeFileSync(
    spec,
    JSON.stringify({
      n: p.X.rows,
      d: p.X.cols,
      P: p.patterns.count,
      X: Array.from(p.X.data),
      y: Array.from(p.y),
      masks: Array.from(p.patterns.masks),
      lambda: p.lambda,
      rho: 1,
      iters,
      repeats: 3,
    }),
  );
  const ref = await runNumpy(new URL("./convex_ref.py", import.meta.url), [spec]);
  rmSync(dir, { recursive: true, force: true });
  return ref;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of CASES) {
    const p = problem(c);
    const size = `n=${p.X.rows}, d=${p.X.cols}, P=${p.patterns.count}, λ=${LAMBDA_FRACTION}·λ_max=${p.lambda.toPrecision(4)}`;
    const ref = reference(p, c.refIters);
    const iters = ref.K ?? c.fallbackIters;
    const t0 = performance.now();
    const system = new AdmmSystem(p);
    const setupMs = performance.now() - t0;
    const timed = admm(p, { system, maxIter: iters, tol: 0, checkEvery: iters });
    const objective = timed.trace[timed.trace.length - 1]!.objective;
    const np = await numpyRun(p, iters);
    const refNote = isNumpyError(np)
      ? `no numpy reference: ${np.error}`
      : `numpy final iterate objective ${Number(np.objective).toPrecision(12)} vs ${objective.toPrecision(12)} (rel. diff ${(Math.abs(Number(np.objective) - objective) / objective).toExponential(1)}), numpy setup ${Number(np.setupMs).toFixed(0)} ms; blas ${JSON.stringify(np.blas)}`;
    const what =
      ref.K !== undefined
        ? `ADMM to ${TARGET_TEXT} relative objective gap: ${iters} iterations`
        : `ADMM ${iters} iterations (${TARGET_TEXT} gap not reached)`;
    const pStar = `p* = ${ref.best.toPrecision(12)} certified to ${ref.accuracy.toExponential(1)} by a ${ref.iterations}-iteration run`;
    rows.push({
      name: `convex ${what} (${size})`,
      ms: timed.ms + setupMs,
      referenceMs: isNumpyError(np) ? undefined : np.ms + Number(np.setupMs),
      note: `${pStar}; includes the factorization (critkit ${setupMs.toFixed(0)} ms); ${(timed.ms / iters).toFixed(2)} ms/iteration; ${refNote}`,
    });
  }
  return rows;
}
