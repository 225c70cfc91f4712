/**
 * Non-convex baseline: full-batch gradient descent (step halved whenever the objective would rise) on the two-layer ReLU network's
 * weight-decayed objective ℓ(f(X)) + (λ/2) Σ_j (‖u_j‖² + α_j²), with manual gradients
 *   ∂/∂α_j = Σ_k ℓ'_k relu(x_k·u_j) + λ α_j,   ∂/∂u_j = α_j Σ_k ℓ'_k 1[x_k·u_j > 0] x_k + λ u_j.
 * From many random initializations this shows the spread of final objectives that the convex
 * program avoids.
 */
import type { Rng } from "../rng.js";
import { type Matrix, timesX } from "./linalg.js";
import type { Loss } from "./losses.js";
import { type Network, networkObjective, networkOutput, preActivations } from "./network.js";

/** Gradient of the weight-decayed objective with respect to (U, α). */
export function networkGradient(
  net: Network,
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
): { U: Float64Array; alpha: Float64Array } {
  const n = X.rows;
  const H = preActivations(net, X);
  const dl = loss.grad(networkOutput(net, X, H), y, new Float64Array(n));
  const alpha = new Float64Array(net.m);
  const R = new Float64Array(net.m * n);
  for (let j = 0; j < net.m; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const h = H[j * n + k]!;
      if (h > 0) {
        s += dl[k]! * h;
        R[j * n + k] = net.alpha[j]! * dl[k]!;
      }
    }
    alpha[j] = s + lambda * net.alpha[j]!;
  }
  const U = timesX(X, R, net.m);
  for (let i = 0; i < U.length; i++) U[i] = U[i]! + lambda * net.U[i]!;
  return { U, alpha };
}

export interface GdOptions {
  hidden: number;
  steps: number;
  /** Initial step size (halved on an increase, grown 10% after a decrease). */
  lr: number;
  /** Initial weights ~ N(0, initScale²). */
  initScale?: number;
}

/** Full-batch gradient descent with a monotone step-size rule, from one random initialization. */
export function trainGd(
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
  rng: Rng,
  o: GdOptions,
): { net: Network; objective: number } {
  const d = X.cols;
  const scale = o.initScale ?? 1 / Math.sqrt(d);
  let net: Network = {
    d,
    m: o.hidden,
    U: rng.normals(o.hidden * d, scale),
    alpha: rng.normals(o.hidden, scale),
  };
  let lr = o.lr;
  let f = networkObjective(net, X, y, loss, lambda);
  for (let t = 0; t < o.steps; t++) {
    const g = networkGradient(net, X, y, loss, lambda);
    for (;;) {
      const trial: Network = {
        ...net,
        U: net.U.map((v, i) => v - lr * g.U[i]!),
        alpha: net.alpha.map((v, j) => v - lr * g.alpha[j]!),
      };
      const ft = networkObjective(trial, X, y, loss, lambda);
      if (ft <= f) {
        net = trial;
        f = ft;
        lr *= 1.1;
        break;
      }
      lr /= 2;
      if (lr < 1e-300) return { net, objective: f };
    }
  }
  return { net, objective: f };
}
