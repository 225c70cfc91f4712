/**
 * The non-convex two-layer ReLU network f(x) = Σ_j relu(x·u_j) α_j and its weight-decayed
 * training objective ℓ(f(X)) + (λ/2) Σ_j (‖u_j‖² + α_j²). The bias, if any, is a constant-1
 * column of X, so it lives inside u_j and is decayed like every other weight.
 */

import { type Matrix, timesXt } from "./linalg.js";
import type { Loss } from "./losses.js";

export interface Network {
  /** Input dimension (columns of X, bias column included). */
  d: number;
  /** Hidden units. */
  m: number;
  /** m × d first-layer weights, row j = u_j. */
  U: Float64Array;
  /** m second-layer weights α_j. */
  alpha: Float64Array;
}

/** Pre-activations H[j, k] = x_k · u_j (m × n). */
export const preActivations = (net: Network, X: Matrix) => timesXt(X, net.U, net.m);

/** f(x_k) = Σ_j relu(x_k·u_j) α_j for every row. */
export function networkOutput(net: Network, X: Matrix, H = preActivations(net, X)): Float64Array {
  const n = X.rows;
  const out = new Float64Array(n);
  for (let j = 0; j < net.m; j++) {
    const a = net.alpha[j]!;
    for (let k = 0; k < n; k++) {
      const h = H[j * n + k]!;
      if (h > 0) out[k] += a * h;
    }
  }
  return out;
}

/** (λ/2) Σ_j (‖u_j‖² + α_j²). */
export function weightDecay(net: Network, lambda: number): number {
  let s = 0;
  for (const v of net.U) s += v * v;
  for (const v of net.alpha) s += v * v;
  return (lambda / 2) * s;
}

/** ℓ(f(X)) + (λ/2) Σ (‖u_j‖² + α_j²). */
export function networkObjective(
  net: Network,
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
): number {
  return loss.value(networkOutput(net, X), y) + weightDecay(net, lambda);
}
