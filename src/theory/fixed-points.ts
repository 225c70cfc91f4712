/**
 * Every fixed point of a block's single-input variance map q ↦ Q(q) (for the MLP,
 * Q(q) = σ_w² E[φ(√q z)²] + σ_b²), attracting and repelling, with each attractor's basin of
 * attraction in q^0, and the one that iteration from a given q^0 reaches.
 *
 * Q is increasing, so q^l moves monotonically from q^0 towards the nearest fixed point in the
 * direction of Q(q^0) − q^0; knowing all fixed points therefore decides every q^0. They are the
 * roots of r(x) = ln Q(e^x) − x on x = ln q (scale-free; r′ = χ_q − 1 at a root), sampled at 24
 * points per decade from max(Q(0), 1e-12) to Q_LARGE = 1e12 (every fixed point is ≥ Q(0)) and
 * refined by `allRoots`, which also finds a close attracting/repelling pair that falls between
 * two samples. q = 0 is a fixed point exactly when Q(0) = 0 (σ_b² = 0 with φ(0) = 0).
 */
import { gaussianKernel, type KernelLayer } from "./kernel.js";
import { allRoots } from "./roots.js";

/** Where a variance beyond the grid is needed (q* = ∞), quantities are evaluated here. */
export const Q_LARGE = 1e12;
const Q_SMALL = 1e-12;
const PER_DECADE = 12;
/** |ln Q(q) − ln q| below this counts as Q(q) = q (round-off of the quadrature). */
const NEUTRAL_TOL = 16 * Number.EPSILON;

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

export interface FixedPointInfo {
  /** q* (0 where Q(0) = 0) */
  qStar: number;
  /** iteration from nearby q^0 on both sides converges to it (χ_q < 1) */
  attracting: boolean;
  /** χ_J(q*) */
  chiJ: number;
  /** χ_q = Q′(q*) (central difference) */
  chiQ: number;
  /** the q^0 whose iteration converges here: an open interval plus q* itself ([q*, q*] if repelling) */
  basin: [number, number];
}

export interface FixedPointSet {
  /** ascending in q* */
  points: FixedPointInfo[];
  /** q^l → ∞ from every q^0 above the last fixed point (or from every q^0 when there is none) */
  divergent: boolean;
  /** Q(q) = q on the whole grid (e.g. ReLU at σ_w² = 2, σ_b² = 0): every q^0 is a fixed point */
  neutral: boolean;
}

/** χ_q = Q′(q) by a central difference (one-sided at q = 0). */
export function chiQAt(block: KernelLayer, q: number): number {
  const Q = varianceMap(block);
  const h = Math.max(1e-6 * q, 1e-9);
  const lo = Math.max(q - h, 0);
  return (Q(q + h).q - Q(lo).q) / (q + h - lo);
}

/** All fixed points of the block's variance map in [0, Q_LARGE], with stability and basins. */
export function fixedPoints(block: KernelLayer): FixedPointSet {
  const Q = varianceMap(block);
  const q0Map = Q(0).q;
  const zeroFixed = q0Map === 0;
  const r = (x: number) => {
    const q = Math.exp(x);
    const d = Math.log(Q(q).q / q);
    return Math.abs(d) <= NEUTRAL_TOL ? 0 : d;
  };
  const xLo = Math.log(zeroFixed ? Q_SMALL : Math.max(q0Map, Q_SMALL));
  const xHi = Math.log(Q_LARGE);
  const n = Math.max(4, Math.ceil(((xHi - xLo) / Math.LN10) * PER_DECADE) + 1);
  const xs = Float64Array.from({ length: n }, (_, i) => xLo + ((xHi - xLo) * i) / (n - 1));
  const rs = xs.map(r);
  if (rs.every((v) => v === 0)) return { points: [], divergent: false, neutral: true };
  const qs = allRoots(r, xs, rs, 1e-15).map(Math.exp);
  if (zeroFixed) qs.unshift(0);
  // the sign of r on the gap below qs[k] (k = qs.length: above every fixed point)
  const gapSign = (k: number): number => {
    const lo = k === 0 || qs[k - 1] === 0 ? xLo : Math.log(qs[k - 1]!);
    const hi = k === qs.length ? xHi : Math.log(qs[k]!);
    return Math.sign(r(0.5 * (lo + hi)));
  };
  const signs = Array.from({ length: qs.length + 1 }, (_, k) => gapSign(k));
  const points = qs.map((qStar, k): FixedPointInfo => {
    // below the lowest fixed point q^l rises: Q(q) ≥ Q(0) > q under Q(0), no root above it
    const fromBelow = k === 0 || signs[k]! > 0;
    const fromAbove = signs[k + 1]! < 0;
    const attracting = fromBelow && fromAbove;
    return {
      qStar,
      attracting,
      chiJ: Q(qStar).chi,
      chiQ: chiQAt(block, qStar),
      basin: [
        fromBelow ? (k === 0 ? 0 : qs[k - 1]!) : qStar,
        fromAbove ? (k + 1 < qs.length ? qs[k + 1]! : Number.POSITIVE_INFINITY) : qStar,
      ],
    };
  });
  return { points, divergent: signs[qs.length]! > 0, neutral: false };
}

/**
 * The fixed point q* that iteration of the variance map reaches from q^0 = `q0`: the nearest
 * fixed point above q0 when Q(q0) > q0 (Infinity if there is none: the variance grows without
 * bound), the nearest below when Q(q0) < q0 (0 if none: the variance collapses), q0 itself
 * when Q(q0) = q0 (including a neutral map, e.g. ReLU at σ_w² = 2, σ_b² = 0). Activations such
 * as GELU are bistable for some (σ_w², σ_b²): then q0 selects the basin.
 */
export function fixedPointQ(block: KernelLayer, q0 = 1, set = fixedPoints(block)): number {
  if (set.neutral) return q0;
  const d = Math.log(varianceMap(block)(q0).q / q0);
  if (Math.abs(d) <= NEUTRAL_TOL) return q0;
  const qs = set.points.map((p) => p.qStar);
  if (d > 0) return qs.find((q) => q > q0) ?? Number.POSITIVE_INFINITY;
  return qs.findLast((q) => q < q0) ?? 0;
}
