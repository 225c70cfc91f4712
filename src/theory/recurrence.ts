/**
 * Iterating a block's infinite-width map through depth: variances q^l, correlations c^l, the
 * APJN factors χ_J^l and log J^{0,l} = Σ_{k<l} log χ_J^k (log space, so depth 10⁴ neither
 * overflows nor underflows); fixed points q*, c*; depth scales ξ_q, ξ_c; power-law fits.
 */

import { chiQAt, fixedPointQ, Q_LARGE, varianceMap } from "./fixed-points.js";
import { correlation, gaussianKernel, type Kernel, type KernelLayer } from "./kernel.js";
import { brent } from "./roots.js";

export interface Trajectory {
  /** q^l for l = 0..L (input a) */
  q: Float64Array;
  /** c^l for l = 0..L (correlation of inputs a and b) */
  c: Float64Array;
  /** χ_J^l for l = 0..L−1: J^{0,l+1} = χ_J^l J^{0,l} */
  chi: Float64Array;
  /** log J^{0,l} for l = 0..L (logJ[0] = 0) */
  logJ: Float64Array;
}

/** Runs `depth` blocks from the record k0 (two inputs a, b; use c = 1 for one input). */
export function propagate(block: KernelLayer, k0: Kernel, depth: number): Trajectory {
  const q = new Float64Array(depth + 1);
  const c = new Float64Array(depth + 1);
  const chi = new Float64Array(depth);
  const logJ = new Float64Array(depth + 1);
  let k = k0;
  q[0] = k.q1;
  c[0] = correlation(k);
  for (let l = 0; l < depth; l++) {
    const step = block.map(k);
    k = step.kernel;
    chi[l] = step.chi;
    logJ[l + 1] = logJ[l]! + Math.log(step.chi);
    q[l + 1] = k.q1;
    c[l + 1] = correlation(k);
  }
  return { q, c, chi, logJ };
}

/** log J^{l0,l} for l = l0..L from a trajectory's cumulative logJ. */
export function apjnFrom(logJ: Float64Array, l0: number): Float64Array {
  return logJ.slice(l0).map((v) => v - logJ[l0]!);
}

export interface FixedPoint {
  /** q* (Infinity when the variance grows without bound) */
  qStar: number;
  /** χ_J at q* (at q = 1e12 when q* = ∞) */
  chiJ: number;
  /** χ_1 = ∂c^{l+1}/∂c^l at c = 1, q = q* (= χ_J): the growth of nearby-input distances */
  chi1: number;
  /** χ_q = ∂q^{l+1}/∂q^l at q* */
  chiQ: number;
  /** stable correlation fixed point c* (1 in the ordered phase) */
  cStar: number;
  /** χ_c = ∂c^{l+1}/∂c^l at c* */
  chiC: number;
  /** ξ_q = 1/|log χ_q|: depth scale of the variance's approach to q* */
  xiQ: number;
  /** ξ_c = 1/|log χ_c|: depth scale of correlation propagation (∞ at criticality) */
  xiC: number;
}

/** The correlation map c ↦ c' at variance q (both inputs at q). */
export function correlationMap(block: KernelLayer, q: number): (c: number) => number {
  return (c) => correlation(block.map(gaussianKernel(q, q, c)).kernel);
}

/** Fixed-point quantities of a block (Poole et al. 2016; Schoenholz et al. 2017). */
export function fixedPoint(block: KernelLayer, q0 = 1): FixedPoint {
  const qStar = fixedPointQ(block, q0);
  const qEval = Number.isFinite(qStar) ? qStar : Q_LARGE;
  const chiJ = chiAt(block, qStar);
  const chiQ = Number.isFinite(qStar) ? chiQAt(block, qStar) : Number.NaN;
  const C = correlationMap(block, qEval);
  const hc = 1e-5;
  // χ_1 = ∂c'/∂c at c = 1 equals χ_J for these layers (the tangent of the pair's difference
  // grows like a Jacobian-vector product); test/theory checks it against ∂C/∂c numerically.
  const chi1 = chiJ;
  let cStar = 1;
  let chiC = chi1;
  if (chi1 > 1) {
    // chaotic: c = 1 is unstable; the stable fixed point lies below (found on [−1, 1 − δ]).
    const f = (c: number) => C(c) - c;
    const hi = 1 - 1e-7;
    if (f(-1) >= 0 && f(hi) < 0) {
      cStar = brent(f, -1, hi, 1e-14);
      chiC =
        (C(Math.min(cStar + hc, 1)) - C(cStar - hc)) / (Math.min(cStar + hc, 1) - (cStar - hc));
    }
  }
  return {
    qStar,
    chiJ,
    chi1,
    chiQ,
    cStar,
    chiC,
    xiQ: depthScale(chiQ),
    xiC: depthScale(chiC),
  };
}

/** Ordinary least-squares line y ≈ intercept + slope·x, with the r.m.s. residual. */
export function fitLine(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
): { slope: number; intercept: number; residual: number } {
  const n = x.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i]!;
    sy += y[i]!;
    sxx += x[i]! * x[i]!;
    sxy += x[i]! * y[i]!;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const intercept = (sy - slope * sx) / n;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (y[i]! - intercept - slope * x[i]!) ** 2;
  return { slope, intercept, residual: Math.sqrt(rss / n) };
}

/**
 * Fits log J^{0,l} ≈ a − ζ log l by least squares over layers l ∈ [from, to] (logJ indexed by l);
 * returns ζ (J ∝ l^{−ζ}) and the r.m.s. residual of the fit.
 */
export function powerLawFit(
  logJ: ArrayLike<number>,
  from: number,
  to: number,
): { zeta: number; residual: number } {
  const layers = Array.from(
    { length: to - Math.max(from, 1) + 1 },
    (_, i) => Math.max(from, 1) + i,
  );
  const fit = fitLine(
    layers.map(Math.log),
    layers.map((l) => logJ[l]!),
  );
  return { zeta: -fit.slope, residual: fit.residual };
}

/** χ_J of a block at variance q (q = ∞ evaluates at Q_LARGE). */
export function chiAt(block: KernelLayer, q: number): number {
  return varianceMap(block)(Number.isFinite(q) ? q : Q_LARGE).chi;
}

/** ξ = 1/|log χ|: the depth over which a quantity multiplied by χ per layer changes by e. */
export function depthScale(chi: number): number {
  return 1 / Math.abs(Math.log(Math.abs(chi)));
}
