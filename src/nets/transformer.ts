/**
 * Transformer encoder classifier as a Model: rows of T tokens × p features (e.g. a digit image as
 * 8 rows of 8 pixels) →
 *   embedding: per-token dense(p → d) + learned position embedding,
 *   L encoder blocks (Pre-LN or Post-LN, ./layers/transformer.ts),
 *   head: [final LN for Pre-LN] → mean over tokens → dense(d → classes).
 * Model layers: [embedding, block 1, …, block L, head].
 *
 * Parametrization "sp" (default), "ntk", "mup" (Tensor Programs V, Tables 3/8 and §4) or
 * "mean-field", each one table of ./parametrizations.ts, as for the MLP: the token embedding is
 * the table's input layer, Q, K, V, O and the FFN its hidden layers, the readout its output layer
 * (µP: ω ~ N(0, 1) with the multiplier 1/d, not a zero-initialized readout), LayerNorm
 * gains/shifts and the position embedding its biases, and the attention logits are scaled by
 * 1/d_h (µP, mean-field) or 1/√d_h (SP, NTK). NTK is SP's function at init (the same effective
 * weights); mean-field trains the same function as µP (abc symmetry). With `heads` fixed,
 * d_h = d/heads grows with the width d.
 */
import { requireInteger } from "../errors.js";
import type { Activation } from "../theory/activations.js";
import {
  dense,
  encoderBlock,
  type LnPlacement,
  meanTokens,
  perGroup,
  positionEmbedding,
  serial,
  type TransformerParametrization,
  tokenNorm,
  vectorLike,
} from "./layers/index.js";
import { createModel, type LossName, type Model } from "./model.js";
import { checkSize, type Dtype } from "./network.js";
import { parametrization } from "./parametrizations.js";

export interface TransformerModelConfig {
  tokens: number;
  /** input features per token */
  tokenDim: number;
  /** model width d (channels per token) */
  width: number;
  heads: number;
  layers: number;
  classes: number;
  ln: LnPlacement;
  activation: Activation;
  /** FFN hidden width = mlpRatio · d (default 4) */
  mlpRatio?: number;
  loss?: LossName;
  dtype?: Dtype;
  /** "standard" (= "sp", default), "ntk", "mup" or "mean-field" (see the module comment) */
  parametrization?: TransformerParametrization;
}

export async function transformerModel(cfg: TransformerModelConfig): Promise<Model> {
  const tokens = requireInteger("tokens", cfg.tokens, 1, 4096);
  const tokenDim = requireInteger("tokenDim", cfg.tokenDim, 1, 1 << 16);
  const d = requireInteger("width", cfg.width, 1, 1 << 14);
  const heads = requireInteger("heads", cfg.heads, 1, d);
  const layers = requireInteger("layers", cfg.layers, 1, 1000);
  const classes = requireInteger("classes", cfg.classes, 1, 1 << 16);
  const ratio = requireInteger("mlpRatio", cfg.mlpRatio ?? 4, 1, 64);
  checkSize(layers * (4 + 2 * ratio) * d * d + tokens * d * (tokenDim + 1), "width");
  const pz = cfg.parametrization ?? "standard";
  if (pz !== "standard") parametrization(pz);
  const block = encoderBlock({
    parametrization: pz,
    tokens,
    width: d,
    heads,
    mlpRatio: ratio,
    activation: cfg.activation,
    ln: cfg.ln,
  });
  const head = [meanTokens(tokens), dense(classes, 1, 0, pz, "output")];
  return createModel(
    {
      inputWidth: tokens * tokenDim,
      blocks: [
        serial(
          perGroup(tokenDim, dense(d, 1, 0, pz, "input")),
          vectorLike(positionEmbedding(), pz, d),
        ),
        ...Array.from({ length: layers }, () => block),
        serial(...(cfg.ln === "pre" ? [tokenNorm(d, pz), ...head] : head)),
      ],
    },
    { loss: cfg.loss ?? "cross_entropy", dtype: cfg.dtype },
  );
}
