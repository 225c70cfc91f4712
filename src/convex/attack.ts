/**
 * ℓ∞ projected-gradient attack (PGD, Madry et al. 2018) on a recovered network
 * f(x) = Σ_j relu(x·u_j) α_j: for each sample, maximize the margin loss −y f(x + δ) (and with it the
 * hinge (1 − y f)₊) over ‖δ‖∞ ≤ ε, δ = 0 on the bias column (last), by
 *   δ ← clip_ε(δ + η sign(−y ∇f(x + δ))),   ∇f(x) = Σ_j 1[x·u_j > 0] α_j u_j,
 * from δ = 0 and from uniform random starts, keeping the worst δ found.
 */
import type { Rng } from "../rng.js";
import { type Matrix, matrix } from "./linalg.js";
import { type Network, networkOutput } from "./network.js";

/** ∇f(x) for one input x (length d). */
export function inputGradient(net: Network, x: Float64Array): Float64Array {
  const d = net.d;
  const g = new Float64Array(d);
  for (let j = 0; j < net.m; j++) {
    let h = 0;
    for (let c = 0; c < d; c++) h += x[c]! * net.U[j * d + c]!;
    if (h > 0) for (let c = 0; c < d; c++) g[c] += net.alpha[j]! * net.U[j * d + c]!;
  }
  return g;
}

/** f(x) for one input. */
const outputAt = (net: Network, x: Float64Array) => networkOutput(net, matrix(1, net.d, x))[0]!;

export interface AttackOptions {
  /** Gradient steps per start (default 40). */
  steps?: number;
  /** Random starts besides δ = 0 (default 2). */
  restarts?: number;
}

export interface AttackResult {
  /** Attacked inputs. */
  X: Matrix;
  cleanAccuracy: number;
  adversarialAccuracy: number;
  /** Σ_k (1 − y_k f(x_k))₊ before and after the attack. */
  cleanHinge: number;
  adversarialHinge: number;
}

const hingeSum = (f: Float64Array, y: Float64Array) =>
  f.reduce((s, v, k) => s + Math.max(0, 1 - y[k]! * v), 0);
const accuracy = (f: Float64Array, y: Float64Array) =>
  f.filter((v, k) => Math.sign(v) === y[k]).length / y.length;

/** PGD with step η = 2.5ε/steps on every sample of (X, y ∈ {±1}). */
export function pgdAttack(
  net: Network,
  X: Matrix,
  y: Float64Array,
  eps: number,
  rng: Rng,
  opts: AttackOptions = {},
): AttackResult {
  const { steps = 40, restarts = 2 } = opts;
  const { rows: n, cols: d } = X;
  const features = d - 1;
  const eta = (2.5 * eps) / steps;
  const adv = matrix(n, d, Float64Array.from(X.data));
  for (let k = 0; k < n; k++) {
    const x0 = X.data.subarray(k * d, k * d + d);
    let worst = Float64Array.from(x0);
    let worstMargin = -y[k]! * outputAt(net, worst);
    for (let start = 0; start <= restarts && eps > 0; start++) {
      const x = Float64Array.from(x0);
      if (start > 0)
        for (let c = 0; c < features; c++) x[c] = x[c]! + eps * (2 * rng.uniform() - 1);
      for (let t = 0; t < steps; t++) {
        const g = inputGradient(net, x);
        for (let c = 0; c < features; c++) {
          const step = x[c]! - y[k]! * eta * Math.sign(g[c]!);
          x[c] = Math.min(x0[c]! + eps, Math.max(x0[c]! - eps, step));
        }
        const margin = -y[k]! * outputAt(net, x);
        if (margin > worstMargin) {
          worstMargin = margin;
          worst = Float64Array.from(x);
        }
      }
    }
    adv.data.set(worst, k * d);
  }
  const clean = networkOutput(net, X);
  const attacked = networkOutput(net, adv);
  return {
    X: adv,
    cleanAccuracy: accuracy(clean, y),
    adversarialAccuracy: accuracy(attacked, y),
    cleanHinge: hingeSum(clean, y),
    adversarialHinge: hingeSum(attacked, y),
  };
}
