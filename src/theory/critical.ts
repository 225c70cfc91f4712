/**
 * The critical initialization: the σ_w² at which χ_J(q*) = 1, where the APJN neither grows nor
 * decays exponentially with depth (the boundary of the ordered and chaotic phases).
 */
import { InputError } from "../errors.js";
import { fixedPointBranches, SW2_MAX } from "./branches.js";
import type { KernelLayer } from "./kernel.js";
import { type FixedPoint, fixedPoint } from "./recurrence.js";

export interface CriticalPoint extends FixedPoint {
  sigmaW2: number;
  /** true when χ_J → 1 for every σ_w² (e.g. LayerNorm + residual μ = 1): no unique point */
  everywhere: boolean;
}

/**
 * The critical σ_w² seen from q^0: the first σ_w² (from 0 up) where log χ_J of the fixed point
 * reached from q^0 changes sign, found on the fixed-point curve (./branches.ts). A continuous
 * change (a critical point of the reached branch, including q* = 0 at σ_b² = 0, solved exactly
 * there, and q* = ∞) is returned with its fixed-point quantities. Throws InputError when the
 * change is a jump of q* (saddle-node or basin boundary; `fixedPointBranches` describes it) or
 * when χ_J never crosses 1 for σ_w² ∈ [0, 1e4].
 */
export function criticalPoint(
  blockFor: (sigmaW2: number) => KernelLayer,
  q0 = 1,
  analysis = fixedPointBranches(blockFor, q0),
): CriticalPoint {
  if (analysis.everywhere)
    return { sigmaW2: Number.NaN, everywhere: true, ...fixedPoint(blockFor(1), q0) };
  const t = analysis.transitions[0];
  if (!t) {
    const [lo, hi] = [analysis.reachedAt(1e-3).chiJ, analysis.reachedAt(SW2_MAX).chiJ];
    throw new InputError(
      "sigmaB2",
      `no critical point: χ_J(q*) does not cross 1 for σ_w² in [0, ${SW2_MAX}] (χ_J from ${lo.toPrecision(3)} to ${hi.toPrecision(3)})`,
    );
  }
  if (!t.continuous) {
    throw new InputError(
      "sigmaB2",
      `no critical point: χ_J(q*) jumps across 1 at σ_w² ≈ ${t.sigmaW2.toPrecision(6)} (the fixed point q* reached from q0 = ${q0} ${t.cause === "saddle-node" ? "disappears in a saddle-node" : "loses q0 from its basin"} there: a discontinuous order-to-chaos transition)`,
    );
  }
  return { sigmaW2: t.sigmaW2, everywhere: false, ...fixedPoint(blockFor(t.sigmaW2), q0) };
}

/** How the phase changes as σ_w² grows from 0, seen from q^0. */
export type TransitionKind = "everywhere" | "none" | "continuous" | "discontinuous";

/**
 * The first phase change of `fixedPointBranches` classified, with the critical point where it is
 * continuous (or critical everywhere) and null otherwise: `critkit critical` and the report both
 * read it.
 */
export function criticalTransition(
  blockFor: (sigmaW2: number) => KernelLayer,
  q0 = 1,
): {
  analysis: ReturnType<typeof fixedPointBranches>;
  kind: TransitionKind;
  critical: CriticalPoint | null;
} {
  const analysis = fixedPointBranches(blockFor, q0);
  const first = analysis.transitions[0];
  const kind: TransitionKind = analysis.everywhere
    ? "everywhere"
    : !first
      ? "none"
      : first.continuous
        ? "continuous"
        : "discontinuous";
  const critical =
    kind === "continuous" || kind === "everywhere" ? criticalPoint(blockFor, q0, analysis) : null;
  return { analysis, kind, critical };
}

export interface CriticalLinePoint {
  sigmaB2: number;
  sigmaW2: number;
  /** false where the order-to-chaos change seen from q^0 is a jump of q* (discontinuous) */
  continuous: boolean;
}

/**
 * The order-to-chaos line σ_w²(σ_b²) seen from q^0 at the given σ_b² values: the first phase
 * change of `fixedPointBranches`, continuous or discontinuous (labelled), keeping the points
 * inside `sigmaW2Range`.
 */
export function criticalLine(
  blockFor: (sigmaW2: number, sigmaB2: number) => KernelLayer,
  sigmaB2: ArrayLike<number>,
  q0: number,
  sigmaW2Range: [number, number],
): CriticalLinePoint[] {
  const line: CriticalLinePoint[] = [];
  for (const sb2 of Array.from(sigmaB2)) {
    const t = fixedPointBranches((sw2) => blockFor(sw2, sb2), q0).transitions[0];
    if (t && t.sigmaW2 >= sigmaW2Range[0] && t.sigmaW2 <= sigmaW2Range[1])
      line.push({ sigmaB2: sb2, sigmaW2: t.sigmaW2, continuous: t.continuous });
  }
  return line;
}
