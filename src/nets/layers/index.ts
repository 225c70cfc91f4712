/** The layer library, one file per family: see ./layer.ts for what a layer is. */

export { type AttentionConfig, attentionLogitScale, selfAttention } from "./attention.js";
export {
  type LayerNormPlacement,
  type MixerBlockConfig,
  type MlpBlockConfig,
  mixerBlock,
  mlpBlock,
} from "./blocks.js";
export { perGroup, residual, scale, serial, sum, transposeGroups } from "./combinators.js";
export { dense, type LrFactors, lrFactors, vectorLike } from "./dense.js";
export { act } from "./elementwise.js";
export {
  derivedJvp,
  type HostParams,
  type HostTensor,
  type JaxParams,
  type Layer,
  layerJvp,
  type Parametrization,
} from "./layer.js";
export { LAYERNORM_EPS, layerNorm } from "./layernorm.js";
export {
  type EncoderBlockConfig,
  encoderBlock,
  ffnOutputWeight,
  type LnPlacement,
  meanTokens,
  positionEmbedding,
  type TransformerParametrization,
  tokenNorm,
} from "./transformer.js";
