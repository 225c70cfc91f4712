/**
 * The critical initialization: the σ_w² at which χ_J(q*) = 1, where the APJN neither grows nor
 * decays exponentially with depth (the boundary of the ordered and chaotic phases).
 */
import { InputError } from "../errors.js";
import type { KernelLayer } from "./kernel.js";
import { chiAt, type FixedPoint, fixedPoint, fixedPointQ } from "./recurrence.js";
import { brent } from "./roots.js";

export interface CriticalPoint extends FixedPoint {
  sigmaW2: number;
  /** true when χ_J → 1 for every σ_w² (e.g. LayerNorm + residual μ = 1): no unique point */
  everywhere: boolean;
}

/** log χ_J(q*(σ_w²)) for the block family `blockFor`. */
export function logChiAtFixedPoint(
  blockFor: (sigmaW2: number) => KernelLayer,
  sigmaW2: number,
  q0 = 1,
): number {
  const block = blockFor(sigmaW2);
  return Math.log(chiAt(block, fixedPointQ(block, q0)));
}

const SW2_MIN = 1e-3;
const SW2_MAX = 1e4;
/** |log χ_J| below this on the whole σ_w² range means critical everywhere (χ_J → 1 as q* → ∞). */
const EVERYWHERE_TOL = 1e-6;

/**
 * Solves log χ_J(q*(σ_w²)) = 0 for σ_w² ∈ [1e-3, 1e4] by bracketing on a doubling grid and
 * Brent's method to |Δσ_w²| ≤ 1e-13 σ_w². Throws InputError when χ_J never crosses 1.
 */
export function criticalPoint(blockFor: (sigmaW2: number) => KernelLayer, q0 = 1): CriticalPoint {
  const F = (s: number) => logChiAtFixedPoint(blockFor, s, q0);
  let lo = SW2_MIN;
  let flo = F(lo);
  let everywhereCritical = Math.abs(flo) < EVERYWHERE_TOL;
  for (let hi = 2 * SW2_MIN; hi <= SW2_MAX; hi *= 2) {
    const fhi = F(hi);
    everywhereCritical &&= Math.abs(fhi) < EVERYWHERE_TOL;
    if (
      flo <= 0 &&
      fhi >= 0 &&
      !(Math.abs(flo) < EVERYWHERE_TOL && Math.abs(fhi) < EVERYWHERE_TOL)
    ) {
      const sigmaW2 = flo === 0 ? lo : brent(F, lo, hi, 1e-13 * hi);
      const fp = fixedPoint(blockFor(sigmaW2), q0);
      if (!(Math.abs(fp.chiJ - 1) < 1e-6)) {
        throw new InputError(
          "sigmaB2",
          `no critical point: χ_J(q*) jumps across 1 at σ_w² ≈ ${sigmaW2.toPrecision(6)} (the fixed point q* reached from q0 = ${q0} disappears there: a discontinuous order-to-chaos transition)`,
        );
      }
      return { sigmaW2, everywhere: false, ...fp };
    }
    lo = hi;
    flo = fhi;
  }
  if (everywhereCritical) {
    return { sigmaW2: Number.NaN, everywhere: true, ...fixedPoint(blockFor(1), q0) };
  }
  throw new InputError(
    "sigmaB2",
    `no critical point: χ_J(q*) does not cross 1 for σ_w² in [${SW2_MIN}, ${SW2_MAX}] (log χ_J from ${F(SW2_MIN).toPrecision(3)} to ${flo.toPrecision(3)})`,
  );
}

export interface CriticalLinePoint {
  sigmaB2: number;
  sigmaW2: number;
}

/**
 * The critical line σ_w²(σ_b²) at the given σ_b² values, keeping the points inside
 * `sigmaW2Range` where a continuous transition exists (others are skipped).
 */
export function criticalLine(
  blockFor: (sigmaW2: number, sigmaB2: number) => KernelLayer,
  sigmaB2: ArrayLike<number>,
  q0: number,
  sigmaW2Range: [number, number],
): CriticalLinePoint[] {
  const line: CriticalLinePoint[] = [];
  for (const sb2 of Array.from(sigmaB2)) {
    try {
      const cp = criticalPoint((sw2) => blockFor(sw2, sb2), q0);
      if (!cp.everywhere && cp.sigmaW2 >= sigmaW2Range[0] && cp.sigmaW2 <= sigmaW2Range[1])
        line.push({ sigmaB2: sb2, sigmaW2: cp.sigmaW2 });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
  }
  return line;
}
