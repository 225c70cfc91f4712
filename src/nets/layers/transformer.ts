/**
 * Transformer encoder pieces on rows x = vec(X), X ∈ R^{T×d} (T tokens, d channels), built from
 * the combinators: a learned position embedding, the encoder block with LayerNorm inside the
 * residual branch (Pre-LN) or after the sum (Post-LN), and mean pooling over tokens.
 *   Pre-LN:  U = X + Attn(LN(X)),  Y = U + FFN(LN(U))
 *   Post-LN: U = LN(X + Attn(X)),  Y = LN(U + FFN(U))
 * with FFN(z) = W₂ φ(W₁ z + b₁) + b₂ per token (hidden width r·d) and LN over each token's
 * channels (affine: γ = 1, β = 0 at initialization), as in Xiong et al. 2020, "On Layer
 * Normalization in the Transformer Architecture", fig. 1.
 *
 * Width parametrization ("sp", "ntk", "mup" or "mean-field", ../parametrizations.ts): Q, K, V, O and both FFN
 * weights are the table's hidden layers, LayerNorm gains and shifts and the position embedding
 * are vector-like (biases: `vectorLike`), and µP's and mean-field's attention uses 1/d_h logits
 * (./attention.ts).
 */
import { InputError } from "../../errors.js";
import type { Activation } from "../../theory/activations.js";
import type { JaxArray } from "../jax.js";
import { selfAttention } from "./attention.js";
import { perGroup, scale, serial, sum } from "./combinators.js";
import { dense, vectorLike } from "./dense.js";
import { act } from "./elementwise.js";
import type { JaxParams, Layer, Parametrization } from "./layer.js";
import { LAYERNORM_EPS, layerNorm } from "./layernorm.js";

export type LnPlacement = "pre" | "post";

const noTheory = (what: string) => () => {
  throw new InputError("architecture", `${what} has no infinite-width theory here`);
};

/** x ↦ x + p with a learned p ∈ R^{N}, p ~ N(0, σ²) (position embedding of the flattened tokens). */
export function positionEmbedding(sigma2 = 1): Layer {
  return {
    name: "position embedding",
    key: "position",
    hasTheory: false,
    fresh: () => false,
    init: (rng, nIn) => ({
      params: { p: { shape: [nIn], data: rng.normals(nIn, Math.sqrt(sigma2)) } },
      nOut: nIn,
    }),
    apply: (_jax, params, x) => x.add((params as { p: JaxArray }).p),
    map: noTheory("a position embedding"),
  };
}

/** Rows [..., T·d] ↦ the mean over the T tokens, [..., d]. */
export function meanTokens(tokens: number): Layer {
  const pool = (jax: Parameters<Layer["apply"]>[0], x: JaxArray) => {
    const lead = x.shape.slice(0, -1);
    const d = x.shape[x.shape.length - 1]! / tokens;
    return jax.numpy.mean(x.reshape([...lead, tokens, d]), -2);
  };
  return {
    name: `mean over ${tokens} tokens`,
    key: `meanTokens(${tokens})`,
    hasTheory: false,
    fresh: (freshIn) => freshIn,
    init(_rng, nIn) {
      if (nIn % tokens !== 0)
        throw new InputError("width", `${nIn} features do not split into ${tokens} tokens`);
      return { params: [], nOut: nIn / tokens };
    },
    apply: (jax, _params, x) => pool(jax, x),
    jvp: (jax, _params, x, t) => [pool(jax, x), pool(jax, t)],
    map: noTheory("token pooling"),
  };
}

export interface EncoderBlockConfig {
  tokens: number;
  /** channels d per token */
  width: number;
  heads: number;
  /** FFN hidden width = mlpRatio · d (default 4) */
  mlpRatio?: number;
  activation: Activation;
  ln: LnPlacement;
  /** "standard" (= "sp", default), "ntk", "mup" or "mean-field" */
  parametrization?: TransformerParametrization;
}

/** The parametrizations the Transformer supports: every table of ../parametrizations.ts. */
export type TransformerParametrization = Parametrization;

/** LayerNorm over each token's d channels, affine (γ, β vector-like in the parametrization). */
export const tokenNorm = (d: number, parametrization: TransformerParametrization = "standard") =>
  vectorLike(perGroup(d, layerNorm(LAYERNORM_EPS, true)), parametrization, d);

/** One encoder block (see the module comment); all dense layers use σ_w² = 1, σ_b² = 0. */
export function encoderBlock(cfg: EncoderBlockConfig): Layer {
  const { tokens: T, width: d, heads } = cfg;
  const pz = cfg.parametrization ?? "standard";
  const attn = selfAttention({ tokens: T, heads, parametrization: pz });
  const ffn = perGroup(
    d,
    serial(dense((cfg.mlpRatio ?? 4) * d, 1, 0, pz), act(cfg.activation), dense(d, 1, 0, pz)),
  );
  const ln = tokenNorm(d, pz);
  const skip = scale(1);
  const block =
    cfg.ln === "pre"
      ? serial(sum(skip, serial(ln, attn)), sum(skip, serial(ln, ffn)))
      : serial(sum(skip, attn), ln, sum(skip, ffn), ln);
  return { ...block, name: `${cfg.ln}-LN encoder block (T=${T}, d=${d}, H=${heads})` };
}

/** The FFN's output weight W₂ inside an encoder block's parameters (Xiong et al.'s W^{2,l}). */
export function ffnOutputWeight(ln: LnPlacement, blockParams: JaxParams): JaxArray {
  const p = blockParams as never as JaxParams[][][];
  const ffn = (ln === "pre" ? (p[1]![1] as JaxParams[])[1] : p[2]![1]) as JaxParams[];
  return (ffn[2] as { w: JaxArray }).w;
}
