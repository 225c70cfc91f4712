/**
 * The critical initialization: the σ_w² at which χ_J(q*) = 1, where the APJN neither grows nor
 * decays exponentially with depth (the boundary of the ordered and chaotic phases).
 */
import { InputError } from "../errors.js";
import type { KernelLayer } from "./kernel.js";
import { type FixedPoint, fixedPoint, fixedPointQ, gaussianKernelChi } from "./recurrence.js";
import { brent } from "./roots.js";

export interface CriticalPoint extends FixedPoint {
  sigmaW2: number;
  /** true when χ_J → 1 for every σ_w² (e.g. LayerNorm + residual μ = 1): no unique point */
  everywhere: boolean;
}

/** log χ_J(q*(σ_w²)) for the block family `blockFor`. */
export function logChiAtFixedPoint(blockFor: (sigmaW2: number) => KernelLayer, sigmaW2: number, q0 = 1): number {
  const block = blockFor(sigmaW2);
  return Math.log(gaussianKernelChi(block, fixedPointQ(block, q0)));
}

const SW2_MIN = 1e-3;
const SW2_MAX = 1e4;

/**
 * Solves log χ_J(q*(σ_w²)) = 0 for σ_w² ∈ [1e-3, 1e4] by bracketing on a doubling grid and
 * Brent's method to |Δσ_w²| ≤ 1e-13 σ_w². Throws InputError when χ_J never crosses 1.
 */
export function criticalPoint(blockFor: (sigmaW2: number) => KernelLayer, q0 = 1): CriticalPoint {
  const F = (s: number) => logChiAtFixedPoint(blockFor, s, q0);
  let lo = SW2_MIN;
  let flo = F(lo);
  let everywhereCritical = Math.abs(flo) < 1e-9;
  for (let hi = 2 * SW2_MIN; hi <= SW2_MAX; hi *= 2) {
    const fhi = F(hi);
    everywhereCritical &&= Math.abs(fhi) < 1e-9;
    if (flo <= 0 && fhi >= 0 && !(Math.abs(flo) < 1e-9 && Math.abs(fhi) < 1e-9)) {
      const sigmaW2 = flo === 0 ? lo : brent(F, lo, hi, 1e-13 * hi);
      const fp = fixedPoint(blockFor(sigmaW2), q0);
      if (!(Math.abs(fp.chiJ - 1) < 1e-6)) {
        throw new InputError(
          "sigma-b2",
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
    "sigma-w2",
    `no critical point: χ_J(q*) does not cross 1 for σ_w² in [${SW2_MIN}, ${SW2_MAX}] (log χ_J from ${F(SW2_MIN).toPrecision(3)} to ${flo.toPrecision(3)})`,
  );
}
