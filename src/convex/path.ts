/**
 * Regularization path: the convex program solved at K values of λ, log-spaced from λ_max (where
 * u = 0 is optimal, `lambdaMax`) down to the problem's λ, on one pattern set, each solve
 * warm-started from the previous one (interior point: the previous solution moved 60 % of the way to
 * the default start, `START_BLEND` in ipm.ts; ADMM: its split variables, scaled duals and ρ; AL: the
 * primal weights). The user picks λ on the path by validation.
 */
import { InputError } from "../errors.js";
import { type AdmmOptions, type AdmmState, admm } from "./admm.js";
import { augmentedLagrangian } from "./al.js";
import { interiorPoint } from "./ipm.js";
import { norm2 } from "./linalg.js";
import {
  type ConvexProblem,
  convexObjective,
  groupCount,
  lambdaMax,
  validateProblem,
} from "./problem.js";
import type { SolveResult } from "./result.js";
import { AdmmSystem } from "./system.js";

export type PathSolver = "ipm" | "admm" | "al";

export interface LambdaPathOptions {
  /** Number of λ values K ≥ 2, λ_max first and the problem's λ last. */
  count: number;
  /** Default: ipm (every loss). */
  solver?: PathSolver;
  /** Warm-start each solve from the previous one (default true; false solves each λ cold). */
  warmStart?: boolean;
  /** Relative duality gap to stop each solve at (default 1e-6). */
  tol?: number;
  /** Iteration budget of each solve (default: the solver's). */
  maxIter?: number;
  /** ipm: false solves on all patterns at once (default: `interiorPoint`'s working-set rule). */
  workingSet?: boolean;
  /** ADMM's β, α and initial ρ (see `AdmmOptions`). */
  admm?: Pick<AdmmOptions, "beta" | "alpha" | "rho">;
  /** A group counts as an active neuron when λ‖u_g‖ > activeTol × the objective (default 1e-8). */
  activeTol?: number;
  /** Called after each solve (progress). */
  onPoint?: (index: number, point: PathPoint) => void;
}

export interface PathPoint {
  lambda: number;
  /** λ / λ_max. */
  lambdaFraction: number;
  /** The solve at this λ: cone-feasible u, its certificate, iterations, converged, ms. */
  result: SolveResult;
  /** Groups with λ‖u_g‖ > activeTol × the objective (`activeNeurons`). */
  activeNeurons: number;
}

export interface LambdaPath {
  lambdaMax: number;
  solver: PathSolver;
  warmStart: boolean;
  points: PathPoint[];
}

/** K values log-spaced from hi down to lo (hi first, lo last, both exact). */
export function logGrid(hi: number, lo: number, count: number): number[] {
  return Array.from({ length: count }, (_, j) =>
    j === 0 ? hi : j === count - 1 ? lo : hi * (lo / hi) ** (j / (count - 1)),
  );
}

/**
 * Active neurons: groups g whose weight-decay term λ‖u_g‖ is above relTol × the objective
 * ℓ(Fu) + λΣ‖u_g‖ at u (a scale-free test that also counts a solver's 1e-12 leftovers at λ_max
 * as inactive).
 */
export function activeNeurons(p: ConvexProblem, u: Float64Array, relTol = 1e-8): number {
  const d = p.X.cols;
  const objective = convexObjective(p, u);
  let count = 0;
  for (let g = 0; g < groupCount(p); g++)
    if (p.lambda * norm2(u, g * d, d) > relTol * objective) count++;
  return count;
}

/** Solves p at λ_max … p.lambda (K log-spaced values); see the module comment. */
export function lambdaPath(p: ConvexProblem, opts: LambdaPathOptions): LambdaPath {
  validateProblem(p);
  if (p.gated) throw new Error("lambdaPath: the path solves the exact (non-gated) program");
  const { count, warmStart = true, tol = 1e-6, maxIter, activeTol = 1e-8 } = opts;
  if (!Number.isInteger(count) || count < 2)
    throw new InputError("count", `must be an integer ≥ 2, got ${count}`);
  const lmax = lambdaMax(p);
  if (!(p.lambda < lmax))
    throw new InputError(
      "lambda",
      `the smallest λ of the path must be below λ_max = ${lmax.toPrecision(6)}, got ${p.lambda}`,
    );
  const solver = opts.solver ?? "ipm";
  // one factorization for the whole path: the ADMM system does not depend on λ
  const system = solver === "admm" ? new AdmmSystem(p, opts.admm?.beta ?? 1) : undefined;
  let previous: { u: Float64Array; state?: AdmmState } | undefined;
  const points: PathPoint[] = [];
  for (const lambda of logGrid(lmax, p.lambda, count)) {
    const q = { ...p, lambda };
    const warm = warmStart ? previous : undefined;
    const budget = maxIter === undefined ? {} : { maxIter };
    let result: SolveResult;
    let state: AdmmState | undefined;
    if (solver === "admm") {
      const r = admm(q, { ...opts.admm, ...budget, tol, system, warmStart: warm?.state });
      result = r;
      state = r.state;
    } else if (solver === "ipm")
      result = interiorPoint(q, {
        ...budget,
        tol,
        start: warm?.u,
        ...(opts.workingSet === undefined ? {} : { workingSet: opts.workingSet }),
      });
    else result = augmentedLagrangian(q, { ...budget, tol, start: warm?.u });
    previous = { u: result.u, state };
    const point = {
      lambda,
      lambdaFraction: lambda / lmax,
      result,
      activeNeurons: activeNeurons(q, result.u, activeTol),
    };
    points.push(point);
    opts.onPoint?.(points.length - 1, point);
  }
  return { lambdaMax: lmax, solver, warmStart, points };
}
