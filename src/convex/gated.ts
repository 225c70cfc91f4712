/**
 * Tight conversion of a gated-ReLU solution to a ReLU network. The cone decomposition
 * (`coneDecomposition`) keeps the gated predictions but pays λ(‖v_i‖ + ‖u_i‖) ≫ λ‖w_i‖ when the
 * gated weight w_i lies far outside its cone K_i: 15–180× the ReLU optimum on iris and synthetic.
 * Instead, fix the patterns the gated solution uses (S = {i : w_i ≠ 0}) and solve the exact
 * cone-constrained ReLU program on those patterns only, by the interior point started from the
 * cone decomposition restricted to S. Every point of the restricted program is a point of the full
 * one (zero weights on the other patterns), so its optimum is an upper bound on the ReLU optimum
 * p*; the gated optimum is a lower bound.
 *
 * The ReLU optimum may use patterns the gated one does not, so S is then grown by pricing (column
 * generation): with θ = −∇ℓ(Fu) at the restricted optimum, pattern i ∉ S can lower the objective
 * iff its dual constraint min_{μ≥0} ‖σ XᵀD_iθ + A_iᵀμ‖ ≤ λ fails for σ = +1 or −1, A_i the rows
 * (2D_i − I)X of its cone K_i; by Moreau's decomposition that minimum is ‖Π_{K_i}(σ XᵀD_iθ)‖
 * (projection by Hildreth's method, `leastNormInCone`). Violating patterns are added and the
 * program re-solved from the previous point, until none violates or `rounds` runs out.
 */
import { workingSetSolve } from "./columns.js";
import { interiorPoint } from "./ipm.js";
import { norm2 } from "./linalg.js";
import type { ConvexProblem } from "./problem.js";
import { coneDecomposition } from "./recover.js";
import type { SolveResult, SolverOptions } from "./result.js";

/** Patterns i with a non-zero gated weight w_i (a gated problem's P groups of length d). */
export function activePatterns(p: ConvexProblem, w: Float64Array): number[] {
  const d = p.X.cols;
  const active: number[] = [];
  for (let i = 0; i < p.patterns.count; i++) if (norm2(w, i * d, d) > 0) active.push(i);
  return active;
}

export interface GatedToRelu {
  /** The ReLU point on all of p's patterns (zero off the active ones), cone-feasible. */
  u: Float64Array;
  /** Its objective: an upper bound on the ReLU optimum p*. */
  objective: number;
  /** Indices of the patterns the gated solution uses. */
  gatedActive: number[];
  /**
   * Indices of the patterns of the final restricted program: gatedActive and priced-in ones, less
   * those the ReLU solution left at 0 (`workingSetSolve`'s pruning).
   */
  active: number[];
  /** Restricted solves (1 + pricing rounds that added patterns). */
  solves: number;
  /** The whole program's certificate of u and the solves' iterations (`workingSetSolve`). */
  result: SolveResult;
}

export interface GatedToReluOptions extends SolverOptions {
  /** Pricing rounds after the first restricted solve (default 10; 0: the gated patterns only). */
  rounds?: number;
  /** A pattern is priced in when its price exceeds 1 + this (default 1e-6). */
  priceTol?: number;
}

/**
 * The ReLU program restricted to the gated solution's active patterns, solved by `interiorPoint`
 * from the cone decomposition of the gated weights (p: the ReLU problem; w: the gated solution,
 * P groups), then grown by pricing (`workingSetSolve`). Undefined when no pattern is active (the
 * zero network).
 */
export function gatedToRelu(
  p: ConvexProblem,
  w: Float64Array,
  opts: GatedToReluOptions = {},
): GatedToRelu | undefined {
  const { rounds = 10, ...solver } = opts;
  const gatedActive = activePatterns(p, w);
  if (gatedActive.length === 0) return undefined;
  const relu = { ...p, gated: false };
  const result = workingSetSolve(relu, (q, o) => interiorPoint(q, { ...o, workingSet: false }), {
    ...solver,
    rounds,
    initial: 0,
    start: coneDecomposition({ ...p, gated: true }, w),
  });
  return {
    u: result.u,
    objective: result.certificate.primal,
    gatedActive,
    active: result.active,
    solves: result.rounds,
    result,
  };
}
