/**
 * The convex two-layer ReLU program (squared loss, sampled patterns, λ = 0.1 λ_max with
 * λ_max = max_i ‖Xᵀ D_i y‖, see `lambdaMax`), two benchmarks against numpy on the same data (passed
 * through a temporary JSON file):
 *
 * 1. The default solver, the interior-point method (src/convex/ipm.ts) to a certified 1e-6 relative
 *    gap — by default (P > 2 · INITIAL_SET) on a working set of patterns grown by pricing and
 *    certified on the whole program (`workingSetSolve`, src/convex/columns.ts) — against
 *    bench/ipm_ref.py, which ports both the interior point (same start, step rules, Newton system
 *    form and certificate) and the working-set driver (same rounds, pricing by Hildreth projections,
 *    pruning and warm starts) to numpy + LAPACK and runs the same algorithm as critkit's default: on
 *    the n = 1000, d = 50, P = 100 problem (synthetic teacher, 49 features + bias, patterns
 *    drawn with Rng(1)) and on every shipped dataset with `critkit convex --dataset X`'s defaults
 *    (seed 0: patterns from Rng(0).split(), P by `defaultPatternCount`). Each row's note gives both
 *    solvers' Newton steps (all rounds), working-set rounds and final set sizes, certified gaps and
 *    objectives, and ADMM (the fastest other method, CLI settings β = α = ρ₀ = 1) on the same problem
 *    within an iteration budget: its time to 1e-6 or the gap it reached.
 * 2. ADMM on the n = 200 synthetic problem against bench/convex_ref.py (identical iterations and
 *    rounding): settings β = 10, α = 1.8, ρ₀ = 10, iterates made cone-feasible by
 *    `projectOntoCones` (docs/convex.md). Time to a certified 1e-6 relative objective gap
 *    (f(x_k) − L_k)/f(x_k), f(x_k) the objective of the cone-feasible point rounded at iteration k and
 *    L_k ≤ p* the dual bound from the same iterate (checked every 10 iterations): the first such k of
 *    a certifying run gives K, then critkit and numpy are timed for exactly K iterations plus the
 *    rounding of the last iterate (no checks in between), and the rounded objectives are compared.
 *    Where the certifying run does not reach the target within its budget, the row gives the gap
 *    reached and the time of a fixed number of iterations.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AdmmOptions, admm } from "../src/convex/admm.js";
import { INITIAL_SET } from "../src/convex/columns.js";
import { defaultPatternCount, interiorPoint } from "../src/convex/ipm.js";
import { losses } from "../src/convex/losses.js";
import { samplePatterns } from "../src/convex/patterns.js";
import { type ConvexProblem, lambdaMax } from "../src/convex/problem.js";
import { AdmmSystem } from "../src/convex/system.js";
import { type DatasetName, loadDataset, synthetic } from "../src/data/datasets.js";
import { Rng } from "../src/rng.js";
import { blasSummary, isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";

const TARGET = 1e-6;
const TARGET_TEXT = "1e-6";
const LAMBDA_FRACTION = 0.1;
const SETTINGS = { beta: 10, alpha: 1.8, rho: 10, rounding: "project" } satisfies AdmmOptions;

interface Case {
  n: number;
  features: number;
  P: number;
  /** Iterations of the long run that certifies p*. */
  refIters: number;
  /** Iterations timed when the target is not certified within refIters. */
  fallbackIters: number;
  /** numpy repetitions (median reported). */
  repeats: number;
}

const CASES: Case[] = [
  { n: 200, features: 5, P: 20, refIters: 10000, fallbackIters: 1000, repeats: 3 },
];

/** The interior-point benchmark problem (n = 1000, d = 50, P = 100). */
export const IPM_CASE: Case = {
  n: 1000,
  features: 49,
  P: 100,
  refIters: 0,
  fallbackIters: 0,
  repeats: 1,
};

/** Shipped datasets, each solved as `critkit convex --dataset X` does by default. */
const DATASETS: DatasetName[] = ["iris", "breast_cancer", "synthetic", "digits"];

/** ADMM iterations allowed on each interior-point problem (its time to 1e-6, or the gap reached). */
const ADMM_BUDGET = 500;

/** The squared-loss ReLU program on (X, y, patterns) at λ = fraction · λ_max. */
function squaredAt(
  data: Pick<ConvexProblem, "X" | "y">,
  patterns: ConvexProblem["patterns"],
  fraction: number,
): ConvexProblem {
  const p: ConvexProblem = {
    X: data.X,
    y: data.y,
    patterns,
    lambda: 1,
    loss: losses.squared,
    gated: false,
  };
  return { ...p, lambda: fraction * lambdaMax(p) };
}

/**
 * `critkit convex --dataset name`'s program (seed 0, patterns from Rng(0).split(), P by
 * defaultPatternCount) at λ = fraction · λ_max (the CLI's default 0.1 unless given).
 */
export function datasetProblem(name: DatasetName, fraction = LAMBDA_FRACTION): ConvexProblem {
  const data = loadDataset(name, 0);
  const P = defaultPatternCount(data.X.rows, data.X.cols, true);
  return squaredAt(data, samplePatterns(data.X, P, new Rng(0).split()), fraction);
}

export function problem(c: Case): ConvexProblem {
  const data = synthetic(0, c.n, c.features, 5);
  return squaredAt(data, samplePatterns(data.X, c.P, new Rng(1)), LAMBDA_FRACTION);
}

/** The certifying run: K = the first checked iteration whose own duality gap is ≤ TARGET, if any. */
function reference(p: ConvexProblem, iters: number) {
  const r = admm(p, { ...SETTINGS, maxIter: iters, tol: TARGET, checkEvery: 10 });
  return { ...r.certificate, iterations: r.iterations, K: r.converged ? r.iterations : undefined };
}

/** Runs a numpy reference script on the problem (plus `extra` fields) written to a temporary JSON file. */
async function numpyOn(script: string, p: ConvexProblem, extra: Record<string, number | boolean>) {
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
      gates: Array.from(p.patterns.gates),
      lambda: p.lambda,
      ...extra,
    }),
  );
  const ref = await runNumpy(new URL(script, import.meta.url), [spec]);
  rmSync(dir, { recursive: true, force: true });
  return ref;
}

const numpyRun = (p: ConvexProblem, iters: number, repeats: number) =>
  numpyOn("./convex_ref.py", p, {
    rho: SETTINGS.rho,
    beta: SETTINGS.beta,
    alpha: SETTINGS.alpha,
    iters,
    repeats,
  });

/** Newton steps allowed to the interior point (all working-set rounds together). */
const IPM_MAX_ITER = 300;

/**
 * bench/ipm_ref.py on p: critkit's default interior point in numpy (the working-set driver where
 * `interiorPoint` uses it by default, P > 2 · INITIAL_SET).
 */
export const numpyInteriorPoint = (
  p: ConvexProblem,
  maxIter = IPM_MAX_ITER,
  workingSet = p.patterns.count > 2 * INITIAL_SET,
) => numpyOn("./ipm_ref.py", p, { tol: TARGET, maxIter, repeats: 1, workingSet });

/** " in R rounds, final set S of P patterns" for a working-set solve, "" otherwise. */
const roundsText = (rounds: unknown, active: unknown, P: number) =>
  typeof rounds === "number" ? ` in ${rounds} rounds, final set ${active} of ${P} patterns` : "";

/** Default interior point vs its numpy port, with ADMM (CLI settings) on the same problem in the note. */
async function interiorPointRow(label: string, p: ConvexProblem): Promise<BenchRow> {
  const size = `n=${p.X.rows}, d=${p.X.cols}, P=${p.patterns.count}, λ=${LAMBDA_FRACTION}·λ_max=${p.lambda.toPrecision(4)}`;
  const P = p.patterns.count;
  const ipm = interiorPoint(p, { tol: TARGET, maxIter: IPM_MAX_ITER });
  const ws =
    "rounds" in ipm ? (ipm as typeof ipm & { rounds: number; active: number[] }) : undefined;
  const np = await numpyInteriorPoint(p);
  const a = admm(p, { tol: TARGET, maxIter: ADMM_BUDGET, checkEvery: 10 });
  const cert = ipm.certificate;
  const admmNote = a.converged
    ? `ADMM (β = α = ρ₀ = 1) to ${TARGET_TEXT}: ${a.ms.toFixed(0)} ms, ${a.iterations} iterations`
    : `ADMM (β = α = ρ₀ = 1): gap ${a.certificate.relGap.toExponential(1)} after ${a.iterations} iterations, ${a.ms.toFixed(0)} ms`;
  const refNote = isNumpyError(np)
    ? `no numpy reference: ${np.error}`
    : `numpy: ${np.iterations} Newton steps${roundsText(np.rounds, np.active, P)} (${np.form} form), converged=${np.converged}, gap ${Number(np.relGap).toExponential(1)}, objective ${Number(np.primal).toPrecision(10)} (rel. diff ${(Math.abs(Number(np.primal) - cert.primal) / cert.primal).toExponential(1)}); ${blasSummary(np.blas)}`;
  return {
    name: `convex interior point to ${TARGET_TEXT} certified, ${label} (${size})`,
    ms: ipm.ms,
    referenceMs: isNumpyError(np) ? undefined : np.ms,
    note: `critkit: ${ipm.iterations} Newton steps${roundsText(ws?.rounds, ws?.active.length, P)}, converged=${ipm.converged}, gap ${cert.relGap.toExponential(1)}, objective ${cert.primal.toPrecision(10)}; ${refNote}; ${admmNote}`,
  };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [await interiorPointRow("synthetic teacher", problem(IPM_CASE))];
  for (const name of DATASETS)
    rows.push(await interiorPointRow(`${name}, CLI defaults`, datasetProblem(name)));
  for (const c of CASES) {
    const p = problem(c);
    const size = `n=${p.X.rows}, d=${p.X.cols}, P=${p.patterns.count}, λ=${LAMBDA_FRACTION}·λ_max=${p.lambda.toPrecision(4)}`;
    const ref = reference(p, c.refIters);
    const iters = ref.K ?? c.fallbackIters;
    const t0 = performance.now();
    const system = new AdmmSystem(p, SETTINGS.beta);
    const setupMs = performance.now() - t0;
    const timed = admm(p, { ...SETTINGS, system, maxIter: iters, tol: 0, checkEvery: iters });
    const objective = timed.certificate.primal;
    const np = await numpyRun(p, iters, c.repeats);
    const refNote = isNumpyError(np)
      ? `no numpy reference: ${np.error}`
      : `numpy rounded objective ${Number(np.objective).toPrecision(12)} vs ${objective.toPrecision(12)} (rel. diff ${(Math.abs(Number(np.objective) - objective) / objective).toExponential(1)}), numpy setup ${Number(np.setupMs).toFixed(0)} ms; ${blasSummary(np.blas)}`;
    const what =
      ref.K !== undefined
        ? `ADMM to ${TARGET_TEXT} relative objective gap: ${iters} iterations`
        : `ADMM ${iters} iterations (${TARGET_TEXT} gap not reached)`;
    const pStar = `p* ∈ [${ref.dual.toPrecision(12)}, ${ref.primal.toPrecision(12)}] (relative gap ${ref.relGap.toExponential(1)}) after ${ref.iterations} iterations`;
    rows.push({
      name: `convex ${what} (${size})`,
      ms: timed.ms + setupMs,
      referenceMs: isNumpyError(np) ? undefined : np.ms + Number(np.setupMs),
      note: `${pStar}; includes the factorization (critkit ${setupMs.toFixed(0)} ms); ${(timed.ms / iters).toFixed(2)} ms/iteration incl. the final rounding; ${refNote}`,
    });
  }
  return rows;
}
