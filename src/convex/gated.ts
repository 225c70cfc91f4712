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
import { interiorPoint } from "./ipm.js";
import { norm2 } from "./linalg.js";
import {
  adjoint,
  type ConvexProblem,
  groupActivations,
  type Patterns,
  predictFromActivations,
} from "./problem.js";
import { coneDecomposition, leastNormInCone, rowNorms2 } from "./recover.js";
import type { SolveResult, SolverOptions } from "./result.js";

/** Patterns i with a non-zero gated weight w_i (a gated problem's P groups of length d). */
export function activePatterns(p: ConvexProblem, w: Float64Array): number[] {
  const d = p.X.cols;
  const active: number[] = [];
  for (let i = 0; i < p.patterns.count; i++) if (norm2(w, i * d, d) > 0) active.push(i);
  return active;
}

/** The patterns `keep` of `patterns`, in that order. */
export function subsetPatterns(patterns: Patterns, keep: number[], n: number, d: number): Patterns {
  const masks = new Uint8Array(keep.length * n);
  const gates = new Float64Array(keep.length * d);
  keep.forEach((i, j) => {
    masks.set(patterns.masks.subarray(i * n, i * n + n), j * n);
    gates.set(patterns.gates.subarray(i * d, i * d + d), j * d);
  });
  return { count: keep.length, masks, gates };
}

/**
 * Pricing: max over σ = ±1 of ‖Π_{K_i}(σ XᵀD_iθ)‖ / λ for each pattern i of p (> 1: the pattern can
 * lower the ReLU objective at the point whose θ = −∇ℓ(Fu) this is).
 */
export function patternPrices(p: ConvexProblem, theta: Float64Array): Float64Array {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const h = adjoint({ ...p, gated: true }, theta, undefined);
  const rowNorm2 = rowNorms2(p.X);
  const x = p.X.data;
  const prices = new Float64Array(P);
  for (let i = 0; i < P; i++) {
    for (const sigma of [1, -1]) {
      const hi = h.subarray(i * d, i * d + d).map((v) => sigma * v);
      // b_k = −a_k·h: Π_K(h) = h + z with z the least-norm solution of a_k·z ≥ b_k.
      const b = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        let a = 0;
        for (let j = 0; j < d; j++) a += x[k * d + j]! * hi[j]!;
        b[k] = -(p.patterns.masks[i * n + k] ? a : -a);
      }
      const { z } = leastNormInCone(p, i, b, rowNorm2, 50, 10);
      for (let j = 0; j < d; j++) hi[j] = hi[j]! + z[j]!;
      prices[i] = Math.max(prices[i]!, norm2(hi, 0, d) / p.lambda);
    }
  }
  return prices;
}

export interface GatedToRelu {
  /** The ReLU point on all of p's patterns (zero off the active ones), cone-feasible. */
  u: Float64Array;
  /** Its objective: an upper bound on the ReLU optimum p*. */
  objective: number;
  /** Indices of the patterns the gated solution uses. */
  gatedActive: number[];
  /** Indices of the patterns of the final restricted program (gatedActive, then priced-in ones). */
  active: number[];
  /** Restricted solves (1 + pricing rounds that added patterns). */
  solves: number;
  /** The last interior-point solve (its certificate is for the restricted program). */
  restricted: SolveResult;
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
 * P groups), then grown by pricing. Undefined when no pattern is active (the zero network).
 */
export function gatedToRelu(
  p: ConvexProblem,
  w: Float64Array,
  opts: GatedToReluOptions = {},
): GatedToRelu | undefined {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const { rounds = 10, priceTol = 1e-6, ...solver } = opts;
  const gatedActive = activePatterns(p, w);
  if (gatedActive.length === 0) return undefined;
  let active = gatedActive;
  const restrict = (keep: number[]): ConvexProblem => ({
    ...p,
    gated: false,
    patterns: subsetPatterns(p.patterns, keep, n, d),
  });
  const wSub = new Float64Array(active.length * d);
  active.forEach((i, j) => {
    wSub.set(w.subarray(i * d, i * d + d), j * d);
  });
  let sub = restrict(active);
  let restricted = interiorPoint(sub, {
    ...solver,
    start: coneDecomposition({ ...sub, gated: true }, wSub),
  });
  let solves = 1;
  for (let round = 0; round < rounds; round++) {
    const fu = predictFromActivations(sub, groupActivations(sub, restricted.u));
    const theta = p.loss.grad(fu, p.y, new Float64Array(n)).map((v) => -v);
    const prices = patternPrices(p, theta);
    const inSet = new Set(active);
    const added = [...prices.keys()].filter((i) => !inSet.has(i) && prices[i]! > 1 + priceTol);
    if (added.length === 0) break;
    const next = [...active, ...added];
    const start = new Float64Array(2 * next.length * d);
    const S = active.length;
    for (let j = 0; j < S; j++) {
      start.set(restricted.u.subarray(j * d, j * d + d), j * d);
      start.set(restricted.u.subarray((S + j) * d, (S + j) * d + d), (next.length + j) * d);
    }
    active = next;
    sub = restrict(active);
    restricted = interiorPoint(sub, { ...solver, start });
    solves++;
  }
  const u = new Float64Array(2 * P * d);
  const S = active.length;
  active.forEach((i, j) => {
    u.set(restricted.u.subarray(j * d, j * d + d), i * d);
    u.set(restricted.u.subarray((S + j) * d, (S + j) * d + d), (P + i) * d);
  });
  return { u, objective: restricted.certificate.primal, gatedActive, active, solves, restricted };
}
