/**
 * A model = layers (input embedding, blocks, readout) + a loss, in the style of JAX: parameters
 * are a pytree (`JaxParams[]`, one entry per layer), `apply` and `objective` are pure functions of
 * (params, x[, y]), and the diagnostics below are functions of (model, params, inputs).
 *
 * Ownership: `apply` and `objective(model)` follow jax-js conventions (they consume `params`, `x`
 * and `y`, so they can be transformed with jax.grad/jit directly). `valueAndGrad` and
 * `modelBlocks` never consume the caller's arrays.
 */
import type { TrainingSet } from "../data/training.js";
import { InputError, requireInteger, requireNumber } from "../errors.js";
import type { Activation } from "../theory/activations.js";
import { exp64, log64 } from "./f64.js";
import { type JaxArray, type JaxModule, jitUnlessF64, loadJax, refTree } from "./jax.js";
import {
  dense,
  type HostParams,
  type HostTensor,
  type JaxParams,
  type Layer,
  type LayerNormPlacement,
  mlpBlock,
  type Parametrization,
} from "./layers/index.js";
import {
  type Architecture,
  blockFunctions,
  checkSize,
  type Dtype,
  type FiniteBlock,
  paramsToJax,
  sampleParams,
} from "./network.js";

/**
 * The losses, both a mean over the batch of B rows with outputs f [B, K] and targets y [B, K]:
 *   mse:           (1/(B·K)) Σ_b Σ_k ½ (f_bk − y_bk)²   (mean over batch and outputs, halved)
 *   cross_entropy: (1/B) Σ_b [ logsumexp_k f_bk − Σ_k y_bk f_bk ]  (y one-hot or any
 *                  distribution: Σ_k y_bk = 1), i.e. −Σ_k y_bk log softmax(f_b)_k, with
 *                  logsumexp f = m + log Σ_k e^{f_k − m}, m = max_k f_k (no overflow).
 */
export type LossName = "mse" | "cross_entropy";
export const LOSS_NAMES: readonly LossName[] = ["mse", "cross_entropy"];

export interface Model {
  /** the layers, in order: input embedding, blocks, readout (`architecture.blocks`) */
  readonly architecture: Architecture;
  readonly loss: LossName;
  readonly inputDim: number;
  readonly outputDim: number;
  /** dtype of the parameters from `init` */
  readonly dtype: Dtype;
  /**
   * Learning-rate factor of every parameter leaf, in `jax.tree.leaves(init(seed))` order (the
   * parametrization's per-layer lr, `HostTensor.lr`; 1 where unset): the optimizer steps leaf i
   * with η · lrScales[i].
   */
  readonly lrScales: readonly number[];
  /** Adam's factor of every leaf (the table's Adam column, `HostTensor.adamLr`; 1 where unset) */
  readonly adamLrScales: readonly number[];
  /** Parameters sampled with `seed` (bit-identical for a seed): one entry per layer. */
  init(seed: number): JaxParams;
  /** Outputs (logits or regression outputs) [B, outputDim] of x [B, inputDim]. Consumes both. */
  apply(params: JaxParams, x: JaxArray): JaxArray;
}

/** A model from its layers (embedding … readout); loads jax-js. */
export async function createModel(
  architecture: Architecture,
  opts: { loss: LossName; dtype?: Dtype },
): Promise<Model> {
  const jax = await loadJax();
  jaxModule = jax;
  if (!LOSS_NAMES.includes(opts.loss)) {
    throw new InputError("loss", `unknown loss '${opts.loss}' (known: ${LOSS_NAMES.join(", ")})`);
  }
  const dtype = opts.dtype ?? "float32";
  const fns = architecture.blocks.map((layer) => blockFunctions(jax, layer));
  let n = architecture.inputWidth;
  const lrScales: number[] = [];
  const adamLrScales: number[] = [];
  for (const layer of architecture.blocks) {
    const p = layer.init(zeroRng, n);
    hostLrScales(p.params, lrScales, "lr");
    hostLrScales(p.params, adamLrScales, "adamLr");
    n = p.nOut;
  }
  return {
    architecture,
    loss: opts.loss,
    inputDim: architecture.inputWidth,
    outputDim: n,
    dtype,
    lrScales,
    adamLrScales,
    init: (seed) => paramsToJax(jax, sampleParams(architecture, seed), dtype),
    apply(params, x) {
      const ps = params as JaxParams[];
      return fns.reduce((h, f, i) => f.apply(ps[i]!, h), x);
    },
  };
}

/** The leaves' lr factors of a host tree, in jax.tree's flatten order (arrays, then object entries). */
function hostLrScales(p: HostParams, out: number[], key: "lr" | "adamLr"): void {
  if (Array.isArray(p)) for (const q of p) hostLrScales(q, out, key);
  else if ("data" in p && p.data instanceof Float64Array) out.push((p as HostTensor)[key] ?? 1);
  else for (const q of Object.values(p)) hostLrScales(q as HostParams, out, key);
}

/** The model's per-leaf lr factors for an optimizer: Adam's column for adam, else SGD's. */
export const optimizerLrScales = (model: Model, optimizer: string): readonly number[] =>
  optimizer === "adam" ? model.adamLrScales : model.lrScales;

/** Output widths and lr factors only: a stand-in Rng whose samples are never used. */
const zeroRng = { normals: (n: number) => new Float64Array(n) } as never;

/**
 * The loss of outputs f [B, K] against targets y [B, K] as a scalar (see LossName). Consumes f, y.
 * Float64 outputs take exp and log from ./f64.ts (jax-js's own float64 exp/log are float32
 * polynomials), so a float64 cross-entropy and its gradient are float64-accurate.
 */
export function lossValue(jax: JaxModule, loss: LossName, f: JaxArray, y: JaxArray): JaxArray {
  const np = jax.numpy;
  if (loss === "mse") return np.mean(np.square(f.sub(y))).mul(0.5);
  const f64 = f.dtype === "float64";
  const exp = (x: JaxArray) => (f64 ? exp64(jax, x) : np.exp(x));
  const log = (x: JaxArray) => (f64 ? log64(jax, x) : np.log(x));
  const m = jax.lax.stopGradient(np.max(f.ref, -1, { keepdims: true }));
  const shifted = f.sub(m);
  const lse = log(np.sum(exp(shifted.ref), -1));
  return np.mean(lse.sub(np.sum(shifted.mul(y), -1)));
}

/** The scalar mean loss of a model as a pure function (params, x, y); consumes its arguments. */
export function objective(model: Model): (params: JaxParams, x: JaxArray, y: JaxArray) => JaxArray {
  const jaxReady = loadedJax();
  return (params, x, y) => lossValue(jaxReady, model.loss, model.apply(params, x), y);
}

let jaxModule: JaxModule | undefined;
/** jax-js as loaded by `createModel`: a model exists only once jax-js is loaded. */
function loadedJax(): JaxModule {
  if (!jaxModule)
    throw new Error("jax-js is not loaded: create models with createModel / mlpModel");
  return jaxModule;
}

/**
 * [loss, ∂loss/∂params] at (params, x, y), a scalar and a pytree like `params`; the caller's
 * arrays are not consumed. float32 runs one jit'ed step per model (created once); float64 runs
 * eagerly (`jitUnlessF64`).
 */
export function valueAndGrad(
  model: Model,
): (params: JaxParams, x: JaxArray, y: JaxArray) => [JaxArray, JaxParams] {
  const jax = loadedJax();
  const step = jitUnlessF64(
    jax,
    (p: JaxParams, x: JaxArray, y: JaxArray) => jax.valueAndGrad(objective(model))(p, x, y),
    model.dtype,
  );
  return (params, x, y) =>
    step(refTree(jax, params), x.ref, y.ref) as unknown as [JaxArray, JaxParams];
}

/**
 * The model's layers as blocks {apply, jvp, params} for the diagnostics (e.g.
 * `apjnEmpirical(modelBlocks(model, params), x, opts)`: layer l = output of model layer l, 1 = the
 * embedding, …, L = the readout). The blocks borrow `params` (the diagnostics do not consume them).
 */
export function modelBlocks(model: Model, params: JaxParams): FiniteBlock[] {
  const jax = loadedJax();
  const ps = params as JaxParams[];
  return model.architecture.blocks.map((layer, i) => ({
    ...blockFunctions(jax, layer),
    params: ps[i]!,
  }));
}

/** The shape of an MLP: input → `depth` hidden layers of `width` (dense → φ) → output. */
export interface MlpShape {
  inputDim: number;
  /** hidden width */
  width: number;
  /** hidden layers (each dense → φ); depth 1 is the two-layer net x ↦ W₂ φ(W₁x + b₁) + b₂ */
  depth: number;
  /** classes (cross_entropy) or regression targets (mse) */
  outputDim: number;
  activation: Activation;
  /** σ_w² multiplying every weight's init variance */
  sigmaW2: number;
}

export interface MlpModelConfig extends MlpShape {
  sigmaB2: number;
  layernorm?: LayerNormPlacement;
  /** residual strength μ of the hidden blocks (0: none) */
  residual?: number;
  /** factor of the hidden blocks' residual branch, e.g. depth^-β (default 1) */
  branchScale?: number;
  /** LayerNorm with a learnable gain and shift */
  lnAffine?: boolean;
  loss: LossName;
  /**
   * a table of ../parametrizations.ts ("standard" = "sp"): the embedding is its input layer,
   * the hidden blocks its hidden layers, the readout its output layer (default standard)
   */
  parametrization?: Parametrization;
  dtype?: Dtype;
}

/**
 * MLP model: embedding dense(inputDim → width), then depth − 1 blocks h ↦ μ h + W φ(h) + b on
 * width (mlpBlock, with LayerNorm as configured), then the readout W φ(h) + b to outputDim. All
 * dense layers use σ_w², σ_b² scaled by the parametrization (standard: fan-in scaling, so the
 * theory of the hidden blocks applies); its lr factors are the model's `lrScales`.
 */
export async function mlpModel(cfg: MlpModelConfig): Promise<Model> {
  const inputDim = requireInteger("inputDim", cfg.inputDim, 1, 1 << 24);
  const width = requireInteger("width", cfg.width, 1, 1 << 20);
  const depth = requireInteger("depth", cfg.depth, 1, 100_000);
  const outputDim = requireInteger("outputDim", cfg.outputDim, 1, 1 << 20);
  requireNumber("sigmaW2", cfg.sigmaW2, (v) => v > 0, "> 0");
  requireNumber("sigmaB2", cfg.sigmaB2, (v) => v >= 0, "≥ 0");
  checkSize(inputDim * width + (depth - 1) * width * width + width * outputDim, "width");
  const common = {
    activation: cfg.activation,
    sigmaW2: cfg.sigmaW2,
    sigmaB2: cfg.sigmaB2,
    layernorm: cfg.layernorm,
    lnAffine: cfg.lnAffine,
    parametrization: cfg.parametrization,
  };
  const hidden = mlpBlock({
    ...common,
    width,
    mu: cfg.residual ?? 0,
    branchScale: cfg.branchScale,
    kind: "hidden",
  });
  const layers: Layer[] = [
    dense(width, cfg.sigmaW2, cfg.sigmaB2, cfg.parametrization, "input"),
    ...Array.from({ length: depth - 1 }, () => hidden),
    mlpBlock({ ...common, width: outputDim, mu: 0, kind: "output" }),
  ];
  return createModel(
    { inputWidth: inputDim, blocks: layers },
    { loss: cfg.loss, dtype: cfg.dtype },
  );
}

/**
 * The MLP for a dataset with the default initialization of the sharpness and twins commands:
 * σ_w² = 2 for ReLU (its critical point), else 1; σ_b² = 0; cross-entropy for classification,
 * MSE for regression.
 */
export function datasetMlp(
  data: Pick<TrainingSet, "task" | "inputDim" | "outputDim">,
  width: number,
  depth: number,
  activation: Activation,
): Promise<Model> {
  return mlpModel({
    inputDim: data.inputDim,
    width,
    depth,
    outputDim: data.outputDim,
    activation,
    sigmaW2: activation.name === "relu" ? 2 : 1,
    sigmaB2: 0,
    loss: data.task === "classification" ? "cross_entropy" : "mse",
  });
}
