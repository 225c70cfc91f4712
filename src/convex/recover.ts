/**
 * From a convex solution back to a ReLU network (Pilanci & Ergen 2020, Thm 1): every non-zero
 * group u_g gives one neuron u_j = u_g / √‖u_g‖, α_j = σ_g √‖u_g‖ (σ = +1 for v, −1 for w).
 * If u_g lies in its cone, relu(X u_j) α_j = σ_g D X u_g and (‖u_j‖² + α_j²)/2 = ‖u_g‖, so the
 * network's weight-decayed objective equals the convex objective exactly.
 *
 * `shiftIntoCones` makes a point exactly feasible without changing its fit: for pattern i with
 * interior gate g_i, (v_i, w_i) ← (v_i + s g_i, w_i + s g_i) keeps v_i − w_i, and the smallest
 * s ≥ 0 with both shifted groups in K_i = {u : (2D_i − I) X u ≥ 0} is a ratio test. Applied to a
 * gated-ReLU solution (v_i, w_i) = (w_i, 0) it is the cone decomposition of Mishkin et al. (2022)
 * that converts a gated network into a ReLU network with the same predictions.
 */

import { norm2, timesXt } from "./linalg.js";
import type { Network } from "./network.js";
import {
  type ConvexProblem,
  coneFromActivations,
  groupActivations,
  groupCount,
} from "./problem.js";

/** The ReLU point with the same fit as `u`, each pattern's pair shifted along its gate into its cone. */
export function shiftIntoCones(p: ConvexProblem, u: Float64Array): Float64Array {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const relu: ConvexProblem = { ...p, gated: false };
  const out = new Float64Array(2 * P * d);
  out.set(u.subarray(0, groupCount(p) * d));
  const slack = coneFromActivations(relu, groupActivations(relu, out));
  const gateSlack = coneFromActivations(relu, timesXt(p.X, p.patterns.gates, P), P);
  for (let i = 0; i < P; i++) {
    let s = 0;
    for (const g of [i, P + i]) {
      for (let k = 0; k < n; k++) {
        const e = gateSlack[i * n + k]!;
        if (e > 0) s = Math.max(s, -slack[g * n + k]! / e);
      }
    }
    if (s === 0) continue;
    for (const g of [i, P + i])
      for (let j = 0; j < d; j++) out[g * d + j] += s * p.patterns.gates[i * d + j]!;
  }
  return out;
}

/** The network of Thm 1: one neuron per non-zero group. */
export function recoverNetwork(p: ConvexProblem, u: Float64Array): Network {
  const d = p.X.cols;
  const P = p.patterns.count;
  const rows: number[] = [];
  for (let g = 0; g < groupCount(p); g++) if (norm2(u, g * d, d) > 0) rows.push(g);
  const U = new Float64Array(rows.length * d);
  const alpha = new Float64Array(rows.length);
  rows.forEach((g, j) => {
    const r = norm2(u, g * d, d);
    const scale = 1 / Math.sqrt(r);
    for (let c = 0; c < d; c++) U[j * d + c] = u[g * d + c]! * scale;
    alpha[j] = (g < P ? 1 : -1) * Math.sqrt(r);
  });
  return { d, m: rows.length, U, alpha };
}
