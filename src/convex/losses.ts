/**
 * Losses ℓ(ŷ) = Σ_k ℓ_k(ŷ_k) of the convex program, each with what the solvers need: value,
 * gradient (smooth losses), proximal map, and the Fenchel dual term used by the certificate.
 *
 * Dual convention: θ = −∇ℓ(ŷ) (a subgradient for hinge); the dual objective is
 * Σ_k −ℓ_k*(−θ_k), finite on the loss's dual domain (enforced by `clipDual`).
 * Labels for logistic and hinge are ±1.
 */
export type LossName = "squared" | "logistic" | "hinge";

export interface Loss {
  name: LossName;
  /** Whether ∇ℓ exists (FISTA needs it). */
  smooth: boolean;
  value(yhat: Float64Array, y: Float64Array): number;
  /** out = ∇ℓ(ŷ) (for hinge a subgradient, used only by the non-convex baseline). */
  grad(yhat: Float64Array, y: Float64Array, out: Float64Array): Float64Array;
  /** out = ℓ''(ŷ) elementwise (smooth losses: the interior-point method's Newton system). */
  curvature?(yhat: Float64Array, y: Float64Array, out: Float64Array): Float64Array;
  /** out = argmin_z ℓ(z) + ‖z − a‖² / (2t). */
  prox(a: Float64Array, y: Float64Array, t: number, out: Float64Array): Float64Array;
  /** Projects θ onto the domain of the dual term (in place). */
  clipDual(theta: Float64Array, y: Float64Array): Float64Array;
  /** Σ_k −ℓ_k*(−θ_k). */
  dualValue(theta: Float64Array, y: Float64Array): number;
}

const sigmoid = (t: number) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));
/** log(1 + eᵗ) without overflow. */
const softplus = (t: number) => (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t)));
const xlogx = (p: number) => (p > 0 ? p * Math.log(p) : 0);

/** Clips p_k = y_k θ_k into [0, 1], the dual domain of logistic and hinge. */
function clipMargin(theta: Float64Array, y: Float64Array): Float64Array {
  for (let k = 0; k < theta.length; k++)
    theta[k] = y[k]! * Math.min(1, Math.max(0, y[k]! * theta[k]!));
  return theta;
}

/** ½‖ŷ − y‖²; dual term θ·y − ½‖θ‖². */
export const squared: Loss = {
  name: "squared",
  smooth: true,
  value(yhat, y) {
    let s = 0;
    for (let k = 0; k < y.length; k++) s += (yhat[k]! - y[k]!) ** 2;
    return s / 2;
  },
  grad(yhat, y, out) {
    for (let k = 0; k < y.length; k++) out[k] = yhat[k]! - y[k]!;
    return out;
  },
  curvature: (_yhat, _y, out) => out.fill(1),
  prox(a, y, t, out) {
    for (let k = 0; k < y.length; k++) out[k] = (a[k]! + t * y[k]!) / (1 + t);
    return out;
  },
  clipDual: (theta) => theta,
  dualValue(theta, y) {
    let s = 0;
    for (let k = 0; k < y.length; k++) s += theta[k]! * y[k]! - theta[k]! ** 2 / 2;
    return s;
  },
};

/** Σ log(1 + exp(−y ŷ)); dual term: binary entropy of p = yθ ∈ [0, 1]. */
export const logistic: Loss = {
  name: "logistic",
  smooth: true,
  value(yhat, y) {
    let s = 0;
    for (let k = 0; k < y.length; k++) s += softplus(-y[k]! * yhat[k]!);
    return s;
  },
  grad(yhat, y, out) {
    for (let k = 0; k < y.length; k++) out[k] = -y[k]! * sigmoid(-y[k]! * yhat[k]!);
    return out;
  },
  curvature(yhat, y, out) {
    for (let k = 0; k < y.length; k++) {
      const s = sigmoid(-y[k]! * yhat[k]!);
      out[k] = s * (1 - s);
    }
    return out;
  },
  prox(a, y, t, out) {
    // Newton on the strictly convex scalar equation −y σ(−y z) + (z − a)/t = 0.
    for (let k = 0; k < y.length; k++) {
      const yk = y[k]!;
      let z = a[k]!;
      for (let it = 0; it < 60; it++) {
        const s = sigmoid(-yk * z);
        const step = (-yk * s + (z - a[k]!) / t) / (s * (1 - s) + 1 / t);
        z -= step;
        if (Math.abs(step) <= 1e-15 * (1 + Math.abs(z))) break;
      }
      out[k] = z;
    }
    return out;
  },
  clipDual: clipMargin,
  dualValue(theta, y) {
    let s = 0;
    for (let k = 0; k < y.length; k++) {
      const p = y[k]! * theta[k]!;
      s -= xlogx(p) + xlogx(1 - p);
    }
    return s;
  },
};

/** Σ max(0, 1 − y ŷ); dual term Σ yθ with yθ ∈ [0, 1]. */
export const hinge: Loss = {
  name: "hinge",
  smooth: false,
  value(yhat, y) {
    let s = 0;
    for (let k = 0; k < y.length; k++) s += Math.max(0, 1 - y[k]! * yhat[k]!);
    return s;
  },
  grad(yhat, y, out) {
    for (let k = 0; k < y.length; k++) out[k] = y[k]! * yhat[k]! < 1 ? -y[k]! : 0;
    return out;
  },
  prox(a, y, t, out) {
    for (let k = 0; k < y.length; k++) {
      const m = y[k]! * a[k]!;
      out[k] = m >= 1 ? a[k]! : m <= 1 - t ? a[k]! + t * y[k]! : y[k]!;
    }
    return out;
  },
  clipDual: clipMargin,
  dualValue(theta, y) {
    let s = 0;
    for (let k = 0; k < y.length; k++) s += y[k]! * theta[k]!;
    return s;
  },
};

export const losses: Record<LossName, Loss> = { squared, logistic, hinge };
