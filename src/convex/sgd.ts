/**
 * Non-convex baseline: full-batch first-order training of the two-layer ReLU network's
 * weight-decayed objective ℓ(f(X)) + (λ/2) Σ_j (‖u_j‖² + α_j²), with manual gradients
 *   ∂/∂α_j = Σ_k ℓ'_k relu(x_k·u_j) + λ α_j,   ∂/∂u_j = α_j Σ_k ℓ'_k 1[x_k·u_j > 0] x_k + λ u_j,
 * by Adam (Kingma & Ba 2015; the default) or plain gradient descent, each with a fixed peak step
 * decayed to 0 by a cosine schedule (Loshchilov & Hutter 2017). The decay is what lets the
 * iterates settle at the ReLU kinks, where a constant step oscillates; a monotone rule (halve the
 * step on every increase) instead shrinks the step to ~1e-16 there and stalls. From many random
 * initializations and several widths this is the spread of final objectives that the convex
 * program avoids.
 */
import type { Rng } from "../rng.js";
import { type Matrix, timesX } from "./linalg.js";
import type { Loss } from "./losses.js";
import { type Network, networkOutput, preActivations, weightDecay } from "./network.js";

/** Value and gradient of the weight-decayed objective with respect to (U, α). */
export function objectiveAndGradient(
  net: Network,
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
): { value: number; U: Float64Array; alpha: Float64Array } {
  const n = X.rows;
  const H = preActivations(net, X);
  const out = networkOutput(net, X, H);
  const value = loss.value(out, y) + weightDecay(net, lambda);
  const dl = loss.grad(out, y, new Float64Array(n));
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
  return { value, U, alpha };
}

/** Gradient of the weight-decayed objective with respect to (U, α). */
export function networkGradient(
  net: Network,
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
): { U: Float64Array; alpha: Float64Array } {
  const { U, alpha } = objectiveAndGradient(net, X, y, loss, lambda);
  return { U, alpha };
}

export type GdMethod = "adam" | "gd";

export interface GdOptions {
  hidden: number;
  steps: number;
  /** Peak step size, decayed as lr · (1 + cos(π t / steps)) / 2. */
  lr: number;
  /** "adam" (β₁ = 0.9, β₂ = 0.999, ε = 1e-12; default) or "gd" (plain full-batch steps). */
  method?: GdMethod;
  /** Initial weights ~ N(0, initScale²). */
  initScale?: number;
}

export interface GdRun {
  net: Network;
  /** Objective of the final iterate. */
  objective: number;
  /** Peak step actually used: lr halved once per restart after a non-finite objective. */
  lr: number;
}

const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-12 } as const;

/** Halvings of the peak step allowed after non-finite objectives (each restarts from the same init). */
const MAX_HALVINGS = 40;

/**
 * One training run from one random initialization: `steps` full-batch steps with the cosine-decayed
 * step. If the objective becomes non-finite (a step too large for plain GD) the run restarts from
 * the same initialization with half the peak step.
 */
export function trainGd(
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
  rng: Rng,
  o: GdOptions,
): GdRun {
  const d = X.cols;
  const scale = o.initScale ?? 1 / Math.sqrt(d);
  const U0 = rng.normals(o.hidden * d, scale);
  const alpha0 = rng.normals(o.hidden, scale);
  let lr = o.lr;
  for (let tries = 0; ; tries++) {
    const run = descend(X, y, loss, lambda, U0, alpha0, lr, o);
    if (run || tries === MAX_HALVINGS) {
      const net = run ?? { d, m: o.hidden, U: U0, alpha: alpha0 };
      const objective = loss.value(networkOutput(net, X), y) + weightDecay(net, lambda);
      return { net, objective, lr };
    }
    lr /= 2;
  }
}

/** The descent loop from (U0, α0) with peak step lr; undefined if the objective left the finite range. */
function descend(
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
  U0: Float64Array,
  alpha0: Float64Array,
  lr: number,
  o: GdOptions,
): Network | undefined {
  const net: Network = {
    d: X.cols,
    m: o.hidden,
    U: Float64Array.from(U0),
    alpha: Float64Array.from(alpha0),
  };
  const adam = (o.method ?? "adam") === "adam";
  const params = [net.U, net.alpha];
  const m1 = params.map((a) => new Float64Array(a.length));
  const m2 = params.map((a) => new Float64Array(a.length));
  for (let t = 0; t < o.steps; t++) {
    const g = objectiveAndGradient(net, X, y, loss, lambda);
    if (!Number.isFinite(g.value)) return undefined;
    const step = (lr * (1 + Math.cos((Math.PI * t) / o.steps))) / 2;
    const c1 = 1 - ADAM.beta1 ** (t + 1);
    const c2 = 1 - ADAM.beta2 ** (t + 1);
    const grads = [g.U, g.alpha];
    for (let b = 0; b < 2; b++) {
      const w = params[b]!;
      const gb = grads[b]!;
      if (!adam) {
        for (let i = 0; i < w.length; i++) w[i] -= step * gb[i]!;
        continue;
      }
      const mb = m1[b]!;
      const vb = m2[b]!;
      for (let i = 0; i < w.length; i++) {
        const gi = gb[i]!;
        mb[i] = ADAM.beta1 * mb[i]! + (1 - ADAM.beta1) * gi;
        vb[i] = ADAM.beta2 * vb[i]! + (1 - ADAM.beta2) * gi * gi;
        w[i] -= (step * (mb[i]! / c1)) / (Math.sqrt(vb[i]! / c2) + ADAM.eps);
      }
    }
  }
  const last = loss.value(networkOutput(net, X), y) + weightDecay(net, lambda);
  return Number.isFinite(last) ? net : undefined;
}

export interface GdBaselineOptions extends Omit<GdOptions, "hidden"> {
  /** Hidden widths to train (e.g. m, 2m, 4m for a convex solution with m neurons). */
  widths: number[];
  /** Random initializations per width. */
  restarts: number;
  /** Called after each finished run with the number of runs done. */
  onRun?: (done: number) => void;
}

export interface GdWidth {
  hidden: number;
  /** Final objectives of the restarts, ascending. */
  objectives: number[];
  best: number;
  median: number;
}

/** `restarts` runs of `trainGd` at each width (one rng split per run). */
export function gdBaseline(
  X: Matrix,
  y: Float64Array,
  loss: Loss,
  lambda: number,
  rng: Rng,
  o: GdBaselineOptions,
): { widths: GdWidth[]; best: number } {
  let done = 0;
  const widths = o.widths.map((hidden) => {
    const objectives = Array.from({ length: o.restarts }, () => {
      const r = trainGd(X, y, loss, lambda, rng.split(), { ...o, hidden }).objective;
      o.onRun?.(++done);
      return r;
    }).sort((a, b) => a - b);
    return {
      hidden,
      objectives,
      best: objectives[0]!,
      median: objectives[Math.floor(objectives.length / 2)]!,
    };
  });
  return { widths, best: Math.min(...widths.map((w) => w.best)) };
}
