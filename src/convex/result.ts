/** What every convex solver returns, and the shared way it certifies an iterate. */
import { type Certificate, certificate } from "./certificate.js";
import type { ConvexProblem } from "./problem.js";
import { projectOntoCones, shiftIntoCones } from "./recover.js";

export interface SolverOptions {
  /** Stop when the relative duality gap is at most this. */
  tol?: number;
  maxIter?: number;
  /** Iterations between certificate evaluations. */
  checkEvery?: number;
  /** Called with (iteration, objective) after each iteration. */
  onIter?: (iter: number, objective: number) => void;
}

export interface TracePoint {
  iter: number;
  /** Objective ℓ(Fu) + λΣ‖u_g‖ at the iterate (cone constraints not enforced). */
  objective: number;
  /** Relative duality gap, at the iterations where it was evaluated. */
  relGap?: number;
  /** Objective of the cone-feasible point certified there (≥ the optimum). */
  primal?: number;
}

export interface SolveResult {
  /** Cone-feasible solution (for gated problems: the gated weights as they are). */
  u: Float64Array;
  certificate: Certificate;
  iterations: number;
  converged: boolean;
  trace: TracePoint[];
  ms: number;
}

/**
 * How a ReLU iterate is made cone-feasible: "shift" moves each pattern's pair along its gate
 * (`shiftIntoCones`: same fit, but λ‖s g_i‖ more per violated pair); "project" projects each group
 * onto its cone (`projectOntoCones`: the fit changes by the small projection steps, so the objective
 * tracks the iterate's as it nears feasibility — docs/convex.md has the numbers).
 */
export type Rounding = "shift" | "project";

/** Feasible version of an iterate (`rounding` for ReLU, default "project") and its certificate against (θ, μ). */
export function certify(
  p: ConvexProblem,
  u: Float64Array,
  theta: Float64Array,
  mu?: Float64Array,
  rounding: Rounding = "project",
): { u: Float64Array; certificate: Certificate } {
  const feasible = p.gated ? u : (rounding === "shift" ? shiftIntoCones : projectOntoCones)(p, u);
  return { u: feasible, certificate: certificate(p, feasible, theta, mu) };
}

/** Records a certificate on the latest trace point. */
export function markCertificate(trace: TracePoint[], c: Certificate): void {
  const last = trace[trace.length - 1];
  if (last) Object.assign(last, { relGap: c.relGap, primal: c.primal });
}
