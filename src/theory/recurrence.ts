/**
 * Iterating a block's infinite-width map through depth: variances q^l, correlations c^l, the
 * APJN factors χ_J^l and log J^{0,l} = Σ_{k<l} log χ_J^k (log space, so depth 10⁴ neither
 * overflows nor underflows); fixed points q*, c*; depth scales ξ_q, ξ_c; power-law fits.
 */

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
  /**
   * The first layer l at which q^l or log J^{0,l} leaves the float64 range (q^l > 1.8e308):
   * the recurrence stops there (q^l = ∞) and every later entry is NaN. null when all L layers are finite.
   */
  overflowLayer: number | null;
  /**
   * The first layer whose c^l was not computed because q^l exceeded `bivariateUpTo` (c^l is NaN
   * from there on; q, χ_J and J go on); null when every c^l was computed.
   */
  correlationStop: number | null;
}

export interface PropagateOptions {
  /**
   * Largest variance at which the two-input map (c^l) is evaluated (default ∞). Quadrature-based
   * activations lose accuracy on it beyond Q_BIVARIATE_MAX (src/theory/quadrature.ts).
   */
  bivariateUpTo?: number;
}

/**
 * Runs `depth` blocks from the record k0 (two inputs a, b; use c = 1 for one input). `block` is
 * one block for every layer, or the block of layer l. Stops at the first layer where q or log J
 * overflows (see Trajectory.overflowLayer): a variance of ∞ has no Gaussian expectations.
 */
export function propagate(
  block: KernelLayer | ((l: number) => KernelLayer),
  k0: Kernel,
  depth: number,
  opts: PropagateOptions = {},
): Trajectory {
  const blockAt = typeof block === "function" ? block : () => block;
  const bivariateUpTo = opts.bivariateUpTo ?? Number.POSITIVE_INFINITY;
  const q = new Float64Array(depth + 1).fill(Number.NaN);
  const c = new Float64Array(depth + 1).fill(Number.NaN);
  const chi = new Float64Array(depth).fill(Number.NaN);
  const logJ = new Float64Array(depth + 1).fill(Number.NaN);
  let overflowLayer: number | null = null;
  let correlationStop: number | null = null;
  let k = k0;
  q[0] = k.q1;
  c[0] = correlation(k);
  logJ[0] = 0;
  for (let l = 0; l < depth; l++) {
    if (correlationStop === null && Math.max(k.q1, k.q2) > bivariateUpTo) correlationStop = l;
    // past the stop, one input: the block's single-variance maps only
    if (correlationStop !== null) k = { ...k, q2: k.q1, q12: k.q1, m2: k.m1 };
    const step = blockAt(l).map(k);
    k = step.kernel;
    chi[l] = step.chi;
    logJ[l + 1] = logJ[l]! + Math.log(step.chi);
    q[l + 1] = k.q1;
    if (correlationStop === null) c[l + 1] = correlation(k);
    if (!(Number.isFinite(k.q1) && Number.isFinite(k.q2) && Number.isFinite(logJ[l + 1]!))) {
      overflowLayer = l + 1;
      break;
    }
  }
  return { q, c, chi, logJ, overflowLayer, correlationStop };
}

/** log J^{l0,l} for l = l0..L from a trajectory's cumulative logJ. */
export function apjnFrom(logJ: Float64Array, l0: number): Float64Array {
  return logJ.slice(l0).map((v) => v - logJ[l0]!);
}

/** The block's single-input variance map q ↦ q' and its χ_J(q). */
export function varianceMap(block: KernelLayer): (q: number) => VarianceStep {
  return (q) => {
    const s = block.map(gaussianKernel(q));
    return { q: s.kernel.q1, chi: s.chi };
  };
}
interface VarianceStep {
  q: number;
  chi: number;
}

const Q_GRID = Array.from({ length: 49 }, (_, i) => 10 ** (-12 + i / 2)); // 1e-12 … 1e12

/**
 * The fixed point q* that iteration of the variance map reaches from q^0 = `q0`: the variance
 * map Q is increasing, so q^l moves monotonically towards the nearest root of g(q) = Q(q) − q
 * in the direction of g(q0). Roots are bracketed on a log grid (1e-12 … 1e12) and refined with
 * Brent's method. Returns 0 when the variance collapses, Infinity when it grows without bound,
 * and q0 itself when the map is neutral (Q(q) = q, e.g. ReLU at σ_w² = 2, σ_b² = 0).
 * Activations such as GELU are bistable for some (σ_w², σ_b²): then q0 selects the basin.
 */
export function fixedPointQ(block: KernelLayer, q0 = 1): number {
  const Q = varianceMap(block);
  const g = (q: number) => {
    const d = Q(q).q - q;
    return Math.abs(d) <= 4 * Number.EPSILON * q ? 0 : d;
  };
  const g0 = g(q0);
  if (g0 === 0) return q0;
  if (g0 > 0) {
    let prev = q0;
    for (const q of Q_GRID) {
      if (q <= q0) continue;
      if (g(q) <= 0) return brent(g, prev, q, 0);
      prev = q;
    }
    return Number.POSITIVE_INFINITY;
  }
  let prev = q0;
  for (let i = Q_GRID.length - 1; i >= -1; i--) {
    const q = i >= 0 ? Q_GRID[i]! : 0;
    if (q >= q0) continue;
    const gq = g(q);
    if (gq >= 0) return gq === 0 && q === 0 ? 0 : brent(g, q, prev, 0);
    prev = q;
  }
  return 0;
}

/** Where a variance beyond the grid is needed (q* = ∞), quantities are evaluated here. */
export const Q_LARGE = 1e12;

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
  const Q = varianceMap(block);
  const chiJ = chiAt(block, qStar);
  const hq = Math.max(1e-6 * qEval, 1e-9);
  const chiQ = Number.isFinite(qStar)
    ? (Q(qEval + hq).q - Q(Math.max(qEval - hq, 0)).q) / (qEval + hq - Math.max(qEval - hq, 0))
    : Number.NaN;
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

/** |log χ| below this is indistinguishable from 0 (χ_c and χ_q come from finite differences). */
const LOG_CHI_RESOLVED = 1e-9;

/**
 * ξ = 1/|log χ|: the depth over which a quantity multiplied by χ per layer changes by e.
 * ∞ where |log χ| ≤ 1e-9 (χ = 1 within the accuracy of χ: no finite depth scale is resolved).
 */
export function depthScale(chi: number): number {
  const logChi = Math.abs(Math.log(Math.abs(chi)));
  return logChi <= LOG_CHI_RESOLVED ? Number.POSITIVE_INFINITY : 1 / logChi;
}
