/**
 * Optimality certificate by weak duality. The Lagrange dual of
 *   min ℓ(Fu) + λ Σ_g ‖u_g‖  s.t.  G_g u_g ≥ 0
 * is
 *   max Σ_k −ℓ_k*(−θ_k)  s.t.  ‖F_gᵀθ + G_gᵀμ_g‖₂ ≤ λ for every group g, μ ≥ 0
 * (μ absent for gated ReLU). Any (θ, μ) is made dual feasible by clipping θ into the loss's dual
 * domain, clipping μ at 0 and scaling both by t = min(1, λ / max_g ‖F_gᵀθ + G_gᵀμ_g‖). Then for any
 * cone-feasible u, primal(u) − dual(tθ) ≥ primal* − dual* ≥ 0 bounds the suboptimality of u.
 */

import { norm2 } from "./linalg.js";
import {
  adjoint,
  type ConvexProblem,
  coneViolation,
  convexObjective,
  groupCount,
} from "./problem.js";

export interface Certificate {
  primal: number;
  dual: number;
  /** primal − dual ≥ primal − optimum. */
  gap: number;
  /** gap / max(|primal|, 1e-300). */
  relGap: number;
  /** Cone violation of u (the bound is valid only when this is ~0). */
  violation: number;
}

/** Duality gap of the feasible point u against the dual candidate (θ, μ). */
export function certificate(
  p: ConvexProblem,
  u: Float64Array,
  theta: Float64Array,
  mu?: Float64Array,
): Certificate {
  const th = p.loss.clipDual(Float64Array.from(theta), p.y);
  const m = mu && !p.gated ? mu.map((v) => Math.max(0, v)) : undefined;
  const h = adjoint(p, th, m);
  const d = p.X.cols;
  let worst = 0;
  for (let g = 0; g < groupCount(p); g++) worst = Math.max(worst, norm2(h, g * d, d));
  const t = worst > p.lambda ? p.lambda / worst : 1;
  for (let k = 0; k < th.length; k++) th[k] = th[k]! * t;
  const primal = convexObjective(p, u);
  const dual = p.loss.dualValue(th, p.y);
  const gap = primal - dual;
  return {
    primal,
    dual,
    gap,
    relGap: gap / Math.max(Math.abs(primal), 1e-300),
    violation: coneViolation(p, u),
  };
}
