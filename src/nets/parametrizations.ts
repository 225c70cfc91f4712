/**
 * Width parametrizations of an MLP ("abc-parametrizations", Yang & Hu 2021, Tensor Programs IV
 * and Tensor Programs V, Yang et al. 2021): how the initialization, a forward multiplier and
 * the SGD and Adam learning rates of each dense layer scale with its fan-in / fan-out.
 *
 * A layer stores ω with entries ω_ij ~ N(0, (σ_w · initStd)²), computes h = multiplier · ω x
 * (the effective weight W = multiplier · ω) and SGD updates ω ← ω − η · lr · ∂L/∂ω, so the
 * effective weight moves by ΔW = −η · lr · multiplier² · ∂L/∂W (Adam, whose step
 * m/(√v + ε) has entries O(1) whatever the gradient's scale, updates ω ← ω − η · adamLr · m/(√v + ε):
 * ΔW = multiplier · η · adamLr · O(1)); σ_w sits in the init (as above)
 * or, for `sigma: "forward"` (NTK, as in neural-tangents), in the multiplier: ω_ij ~ N(0,
 * initStd²), h = σ_w · multiplier · ω x (`storedScaling`). Layer kinds: "input" (data of a
 * fixed dimension d → width n), "hidden" (n → n), "output" (n → outputs).
 *
 * Biases (`biasScaling`): a bias is an input weight from a constant input 1 (Tensor Programs V,
 * Table 3: "input weights & all biases"), i.e. the table's input row at fan-in 1 and the layer's
 * fan-out, with σ_b in place of σ_w: SP b ~ N(0, σ_b²); NTK b ~ N(0, 1) times σ_b; µP and
 * mean-field b ~ N(0, σ_b²), multiplier 1, SGD lr factor fan_out (n for hidden layers, K for the
 * readout), Adam lr factor 1. Other vector-like parameters (LayerNorm gain and shift, a position
 * embedding) are such biases too (TP V, appendix on Transformers).
 *
 * Every parametrization is this one table and nothing else: the coordinate check
 * (../diagnostics/coord-check.ts) and the dense layer of the jax-js model (./layers/dense.ts,
 * whose per-leaf lr factors the training loop applies) read it. Two tables with the same init variance of W and the
 * same effective step η · lr · multiplier² per layer train identical functions (the abc
 * symmetry of Tensor Programs IV: ω → θω, multiplier → multiplier/θ, lr → lr/θ²; for Adam, whose
 * step ignores the gradient's scale, adamLr → adamLr · θ, exact with ε → ε/θ): mean-field is µP
 * in another such form, and NTK with lr η is SP with lr η σ_w²/fan_in (test/nets checks them).
 */
import { InputError } from "../errors.js";

export type LayerKind = "input" | "hidden" | "output";
export const LAYER_KINDS: readonly LayerKind[] = ["input", "hidden", "output"];

/** Scalings of one layer, multiplying σ_w (initStd), the forward pass and the base lr η. */
export interface LayerScaling {
  /** standard deviation of the stored ω, in units of σ_w (unless `sigma` is "forward") */
  initStd: number;
  /** forward multiplier: h = multiplier · ω x */
  multiplier: number;
  /** SGD (and momentum) learning-rate factor: ω ← ω − η · lr · ∂L/∂ω */
  lr: number;
  /** Adam learning-rate factor: ω ← ω − η · adamLr · m̂/(√v̂ + ε) */
  adamLr: number;
  /** where σ_w (σ_b for a bias) enters: the init std (default) or the forward multiplier */
  sigma?: "init" | "forward";
}

/** A layer's stored std of ω and forward multiplier for a scale σ (σ_w, or σ_b for a bias). */
export function storedScaling(
  s: LayerScaling,
  sigma: number,
): { std: number; multiplier: number; lr: number; adamLr: number } {
  const { lr, adamLr } = s;
  return s.sigma === "forward"
    ? { std: s.initStd, multiplier: sigma * s.multiplier, lr, adamLr }
    : { std: sigma * s.initStd, multiplier: s.multiplier, lr, adamLr };
}

/** A bias of a layer with `fanOut` units: an input weight from a constant 1 (see the header). */
export const biasScaling = (table: ParametrizationTable, fanOut: number): LayerScaling =>
  table.layer("input", 1, fanOut);

export interface ParametrizationTable {
  readonly name: string;
  /** the layer's scalings for a fan-in and fan-out */
  layer(kind: LayerKind, fanIn: number, fanOut: number): LayerScaling;
}

export const PARAMETRIZATION_NAMES = ["sp", "ntk", "mup", "mean-field"] as const;
export type ParametrizationName = (typeof PARAMETRIZATION_NAMES)[number];

const table = (
  name: string,
  rows: Record<LayerKind, (fanIn: number, fanOut: number) => LayerScaling>,
): ParametrizationTable => ({ name, layer: (kind, fanIn, fanOut) => rows[kind](fanIn, fanOut) });

/**
 * The four parametrizations (rows: input / hidden / output; n_in = fan-in, n_out = fan-out;
 * "lr" is SGD's factor, "Adam" Adam's):
 *
 *   sp (standard, PyTorch/LeCun): ω ~ N(0, σ²/n_in), multiplier 1, lr 1, Adam 1 on every layer.
 *   ntk (Jacot et al. 2018; neural-tangents): ω ~ N(0, 1), multiplier σ/√n_in, lr 1 on every
 *     layer: ΔW = −η σ²/n_in · ∂L/∂W, i.e. SP with lr η σ²/n_in. (σ in the multiplier, as in
 *     neural-tangents, so the empirical NTK converges to ../theory/kernel.ts's Θ.) Adam 1: plain
 *     Adam on the stored ω (the NTK parametrization is defined for SGD; no limit is claimed).
 *   mup (TP V Table 8, "µP in the style of [57]": Table 3 with the readout's 1/n_in moved from
 *     the init into a multiplier, which turns Table 3's output lr 1/n_in (SGD) into n_in and its
 *     output Adam lr 1/n_in into 1):
 *     input:  ω ~ N(0, σ²/n_in), multiplier 1,      lr n_out, Adam 1
 *     hidden: ω ~ N(0, σ²/n_in), multiplier 1,      lr 1,     Adam 1/n_in
 *     output: ω ~ N(0, σ²),      multiplier 1/n_in, lr n_in,  Adam 1
 *     (SP values: output init σ²/n_in, multiplier 1; lr and Adam 1 everywhere.)
 *   mean-field (Mei, Montanari & Nguyen 2018; Chizat & Bach 2018; Sirignano & Spiliopoulos
 *     2020; 1/N output scaling, lr × N for time in units of the mean-field ODE):
 *     input:  ω ~ N(0, σ²/n_in), multiplier 1,       lr n_out, Adam 1
 *     hidden: ω ~ N(0, σ²),      multiplier 1/√n_in, lr n_in,  Adam 1/√n_in
 *     output: ω ~ N(0, σ²),      multiplier 1/n_in,  lr n_in,  Adam 1
 *     For one hidden layer f = (1/N) Σ_i a_i φ(w_i · x) with SGD lr η N. Per layer it has µP's
 *     init variance of W and effective step (hidden: n_in · (1/√n_in)² = 1; Adam: θ = √n_in
 *     times µP's 1/n_in): the same training dynamics (TP IV: µP is the mean-field limit for one
 *     hidden layer).
 */
/** NTK parametrization: every layer alike, unit init, σ/√n_in in the forward multiplier. */
const ntkRow = (nIn: number) =>
  ({
    initStd: 1,
    multiplier: 1 / Math.sqrt(nIn),
    lr: 1,
    adamLr: 1,
    sigma: "forward",
  }) as const;

export const PARAMETRIZATIONS: Record<ParametrizationName, ParametrizationTable> = {
  sp: table("sp", {
    input: (nIn) => ({ initStd: 1 / Math.sqrt(nIn), multiplier: 1, lr: 1, adamLr: 1 }),
    hidden: (nIn) => ({ initStd: 1 / Math.sqrt(nIn), multiplier: 1, lr: 1, adamLr: 1 }),
    output: (nIn) => ({ initStd: 1 / Math.sqrt(nIn), multiplier: 1, lr: 1, adamLr: 1 }),
  }),
  ntk: table("ntk", {
    input: ntkRow,
    hidden: ntkRow,
    output: ntkRow,
  }),
  mup: table("mup", {
    input: (nIn, nOut) => ({ initStd: 1 / Math.sqrt(nIn), multiplier: 1, lr: nOut, adamLr: 1 }),
    hidden: (nIn) => ({ initStd: 1 / Math.sqrt(nIn), multiplier: 1, lr: 1, adamLr: 1 / nIn }),
    output: (nIn) => ({ initStd: 1, multiplier: 1 / nIn, lr: nIn, adamLr: 1 }),
  }),
  "mean-field": table("mean-field", {
    input: (nIn, nOut) => ({ initStd: 1 / Math.sqrt(nIn), multiplier: 1, lr: nOut, adamLr: 1 }),
    hidden: (nIn) => ({
      initStd: 1,
      multiplier: 1 / Math.sqrt(nIn),
      lr: nIn,
      adamLr: 1 / Math.sqrt(nIn),
    }),
    output: (nIn) => ({ initStd: 1, multiplier: 1 / nIn, lr: nIn, adamLr: 1 }),
  }),
};

/** The table of a parametrization name (InputError naming `field` otherwise). */
export function parametrization(name: string, field = "parametrization"): ParametrizationTable {
  if (!(PARAMETRIZATION_NAMES as readonly string[]).includes(name))
    throw new InputError(
      field,
      `unknown parametrization '${name}' (known: ${PARAMETRIZATION_NAMES.join(", ")})`,
    );
  return PARAMETRIZATIONS[name as ParametrizationName];
}
