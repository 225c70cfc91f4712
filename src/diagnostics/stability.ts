/**
 * Linear stability of gradient descent near a minimum: on the quadratic L(θ) = ½ θᵀHθ, GD with
 * step η and L2 weight decay λ iterates θ ← (I − η(H + λI)) θ, stable iff every eigenvalue of
 * H + λI lies in (0, 2/η), i.e. η < 2/(λ_max(H) + λ). Heavy-ball momentum β
 * (b ← βb + g, θ ← θ − ηb) is stable iff η(λ_max + λ) < 2(1 + β) (the characteristic roots of
 * z² − (1 + β − ηa)z + β stay in the unit disc; Polyak 1964).
 */
import { requireNumber } from "../errors.js";

export interface StabilityOptions {
  /** L2 weight decay λ ≥ 0 (added to the gradient), default 0 */
  weightDecay?: number;
  /** heavy-ball momentum β ∈ [0, 1), default 0 */
  momentum?: number;
}

/** The largest stable learning rate 2(1 + β)/(λ_max + λ) (Infinity when λ_max + λ ≤ 0). */
export function maxStableLr(lambdaMax: number, opts: StabilityOptions = {}): number {
  requireNumber("lambdaMax", lambdaMax, Number.isFinite, "finite");
  const wd = requireNumber("weightDecay", opts.weightDecay ?? 0, (v) => v >= 0, "≥ 0");
  const beta = requireNumber("momentum", opts.momentum ?? 0, (v) => v >= 0 && v < 1, "in [0, 1)");
  const curvature = lambdaMax + wd;
  return curvature > 0 ? (2 * (1 + beta)) / curvature : Number.POSITIVE_INFINITY;
}

/**
 * Edge-of-Stability onset (Cohen et al. 2021, "Gradient descent on neural networks typically
 * occurs at the edge of stability"): the first tracked step whose sharpness reaches
 * `fraction`·2/η (default 0.9), or null; and whether sharpness grew by > 10 % before it
 * (progressive sharpening).
 */
export function edgeOfStability(
  steps: readonly number[],
  sharpness: readonly number[],
  lr: number,
  fraction = 0.9,
): { onsetStep: number | null; progressiveSharpening: boolean; threshold: number } {
  const threshold = 2 / lr;
  const i = sharpness.findIndex((s) => s >= fraction * threshold);
  const upTo = i < 0 ? sharpness.length : i + 1;
  const first = sharpness[0] ?? 0;
  const peak = Math.max(...sharpness.slice(0, upTo));
  return {
    onsetStep: i < 0 ? null : steps[i]!,
    progressiveSharpening: peak > 1.1 * first,
    threshold,
  };
}
