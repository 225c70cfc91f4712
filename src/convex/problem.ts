/**
 * The convex reformulation of two-layer ReLU training (Pilanci & Ergen 2020):
 *
 *   min  ℓ(Σ_i D_i X (v_i − w_i)) + λ Σ_i (‖v_i‖₂ + ‖w_i‖₂)
 *   s.t. (2D_i − I) X v_i ≥ 0,  (2D_i − I) X w_i ≥ 0,
 *
 * and its gated-ReLU relaxation (Mishkin, Kumar & Pilanci 2022) min ℓ(Σ_i D_i X w_i) + λ Σ‖w_i‖
 * without cone constraints. Variables are stacked group by group: u = [v_1..v_P, w_1..w_P]
 * (ReLU, 2P groups) or [w_1..w_P] (gated, P groups), each group of length d.
 *
 * In operator form, F u = Σ_g σ_g D_{i(g)} X u_g (σ = +1 for v, −1 for w) and
 * G u = ((2D_{i(g)} − I) X u_g)_g, so the program is min ℓ(Fu) + λ Σ_g ‖u_g‖ s.t. Gu ≥ 0.
 */
import { InputError } from "../errors.js";
import { type Matrix, norm2, timesX, timesXt } from "./linalg.js";
import type { Loss } from "./losses.js";

/** Activation patterns D_i = diag(mask_i), with a gate direction g_i such that mask_i = 1[X g_i ≥ 0]. */
export interface Patterns {
  count: number;
  /** count × n, 1 where the neuron is active. */
  masks: Uint8Array;
  /** count × d; (2D_i − I) X g_i > 0 strictly, so g_i is interior to the cone K_i. */
  gates: Float64Array;
}

export interface ConvexProblem {
  X: Matrix;
  y: Float64Array;
  patterns: Patterns;
  lambda: number;
  loss: Loss;
  /** Gated-ReLU relaxation (no cone constraints, one group per pattern). */
  gated: boolean;
}

/** Number of groups: 2P for ReLU (v and w), P for gated ReLU. */
export const groupCount = (p: ConvexProblem) => (p.gated ? 1 : 2) * p.patterns.count;

/** Throws InputError for a problem a user could have mis-specified. */
export function validateProblem(p: ConvexProblem): void {
  const { X, y } = p;
  if (y.length !== X.rows)
    throw new InputError("y", `has ${y.length} entries but X has ${X.rows} rows`);
  if (X.data.length !== X.rows * X.cols)
    throw new InputError("X", `holds ${X.data.length} numbers, not ${X.rows}×${X.cols}`);
  const badX = X.data.findIndex((v) => !Number.isFinite(v));
  if (badX >= 0) throw new InputError("X", `non-finite value at row ${Math.floor(badX / X.cols)}`);
  const badY = y.findIndex((v) => !Number.isFinite(v));
  if (badY >= 0) throw new InputError("y", `non-finite value at row ${badY}`);
  if (!(p.lambda > 0) || !Number.isFinite(p.lambda))
    throw new InputError("lambda", `must be a positive finite number, got ${p.lambda}`);
  if (p.loss.name !== "squared" && y.some((v) => v !== 1 && v !== -1))
    throw new InputError("y", `${p.loss.name} loss needs labels ±1`);
  if (p.patterns.count < 1) throw new InputError("patterns", "no activation patterns");
}

/** XU[g, k] = x_k · u_g for every group (one matrix product). */
export const groupActivations = (p: ConvexProblem, u: Float64Array, out?: Float64Array) =>
  timesXt(p.X, u, groupCount(p), out);

/** ŷ = F u from the group activations. */
export function predictFromActivations(
  p: ConvexProblem,
  xu: Float64Array,
  out = new Float64Array(p.X.rows),
): Float64Array {
  const n = p.X.rows;
  const P = p.patterns.count;
  const m = p.patterns.masks;
  out.fill(0);
  for (let g = 0; g < groupCount(p); g++) {
    const i = g % P;
    const sign = g < P ? 1 : -1;
    for (let k = 0; k < n; k++) if (m[i * n + k]) out[k] += sign * xu[g * n + k]!;
  }
  return out;
}

/**
 * Cone slacks (2D_i − I) X u_g, in place on the activations of the first `groups` groups
 * (group g belongs to pattern g mod P).
 */
export function coneFromActivations(
  p: ConvexProblem,
  xu: Float64Array,
  groups = groupCount(p),
): Float64Array {
  const n = p.X.rows;
  const P = p.patterns.count;
  const m = p.patterns.masks;
  for (let g = 0; g < groups; g++) {
    const i = g % P;
    for (let k = 0; k < n; k++) if (!m[i * n + k]) xu[g * n + k] = -xu[g * n + k]!;
  }
  return xu;
}

/**
 * Fᵀr + Gᵀs: group g gets Xᵀ(σ_g D_i r + (2D_i − I) s_g). `s` (groups × n) may be omitted.
 * `scratch` (groups × n) avoids an allocation.
 */
export function adjoint(
  p: ConvexProblem,
  r: Float64Array | undefined,
  s: Float64Array | undefined,
  out?: Float64Array,
  scratch = new Float64Array(groupCount(p) * p.X.rows),
): Float64Array {
  const n = p.X.rows;
  const P = p.patterns.count;
  const m = p.patterns.masks;
  for (let g = 0; g < groupCount(p); g++) {
    const i = g % P;
    const sign = g < P ? 1 : -1;
    for (let k = 0; k < n; k++) {
      const on = m[i * n + k]!;
      let v = on && r ? sign * r[k]! : 0;
      if (s) v += on ? s[g * n + k]! : -s[g * n + k]!;
      scratch[g * n + k] = v;
    }
  }
  return timesX(p.X, scratch, groupCount(p), out);
}

/** λ Σ_g ‖u_g‖₂. */
export function groupNorm(p: ConvexProblem, u: Float64Array): number {
  const d = p.X.cols;
  let s = 0;
  for (let g = 0; g < groupCount(p); g++) s += norm2(u, g * d, d);
  return p.lambda * s;
}

/** The convex objective ℓ(Fu) + λ Σ‖u_g‖ (cone constraints not checked). */
export function convexObjective(p: ConvexProblem, u: Float64Array): number {
  return p.loss.value(predictFromActivations(p, groupActivations(p, u)), p.y) + groupNorm(p, u);
}

/** Largest cone violation max(0, −min (2D_i − I) X u_g) (0 for gated problems). */
export function coneViolation(p: ConvexProblem, u: Float64Array): number {
  if (p.gated) return 0;
  const c = coneFromActivations(p, groupActivations(p, u));
  let worst = 0;
  for (const v of c) worst = Math.max(worst, -v);
  return worst;
}

/**
 * Proximal map of t·Σ‖u_g‖₂ (group soft-thresholding): u_g ← max(0, 1 − t/‖u_g‖) u_g, in place.
 */
export function groupShrink(u: Float64Array, d: number, t: number): Float64Array {
  for (let o = 0; o < u.length; o += d) {
    const nrm = norm2(u, o, d);
    const f = nrm > t ? 1 - t / nrm : 0;
    for (let j = 0; j < d; j++) u[o + j] *= f;
  }
  return u;
}

/**
 * λ_max = max_i ‖Xᵀ D_i θ₀‖₂ with θ₀ = −∇ℓ(0) (= y for the squared loss): for λ ≥ λ_max, u = 0 is
 * optimal for the gated program, and so for the ReLU program, whose optimum lies between the
 * gated one and ℓ(0). Regularization strengths are quoted as fractions of it.
 */
export function lambdaMax(p: ConvexProblem): number {
  return Math.max(0, ...zeroPrices(p));
}

/**
 * ‖Xᵀ D_i θ₀‖ for every pattern i, θ₀ = −∇ℓ(0): how strongly each pattern's group is pulled away
 * from u = 0 (its gated dual constraint there; `lambdaMax` is the largest).
 */
export function zeroPrices(p: ConvexProblem): Float64Array {
  const gated = { ...p, gated: true };
  const theta = p.loss.grad(new Float64Array(p.X.rows), p.y, new Float64Array(p.X.rows));
  for (let k = 0; k < theta.length; k++) theta[k] = -theta[k]!;
  const h = adjoint(gated, theta, undefined);
  const d = p.X.cols;
  return Float64Array.from({ length: p.patterns.count }, (_, i) => norm2(h, i * d, d));
}

/**
 * The same program without the all-zero columns of X (a constant feature standardizes to 0: digits
 * has 3 blank pixels): such a column adds nothing to any prediction or cone row, only u_g's entries
 * there to the group norms, so they are 0 at every optimum. `reduced` keeps the other columns (the
 * bias column is never 0) and the same patterns (gates restricted to them: X g is unchanged); `expand`
 * maps a reduced point back with zeros, where the objective, cone slacks and any dual certificate
 * are those of the reduced point; `restrict` drops the zero columns' entries (never raising the
 * objective). `undefined` when X has no zero column (or no nonzero one).
 */
export function withoutZeroColumns(p: ConvexProblem):
  | {
      reduced: ConvexProblem;
      expand(u: Float64Array): Float64Array;
      restrict(u: Float64Array): Float64Array;
    }
  | undefined {
  const { rows: n, cols: d, data: x } = p.X;
  const kept: number[] = [];
  for (let j = 0; j < d; j++) {
    let nonzero = false;
    for (let k = 0; k < n && !nonzero; k++) nonzero = x[k * d + j] !== 0;
    if (nonzero) kept.push(j);
  }
  const e = kept.length;
  if (e === d || e === 0) return undefined;
  const X = new Float64Array(n * e);
  for (let k = 0; k < n; k++) for (let a = 0; a < e; a++) X[k * e + a] = x[k * d + kept[a]!]!;
  const P = p.patterns.count;
  const gates = new Float64Array(P * e);
  for (let i = 0; i < P; i++)
    for (let a = 0; a < e; a++) gates[i * e + a] = p.patterns.gates[i * d + kept[a]!]!;
  const groups = groupCount(p);
  return {
    reduced: {
      ...p,
      X: { rows: n, cols: e, data: X },
      patterns: { ...p.patterns, gates },
    },
    expand(u) {
      const out = new Float64Array(groups * d);
      for (let g = 0; g < groups; g++)
        for (let a = 0; a < e; a++) out[g * d + kept[a]!] = u[g * e + a]!;
      return out;
    },
    restrict(u) {
      const out = new Float64Array(groups * e);
      for (let g = 0; g < groups; g++)
        for (let a = 0; a < e; a++) out[g * e + a] = u[g * d + kept[a]!]!;
      return out;
    },
  };
}
