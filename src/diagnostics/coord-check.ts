/**
 * The coordinate check of Tensor Programs V (Yang et al. 2021, appendix "coordinate checking"): train
 * an MLP of several widths n for a few SGD or Adam steps and watch the typical size of a coordinate of
 * every layer's output, RMS(h^l) = √(mean over batch and units of (h^l)²), and of its change
 * from initialization RMS(h^l_t − h^l_0). In µP both stay O(1) as n grows (flat in n); in SP with
 * a fixed learning rate the output change grows (∝ n at step 1) and the training blows up; in NTK
 * the hidden features move like n^{-1/2} (the kernel regime).
 *
 * The MLP (plain Float64Array, hand-written backprop; checked against finite differences in
 * test/diagnostics): h¹ = m₁ ω₁ x, h^{l+1} = m_{l+1} ω_{l+1} φ(h^l) for l = 1 … depth, the output
 * f = h^{depth+1}; scalings from a ../nets/parametrizations.ts table, no biases. Training: full-
 * batch gradient descent (or Adam, with the table's Adam column) on the mean-squared error
 * (1/(2BK)) Σ (f − y)² of a fixed batch (by default synthetic, x ~ N(0, I_d), y ~ N(0, I_K)),
 * measured on that batch.
 */

import { matrix, timesX, timesXt } from "../convex/linalg.js";
import { InputError, requireInteger, requireNumber } from "../errors.js";
import type { MlpShape } from "../nets/model.js";
import {
  type LayerKind,
  type ParametrizationName,
  type ParametrizationTable,
  storedScaling,
} from "../nets/parametrizations.js";
import { Rng } from "../rng.js";
import type { Activation } from "../theory/activations.js";

/** An MLP without biases (depth 1 is x ↦ m₂ ω₂ φ(m₁ ω₁ x)) and its parametrization. */
export interface CoordMlpConfig extends MlpShape {
  param: ParametrizationTable;
}

/** One dense layer: stored ω [fanOut × fanIn] (row-major) and its scalings. */
export interface CoordLayer {
  kind: LayerKind;
  fanIn: number;
  fanOut: number;
  multiplier: number;
  /** SGD lr factor */
  lr: number;
  /** Adam lr factor */
  adamLr: number;
  omega: Float64Array;
}

/** The optimizers of the coordinate check: plain gradient descent, or Adam (β₁ 0.9, β₂ 0.999, ε 1e-8). */
export const COORD_OPTIMIZERS = ["sgd", "adam"] as const;
export type CoordOptimizer = (typeof COORD_OPTIMIZERS)[number];
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * Adam's update of one layer at step t = 1, 2, … (torch.optim.Adam, written out here in plain
 * JS): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², ω ← ω − (η·adamLr/(1 − β₁ᵗ)) · m/(√v/√(1 − β₂ᵗ) + ε).
 */
export function adamLayerStep(
  layer: CoordLayer,
  g: Float64Array,
  state: { m: Float64Array; v: Float64Array },
  t: number,
  lr: number,
): void {
  const { beta1: b1, beta2: b2, eps } = ADAM;
  const stepSize = (lr * layer.adamLr) / (1 - b1 ** t);
  const bc2 = Math.sqrt(1 - b2 ** t);
  const { m, v } = state;
  for (let i = 0; i < g.length; i++) {
    m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
    v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
    layer.omega[i]! -= (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2 + eps);
  }
}

/** The layers of the MLP with ω sampled from `rng` (input, hidden …, output). */
export function initCoordMlp(cfg: CoordMlpConfig, rng: Rng): CoordLayer[] {
  const { inputDim: d, width: n, depth, outputDim: k } = cfg;
  const sigmaW = Math.sqrt(cfg.sigmaW2);
  const shape: Array<[LayerKind, number, number]> = [
    ["input", d, n],
    ...Array.from({ length: depth - 1 }, (): [LayerKind, number, number] => ["hidden", n, n]),
    ["output", n, k],
  ];
  return shape.map(([kind, fanIn, fanOut]) => {
    const s = storedScaling(cfg.param.layer(kind, fanIn, fanOut), sigmaW);
    return {
      kind,
      fanIn,
      fanOut,
      multiplier: s.multiplier,
      lr: s.lr,
      adamLr: s.adamLr,
      omega: rng.normals(fanIn * fanOut, s.std),
    };
  });
}

/** Rows a [B × fanIn] ↦ m · a ωᵀ [B × fanOut]. */
function denseForward(layer: CoordLayer, a: Float64Array, B: number): Float64Array {
  const h = timesXt(matrix(layer.fanOut, layer.fanIn, layer.omega), a, B);
  for (let i = 0; i < h.length; i++) h[i]! *= layer.multiplier;
  return h;
}

/** Preactivations h¹ … h^{depth+1} (the last is the output f), each [B × width] row-major. */
export function coordForward(
  layers: CoordLayer[],
  phi: Activation,
  x: Float64Array,
  B: number,
): Float64Array[] {
  const hs: Float64Array[] = [];
  let a = x;
  for (const layer of layers) {
    const h = denseForward(layer, a, B);
    hs.push(h);
    a = h.map((v) => phi.f(v));
  }
  return hs;
}

/**
 * The loss (1/(2BK)) Σ (f − y)² and its gradients ∂L/∂ω per layer (backprop:
 * ∂L/∂ω_l = m_l g_lᵀ a_{l−1}, g_{l−1} = (m_l g_l ω_l) ⊙ φ′(h_{l−1}), g_out = (f − y)/(BK)).
 */
export function coordLossGrad(
  layers: CoordLayer[],
  phi: Activation,
  x: Float64Array,
  y: Float64Array,
  B: number,
): { loss: number; grads: Float64Array[]; hs: Float64Array[] } {
  const hs = coordForward(layers, phi, x, B);
  const f = hs[hs.length - 1]!;
  const K = layers[layers.length - 1]!.fanOut;
  let loss = 0;
  let g: Float64Array = new Float64Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const r = f[i]! - y[i]!;
    loss += r * r;
    g[i] = r / (B * K);
  }
  loss /= 2 * B * K;
  const grads: Float64Array[] = new Array(layers.length);
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const { fanIn, fanOut, multiplier: m } = layer;
    const aPrev = l === 0 ? x : hs[l - 1]!.map((v) => phi.f(v));
    const gT = new Float64Array(fanOut * B);
    for (let b = 0; b < B; b++) for (let j = 0; j < fanOut; j++) gT[j * B + b] = g[b * fanOut + j]!;
    const gw = timesX(matrix(B, fanIn, aPrev), gT, fanOut);
    for (let i = 0; i < gw.length; i++) gw[i]! *= m;
    grads[l] = gw;
    if (l > 0) {
      const ga = timesX(matrix(fanOut, fanIn, layer.omega), g, B);
      const hPrev = hs[l - 1]!;
      for (let i = 0; i < ga.length; i++) ga[i] = m * ga[i]! * phi.df(hPrev[i]!);
      g = ga;
    }
  }
  return { loss, grads, hs };
}

/**
 * The infinite-width exponent e of RMS(Δh^l) ∝ n^e after one SGD step at a fixed lr (TP IV
 * and V), derived by counting powers of n: the backpropagated gradient at the last
 * hidden layer has coordinates of the output weights' size (SP, NTK: n^{-1/2}; µP, mean-field:
 * n^{-1}), and ΔW a = η·lr·m²·g (aᵀa) sums n terms. SP: input −½ (g ~ n^{-½}, aᵀa = |x|² fixed),
 * hidden +½ (n · n^{-½}), output +1 (n · 1); NTK: input −½, hidden −½, output 0 (the kernel
 * regime: features move like n^{-½}); µP and mean-field: 0 everywhere (every layer learns
 * features at O(1)). Later steps keep these exponents in NTK and µP; in SP they grow.
 */
export const STEP1_DELTA_EXPONENT: Record<ParametrizationName, Record<LayerKind, number>> = {
  sp: { input: -0.5, hidden: 0.5, output: 1 },
  ntk: { input: -0.5, hidden: -0.5, output: 0 },
  mup: { input: 0, hidden: 0, output: 0 },
  "mean-field": { input: 0, hidden: 0, output: 0 },
};

/** √(mean of squares) of a − b (b omitted: of a). */
export function rms(a: Float64Array, b?: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const v = b ? a[i]! - b[i]! : a[i]!;
    s += v * v;
  }
  return Math.sqrt(s / a.length);
}

export interface CoordCheckConfig {
  widths: number[];
  depth: number;
  steps: number;
  lr: number;
  /** default sgd */
  optimizer?: CoordOptimizer;
  seeds: number[];
  activation: Activation;
  sigmaW2: number;
  param: ParametrizationTable;
  inputDim: number;
  outputDim: number;
  batch: number;
  /** the batch of a seed (`batch` rows of inputDim and outputDim); default `coordBatch` */
  batchOf?: (seed: number) => { x: Float64Array; y: Float64Array };
}

export interface CoordLayerResult {
  /** 1 … depth + 1 (the last is the output f) */
  layer: number;
  kind: LayerKind;
  /** [width][step 0 … steps]: RMS of h^l, pooled over seeds (root of the mean square) */
  rms: number[][];
  /** [width][step 0 … steps]: RMS of h^l_t − h^l_0 (0 at step 0) */
  deltaRms: number[][];
  /** least-squares slope of log RMS(h^l) vs log n at the last step */
  slope: number;
  /** least-squares slope of log RMS(Δh^l) vs log n at the last step */
  deltaSlope: number;
  /** [step 0 … steps]: the same slope at every step (NaN at step 0, where Δh = 0) */
  deltaSlopes: number[];
}

export interface CoordCheckResult {
  widths: number[];
  /** [width][step 0 … steps]: training loss, mean over seeds */
  loss: number[][];
  layers: CoordLayerResult[];
}

/** Least-squares slope of y on x (NaN when any y is not finite). */
export function logLogSlope(widths: number[], values: number[]): number {
  const xs = widths.map(Math.log);
  const ys = values.map(Math.log);
  if (ys.some((v) => !Number.isFinite(v))) return Number.NaN;
  const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
  const my = ys.reduce((s, v) => s + v, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/** The synthetic batch of `seed`: x ~ N(0, I_d), y ~ N(0, I_K), B rows (same at every width). */
export function coordBatch(seed: number, B: number, d: number, K: number) {
  const rng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  return { x: rng.normals(B * d), y: rng.normals(B * K) };
}

/**
 * Trains one MLP for `steps` GD (or Adam) steps: per layer and step the mean squares of h^l and
 * of h^l_t − h^l_0 on the batch (ms, dms), the loss per step, and the trained layers.
 */
export function coordRun(
  mlp: CoordMlpConfig,
  seed: number,
  steps: number,
  lr: number,
  batch: { x: Float64Array; y: Float64Array; B: number },
  optimizer: CoordOptimizer = "sgd",
): { ms: number[][]; dms: number[][]; loss: number[]; layers: CoordLayer[] } {
  const layers = initCoordMlp(mlp, new Rng((seed + Math.imul(mlp.width, 0x9e3779b1)) >>> 0));
  const adam = layers.map((l) => ({
    m: new Float64Array(l.omega.length),
    v: new Float64Array(l.omega.length),
  }));
  const { x, y, B } = batch;
  const ms: number[][] = layers.map(() => []);
  const dms: number[][] = layers.map(() => []);
  const loss: number[] = [];
  let h0: Float64Array[] | undefined;
  for (let t = 0; ; t++) {
    const r = coordLossGrad(layers, mlp.activation, x, y, B);
    h0 ??= r.hs;
    loss.push(r.loss);
    r.hs.forEach((h, l) => {
      ms[l]!.push(rms(h) ** 2);
      dms[l]!.push(rms(h, h0![l]) ** 2);
    });
    if (t === steps) break;
    layers.forEach((layer, l) => {
      const g = r.grads[l]!;
      if (optimizer === "adam") adamLayerStep(layer, g, adam[l]!, t + 1, lr);
      else for (let i = 0; i < g.length; i++) layer.omega[i]! -= lr * layer.lr * g[i]!;
    });
  }
  return { ms, dms, loss, layers };
}

/** The coordinate check: every width and seed trained from its own init on the seed's batch. */
export function coordCheck(cfg: CoordCheckConfig, onRun?: () => void): CoordCheckResult {
  const steps = requireInteger("steps", cfg.steps, 0, 100_000);
  const depth = requireInteger("depth", cfg.depth, 1, 1000);
  requireNumber("lr", cfg.lr, (v) => v > 0, "> 0");
  if (cfg.widths.length === 0) throw new InputError("widths", "needs at least one width");
  if (cfg.seeds.length === 0) throw new InputError("seeds", "needs at least one seed");
  const S = cfg.seeds.length;
  const nLayers = depth + 1;
  const ms = cfg.widths.map(() =>
    Array.from({ length: nLayers }, () => new Array(steps + 1).fill(0)),
  );
  const dms = cfg.widths.map(() =>
    Array.from({ length: nLayers }, () => new Array(steps + 1).fill(0)),
  );
  const loss = cfg.widths.map(() => new Array(steps + 1).fill(0));
  for (const seed of cfg.seeds) {
    const { x, y } = cfg.batchOf
      ? cfg.batchOf(seed)
      : coordBatch(seed, cfg.batch, cfg.inputDim, cfg.outputDim);
    cfg.widths.forEach((width, w) => {
      const r = coordRun(
        {
          inputDim: cfg.inputDim,
          width,
          depth,
          outputDim: cfg.outputDim,
          activation: cfg.activation,
          sigmaW2: cfg.sigmaW2,
          param: cfg.param,
        },
        seed,
        steps,
        cfg.lr,
        { x, y, B: cfg.batch },
        cfg.optimizer,
      );
      for (let l = 0; l < nLayers; l++)
        for (let t = 0; t <= steps; t++) {
          ms[w]![l]![t] += r.ms[l]![t]! / S;
          dms[w]![l]![t] += r.dms[l]![t]! / S;
        }
      r.loss.forEach((v, t) => {
        loss[w]![t] += v / S;
      });
      onRun?.();
    });
  }
  const kinds: LayerKind[] = ["input", ...Array<LayerKind>(depth - 1).fill("hidden"), "output"];
  return { widths: cfg.widths, loss, layers: coordLayerResults(cfg.widths, kinds, ms, dms) };
}

/**
 * Per layer: RMS of h^l and of h^l_t − h^l_0 from the mean squares ms, dms [width][layer][step]
 * (pooled over seeds), and the slopes of their logs vs log width.
 */
export function coordLayerResults(
  widths: number[],
  kinds: LayerKind[],
  ms: number[][][],
  dms: number[][][],
): CoordLayerResult[] {
  const steps = ms[0]![0]!.length - 1;
  return kinds.map((kind, l) => {
    const rmsAt = widths.map((_, w) => ms[w]![l]!.map(Math.sqrt));
    const deltaAt = widths.map((_, w) => dms[w]![l]!.map(Math.sqrt));
    return {
      layer: l + 1,
      kind,
      rms: rmsAt,
      deltaRms: deltaAt,
      slope: logLogSlope(
        widths,
        rmsAt.map((r) => r[steps]!),
      ),
      deltaSlope: logLogSlope(
        widths,
        deltaAt.map((r) => r[steps]!),
      ),
      deltaSlopes: Array.from({ length: steps + 1 }, (_, t) =>
        logLogSlope(
          widths,
          deltaAt.map((r) => r[t]!),
        ),
      ),
    };
  });
}
