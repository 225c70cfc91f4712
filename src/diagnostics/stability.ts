/**
 * Linear stability of gradient descent near a minimum: on the quadratic L(θ) = ½ θᵀHθ, GD with
 * step η and L2 weight decay λ iterates θ ← (I − η(H + λI)) θ, stable iff every eigenvalue of
 * H + λI lies in (0, 2/η), i.e. η < 2/(λ_max(H) + λ). Heavy-ball momentum β
 * (b ← βb + g, θ ← θ − ηb) is stable iff η(λ_max + λ) < 2(1 + β) (the characteristic roots of
 * z² − (1 + β − ηa)z + β stay in the unit disc; Polyak 1964).
 *
 * The same maps give the growth of a small perturbation δ of a training run (twin runs):
 * linearised around the trajectory, δ ← (I − η(H + λI)) δ for GD, and per eigenvalue h of H the
 * heavy-ball companion map [[1 + β − η(h + λ), −β], [1, 0]] acting on (δ_t, δ_{t−1}). Its
 * spectral radius ρ(h) is the per-step amplification of the eigendirection; ρ is largest at an end
 * of the spectrum, so the predicted rate is ln max(ρ(λ_min), ρ(λ_max)) — positive exactly when
 * η(λ_max + λ) > 2(1 + β) (the bound above) or λ_min + λ < 0.
 */
import { InputError, requireNumber } from "../errors.js";

export interface StabilityOptions {
  /** L2 weight decay λ ≥ 0 (added to the gradient), default 0 */
  weightDecay?: number;
  /** heavy-ball momentum β ∈ [0, 1), default 0 */
  momentum?: number;
}

/** The largest stable learning rate 2(1 + β)/(λ_max + λ) (Infinity when λ_max + λ ≤ 0). */
export function maxStableLr(lambdaMax: number, opts: StabilityOptions = {}): number {
  requireNumber("lambdaMax", lambdaMax, Number.isFinite, "finite");
  const { wd, beta } = stabilityOptions(opts);
  const curvature = lambdaMax + wd;
  return curvature > 0 ? (2 * (1 + beta)) / curvature : Number.POSITIVE_INFINITY;
}

function stabilityOptions(opts: StabilityOptions) {
  return {
    wd: requireNumber("weightDecay", opts.weightDecay ?? 0, (v) => v >= 0, "≥ 0"),
    beta: requireNumber("momentum", opts.momentum ?? 0, (v) => v >= 0 && v < 1, "in [0, 1)"),
  };
}

/**
 * Spectral radius of the linearised (heavy-ball) GD map on one Hessian eigendirection with
 * eigenvalue `lambda`: with a = lambda + λ_wd and c = 1 + β − ηa, the larger |z| of
 * z² − c z + β = 0, i.e. (|c| + √(c² − 4β))/2 for real roots and √β for complex ones; for β = 0
 * this is |1 − ηa|.
 */
export function heavyBallSpectralRadius(
  lambda: number,
  lr: number,
  opts: StabilityOptions = {},
): number {
  requireNumber("lambda", lambda, Number.isFinite, "finite");
  requireNumber("lr", lr, (v) => v > 0 && Number.isFinite(v), "> 0");
  const { wd, beta } = stabilityOptions(opts);
  const c = 1 + beta - lr * (lambda + wd);
  const disc = c * c - 4 * beta;
  return disc >= 0 ? (Math.abs(c) + Math.sqrt(disc)) / 2 : Math.sqrt(beta);
}

/**
 * Predicted growth rate per step of a small perturbation of a (heavy-ball) GD run whose loss
 * Hessian has spectrum [λ_min, λ_max]: ln max(ρ(λ_min), ρ(λ_max)) with ρ = heavyBallSpectralRadius
 * (−Infinity only when both ends are annihilated, ρ = 0).
 */
export function linearizedGrowthRate(
  lambdaMin: number,
  lambdaMax: number,
  lr: number,
  opts: StabilityOptions = {},
): number {
  if (lambdaMin > lambdaMax)
    throw new InputError("lambdaMin", `must be ≤ lambdaMax (${lambdaMin} > ${lambdaMax})`);
  return Math.log(
    Math.max(
      heavyBallSpectralRadius(lambdaMin, lr, opts),
      heavyBallSpectralRadius(lambdaMax, lr, opts),
    ),
  );
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
