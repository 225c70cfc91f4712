/**
 * Layers, defined once (after neural-tangents' stax). Each layer's infinite-width view maps the
 * covariance record and gives its APJN factor χ; theory commands iterate these views, and the
 * finite networks are built from the same definitions, so theory and experiment share one
 * description of the architecture.
 *
 * Conventions (PyTorch): Dense h = W x + b with W_ij ~ N(0, σ_w²/N_in), b_i ~ N(0, σ_b²);
 * LayerNorm normalizes over the features with the population variance and ε = 1e-5.
 */
import { InputError } from "../errors.js";
import type { Activation } from "../theory/activations.js";
import type { Kernel, KernelLayer, KernelStep } from "../theory/kernel.js";

export const LAYERNORM_EPS = 1e-5;

/** Dense: q' = σ_w² q + σ_b² (same for q12), χ = σ_w²; the output is a centred Gaussian field. */
export function dense(sigmaW2: number, sigmaB2: number): KernelLayer {
  return {
    name: `dense(${sigmaW2}, ${sigmaB2})`,
    map: (k) => ({
      kernel: {
        q1: sigmaW2 * k.q1 + sigmaB2,
        q2: sigmaW2 * k.q2 + sigmaB2,
        q12: sigmaW2 * k.q12 + sigmaB2,
        m1: 0,
        m2: 0,
        gaussian: true,
      },
      chi: sigmaW2,
    }),
  };
}

/** Elementwise φ on a centred Gaussian field: q' = E[φ(u)²], q12' = E[φ(u1)φ(u2)], χ = E[φ′(u)²]. */
export function act(phi: Activation): KernelLayer {
  return {
    name: phi.name,
    map: (k) => {
      if (!k.gaussian || k.m1 !== 0 || k.m2 !== 0) {
        throw new InputError("architecture", `${phi.name} applied to a non-Gaussian input has no infinite-width theory here (put a dense layer before it)`);
      }
      const q1 = phi.secondMoment(k.q1);
      const same = k.q2 === k.q1 && k.q12 === k.q1;
      return {
        kernel: {
          q1,
          q2: same ? q1 : phi.secondMoment(k.q2),
          q12: same ? q1 : phi.cov(k.q1, k.q2, k.q12),
          m1: phi.mean(k.q1),
          m2: same ? phi.mean(k.q1) : phi.mean(k.q2),
          gaussian: false,
        },
        chi: phi.derivSecondMoment(k.q1),
      };
    },
  };
}

/**
 * LayerNorm over features (no learnable gain at initialization): x ↦ (x − m)/√(s² + ε) with
 * s² = q − m² the population variance. q' = s²/(s² + ε), q12' = (q12 − m1 m2)/√((s1² + ε)(s2² + ε)),
 * χ = 1/(s² + ε) (the projections onto 1 and x̂ remove two of N directions: O(1/N)).
 */
export function layerNorm(eps = LAYERNORM_EPS): KernelLayer {
  return {
    name: "layernorm",
    map: (k) => {
      const v1 = k.q1 - k.m1 * k.m1 + eps;
      const v2 = k.q2 - k.m2 * k.m2 + eps;
      return {
        kernel: {
          q1: (v1 - eps) / v1,
          q2: (v2 - eps) / v2,
          q12: (k.q12 - k.m1 * k.m2) / Math.sqrt(v1 * v2),
          m1: 0,
          m2: 0,
          gaussian: k.gaussian,
        },
        chi: 1 / v1,
      };
    },
  };
}

/** Layers applied in order; χ multiplies. */
export function serial(...layers: KernelLayer[]): KernelLayer {
  return {
    name: layers.map((l) => l.name).join(" → "),
    map: (k) => {
      let kernel = k;
      let chi = 1;
      for (const layer of layers) {
        const s: KernelStep = layer.map(kernel);
        kernel = s.kernel;
        chi *= s.chi;
      }
      return { kernel, chi };
    },
  };
}

/**
 * Residual h' = μ h + block(h). The block must end with a dense layer: its fresh zero-mean
 * weights make block(h) uncorrelated with h, so q' = μ² q + q_block, χ = μ² + χ_block.
 */
export function residual(mu: number, block: KernelLayer, endsWithDense: boolean): KernelLayer {
  if (!endsWithDense) throw new Error("residual: the block must end with a dense layer");
  return {
    name: `residual(${mu}, ${block.name})`,
    map: (k) => {
      const s = block.map(k);
      const b = s.kernel;
      const mu2 = mu * mu;
      const kernel: Kernel = {
        q1: mu2 * k.q1 + b.q1,
        q2: mu2 * k.q2 + b.q2,
        q12: mu2 * k.q12 + b.q12,
        m1: mu * k.m1 + b.m1,
        m2: mu * k.m2 + b.m2,
        gaussian: k.gaussian && b.gaussian,
      };
      return { kernel, chi: mu2 + s.chi };
    },
  };
}

export type LayerNormPlacement = "none" | "pre" | "post";

export interface MlpBlockConfig {
  activation: Activation;
  sigmaW2: number;
  sigmaB2: number;
  /** "pre": LN on preactivations (before φ); "post": LN on activations (after φ) */
  layernorm?: LayerNormPlacement;
  /** residual strength μ (0: no skip connection) */
  mu?: number;
}

/**
 * One MLP block h^l ↦ h^{l+1} on preactivations:
 *   none: h' = μ h + W φ(h) + b
 *   pre:  h' = μ h + W φ(LN(h)) + b
 *   post: h' = μ h + W LN(φ(h)) + b
 */
export function mlpBlock(cfg: MlpBlockConfig): KernelLayer {
  const ln = cfg.layernorm ?? "none";
  const phi = act(cfg.activation);
  const body = ln === "pre" ? [layerNorm(), phi] : ln === "post" ? [phi, layerNorm()] : [phi];
  const block = serial(...body, dense(cfg.sigmaW2, cfg.sigmaB2));
  const mu = cfg.mu ?? 0;
  return mu === 0 ? block : residual(mu, block, true);
}
