/** Blocks built from the layer families: the MLP block and the MLP-Mixer block. */
import { InputError } from "../../errors.js";
import type { Activation } from "../../theory/activations.js";
import type { LayerKind } from "../parametrizations.js";
import { perGroup, residual, scale, serial, sum, transposeGroups } from "./combinators.js";
import { dense, vectorLike } from "./dense.js";
import { act } from "./elementwise.js";
import type { Layer, Parametrization } from "./layer.js";
import { LAYERNORM_EPS, layerNorm } from "./layernorm.js";

export type LayerNormPlacement = "none" | "pre" | "post";

export interface MlpBlockConfig {
  activation: Activation;
  sigmaW2: number;
  sigmaB2: number;
  /** output width of the block's dense layer (finite networks; irrelevant to the theory) */
  width?: number;
  parametrization?: Parametrization;
  /** the dense layer's kind in the parametrization's table (default "hidden") */
  kind?: LayerKind;
  /** "pre": LN on preactivations (before φ); "post": LN on activations (after φ) */
  layernorm?: LayerNormPlacement;
  /** residual strength μ (0: no skip connection) */
  mu?: number;
  /** factor s of the residual branch, e.g. L^-β for depth-scaled residuals (default 1) */
  branchScale?: number;
  /** LayerNorm with a learnable gain and shift (γ = 1, β = 0 at initialization) */
  lnAffine?: boolean;
}

/**
 * One MLP block h^l ↦ h^{l+1} on preactivations:
 *   none: h' = μ h + s (W φ(h) + b)
 *   pre:  h' = μ h + s (W φ(LN(h)) + b)
 *   post: h' = μ h + s (W LN(φ(h)) + b)
 */
export function mlpBlock(cfg: MlpBlockConfig): Layer {
  const ln = cfg.layernorm ?? "none";
  const phi = act(cfg.activation);
  // an affine LN's γ and β are biases of the parametrization (factors from its width)
  const norm = vectorLike(
    layerNorm(LAYERNORM_EPS, cfg.lnAffine ?? false),
    cfg.parametrization ?? "standard",
  );
  const body = ln === "pre" ? [norm, phi] : ln === "post" ? [phi, norm] : [phi];
  const s = cfg.branchScale ?? 1;
  const fc = dense(cfg.width ?? 0, cfg.sigmaW2, cfg.sigmaB2, cfg.parametrization, cfg.kind);
  const block = serial(...body, ...(s === 1 ? [fc] : [fc, scale(s)]));
  const mu = cfg.mu ?? 0;
  return mu === 0 ? block : residual(mu, block);
}

export interface MixerBlockConfig {
  tokens: number;
  channels: number;
  tokenHidden: number;
  channelHidden: number;
  activation: Activation;
  sigmaW2: number;
  sigmaB2: number;
  /** strength μ of both skip connections */
  mu?: number;
  /** one whose rows do not depend on the layer kind (the mixer's layers have none) */
  parametrization?: "standard" | "sp" | "ntk";
}

/**
 * MLP-Mixer block (Tolstikhin et al. 2021) on rows x = vec(X), X ∈ R^{T×C}:
 *   U = μ X + (token MLP applied to each column of LN(X))      (mixes tokens, per channel)
 *   Y = μ U + (channel MLP applied to each row of LN(U))       (mixes channels, per token)
 * with MLP(z) = dense(φ(dense(z))) and LayerNorm over channels, built from the combinators.
 * Its token dimension T is small, so there is no infinite-width theory for it here: critkit
 * measures it empirically. Parameters: [[[], [[], [], token MLP, []]], [[], [[], channel MLP]]].
 */
export function mixerBlock(cfg: MixerBlockConfig): Layer {
  const { tokens: T, channels: C, parametrization: pz } = cfg;
  const mu = cfg.mu ?? 1;
  const mlp = (hidden: number, out: number) =>
    serial(
      dense(hidden, cfg.sigmaW2, cfg.sigmaB2, pz),
      act(cfg.activation),
      dense(out, cfg.sigmaW2, cfg.sigmaB2, pz),
    );
  const ln = perGroup(C, layerNorm());
  const tokenMix = sum(
    scale(mu),
    serial(ln, transposeGroups(T, C), perGroup(T, mlp(cfg.tokenHidden, T)), transposeGroups(C, T)),
  );
  const channelMix = sum(scale(mu), serial(ln, perGroup(C, mlp(cfg.channelHidden, C))));
  const block = serial(tokenMix, channelMix);
  return {
    ...block,
    name: `mixer(T=${T}, C=${C}, ${cfg.activation.name})`,
    hasTheory: false,
    map() {
      throw new InputError(
        "architecture",
        "the MLP-Mixer block has no infinite-width theory here (measure it with critkit apjn / init-search)",
      );
    },
    init(rng, nIn) {
      if (nIn !== T * C)
        throw new InputError(
          "width",
          `mixer block expects width tokens×channels = ${T * C}, got ${nIn}`,
        );
      return block.init(rng, nIn);
    },
  };
}
