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

/**
 * Least-norm z with a_k·z ≥ b_k for every row k, a_k = (2d_ik − 1) x_k the rows of pattern i's cone
 * K_i: Hildreth's method (coordinate ascent on the dual max_{μ ≥ 0} bᵀμ − ½‖Aᵀμ‖², z = Aᵀμ;
 * Censor & Zenios 1997, §6.3) on a working set of rows: those violated at z = 0, then, after each
 * run of up to `sweeps` passes over the set, every row violated at the current z, for up to `rounds`
 * rounds (one full product A z each); returns z = Aᵀμ and the multipliers μ ≥ 0. Rows outside the set keep μ_k = 0, which is their optimal dual
 * value when they are not active, so the result is the exact minimizer once no row is violated.
 * `enough(z)`, checked after each sweep, ends the run early (a caller that only needs a bound).
 */
export function leastNormInCone(
  p: ConvexProblem,
  i: number,
  b: Float64Array,
  rowNorm2: Float64Array,
  sweeps: number,
  rounds: number,
  enough?: (z: Float64Array) => boolean,
): { z: Float64Array; mu: Float64Array } {
  const { rows: n, cols: d, data: x } = p.X;
  const sign = (k: number) => (p.patterns.masks[i * n + k] ? 1 : -1);
  const z = new Float64Array(d);
  const mu = new Float64Array(n);
  const inSet = new Uint8Array(n);
  const set: number[] = [];
  const admit = () => {
    let added = 0;
    for (let k = 0; k < n; k++) {
      if (inSet[k] || rowNorm2[k] === 0) continue;
      let az = 0;
      for (let j = 0; j < d; j++) az += x[k * d + j]! * z[j]!;
      if (sign(k) * az < b[k]!) {
        inSet[k] = 1;
        set.push(k);
        added++;
      }
    }
    return added;
  };
  // Most updates take no step (n = 1000, d = 50: 83 %), and then z is unchanged: the dot products
  // a_k·z of the next rows are computed four at a time against the current z (independent sums,
  // each over j in order as one at a time) and used until a row moves z; the iterates are the
  // plain sweeps' bit for bit.
  const ahead = new Float64Array(4);
  for (let round = 0; round < rounds && admit() > 0; round++) {
    for (let sweep = 0; sweep < sweeps; sweep++) {
      let moved = 0;
      let valid = 0;
      let from = 0;
      for (let a = 0; a < set.length; a++) {
        const k = set[a]!;
        if (a - from >= valid) {
          from = a;
          valid = Math.min(4, set.length - a);
          dotsAhead(x, d, z, set, a, valid, ahead);
        }
        const sk = sign(k);
        const az = ahead[a - from]!;
        const next = Math.max(0, mu[k]! + (b[k]! - sk * az) / rowNorm2[k]!);
        const step = next - mu[k]!;
        if (step === 0) continue;
        mu[k] = next;
        for (let j = 0; j < d; j++) z[j] += step * sk * x[k * d + j]!;
        moved = Math.max(moved, Math.abs(step));
        valid = 0;
      }
      if (enough?.(z)) return { z, mu };
      if (moved === 0) break;
    }
  }
  return { z, mu };
}

/** out[t] = x_k·z for the `count` (≤ 4) rows k = set[a + t], each summed over j in order. */
function dotsAhead(
  x: Float64Array,
  d: number,
  z: Float64Array,
  set: number[],
  a: number,
  count: number,
  out: Float64Array,
): void {
  const o0 = set[a]! * d;
  const o1 = set[a + Math.min(1, count - 1)]! * d;
  const o2 = set[a + Math.min(2, count - 1)]! * d;
  const o3 = set[a + Math.min(3, count - 1)]! * d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let j = 0; j < d; j++) {
    const zj = z[j]!;
    s0 += x[o0 + j]! * zj;
    s1 += x[o1 + j]! * zj;
    s2 += x[o2 + j]! * zj;
    s3 += x[o3 + j]! * zj;
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

export const rowNorms2 = (X: ConvexProblem["X"]) =>
  Float64Array.from({ length: X.rows }, (_, k) => norm2(X.data, k * X.cols, X.cols) ** 2);

/**
 * Cone decomposition of a gated-ReLU solution (Mishkin, Kumar & Pilanci 2022, §3): pattern i's
 * gated weight w_i becomes the ReLU pair (v_i, u_i) = (w_i + z_i, z_i), z_i the least-norm point of
 * {z : a_k·z ≥ b_k ∀k}, b = (−A w_i)₊ (`leastNormInCone`), so both z_i and w_i + z_i lie in K_i,
 * the predictions are unchanged and ‖v_i‖ + ‖u_i‖ ≤ ‖w_i‖ + 2‖z_i‖. What violation the finite
 * run leaves is removed by `shiftIntoCones`; per pattern the cheaper of that pair and the plain
 * gate shift of (w_i, 0) is kept.
 */
export function coneDecomposition(p: ConvexProblem, w: Float64Array, sweeps = 200): Float64Array {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const relu: ConvexProblem = { ...p, gated: false };
  const Aw = coneFromActivations(relu, timesXt(p.X, w, P), P);
  const rowNorm2 = rowNorms2(p.X);
  const out = new Float64Array(2 * P * d);
  for (let i = 0; i < P; i++) {
    const b = Float64Array.from(Aw.subarray(i * n, i * n + n), (a) => Math.max(0, -a));
    const { z } = leastNormInCone(p, i, b, rowNorm2, sweeps, 1);
    for (let j = 0; j < d; j++) {
      out[i * d + j] = w[i * d + j]! + z[j]!;
      out[(P + i) * d + j] = z[j]!;
    }
  }
  const decomposed = shiftIntoCones(relu, out);
  const shifted = shiftIntoCones(p, w);
  // Per pattern, keep the cheaper of the two feasible pairs (both have the fit of w_i).
  for (let i = 0; i < P; i++) {
    const cost = (u: Float64Array) => norm2(u, i * d, d) + norm2(u, (P + i) * d, d);
    if (cost(shifted) < cost(decomposed))
      for (const g of [i, P + i]) decomposed.set(shifted.subarray(g * d, g * d + d), g * d);
  }
  return decomposed;
}

/**
 * Euclidean projection of every ReLU group u_g onto its cone K_i = {w : (2D_i − I) X w ≥ 0}:
 * u_g + z with z the least-norm point of {z : A_i z ≥ −A_i u_g} (`leastNormInCone`, working set
 * starting from the violated rows), then `shiftIntoCones` for what the finite run leaves (exactly
 * feasible). Groups already in their cone are unchanged. Unlike the gate shift this changes the fit, by at most
 * ‖z‖ per group, which is small when u is nearly feasible (an ADMM iterate near convergence).
 */
export function projectOntoCones(
  p: ConvexProblem,
  u: Float64Array,
  sweeps = 50,
  rounds = 10,
): Float64Array {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const relu: ConvexProblem = { ...p, gated: false };
  const slack = coneFromActivations(relu, groupActivations(relu, u));
  const rowNorm2 = rowNorms2(p.X);
  const out = Float64Array.from(u);
  for (let g = 0; g < 2 * P; g++) {
    const b = Float64Array.from(slack.subarray(g * n, g * n + n), (a) => -a);
    if (b.every((v) => v <= 0)) continue;
    const { z } = leastNormInCone(p, g % P, b, rowNorm2, sweeps, rounds);
    for (let j = 0; j < d; j++) out[g * d + j] += z[j]!;
  }
  return shiftIntoCones(relu, out);
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
