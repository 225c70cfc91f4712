/**
 * The coordinate check (./coord-check.ts) on a jax-js Model, e.g. the Transformer
 * (../nets/transformer.ts): for each width a model is built, trained from its init for a few
 * full-batch steps of the project's optimizer (../train/optimizers.ts, SGD or Adam, with the
 * model's per-leaf lr factors of that optimizer's column), and the RMS of every model layer's
 * output (embedding, each block, the readout's logits) and of its change since initialization is
 * recorded per step. Loss: the model's (MSE for the coordinate check).
 */
import { InputError, requireInteger, requireNumber } from "../errors.js";
import { loadJax, readF64 } from "../nets/jax.js";
import { type Model, modelBlocks, optimizerLrScales, valueAndGrad } from "../nets/model.js";
import type { LayerKind } from "../nets/parametrizations.js";
import { makeOptimizer } from "../train/optimizers.js";
import {
  type CoordCheckResult,
  type CoordOptimizer,
  coordBatch,
  coordLayerResults,
  rms,
} from "./coord-check.js";

export interface ModelCoordCheckConfig {
  widths: number[];
  /** the model of a width (float32 or float64) */
  build: (width: number) => Promise<Model>;
  steps: number;
  lr: number;
  optimizer: CoordOptimizer;
  seeds: number[];
  batch: number;
  /** the batch of a seed (`batch` rows of the model's input and output); default `coordBatch` */
  batchOf?: (seed: number) => { x: Float64Array; y: Float64Array };
  /** the kind of each model layer in the parametrization's table (embedding, blocks, readout) */
  kinds: LayerKind[];
}

/** The coordinate check on models: every width and seed trained from its own init. */
export async function modelCoordCheck(
  cfg: ModelCoordCheckConfig,
  onRun?: () => void,
): Promise<CoordCheckResult> {
  const jax = await loadJax();
  const np = jax.numpy;
  const steps = requireInteger("steps", cfg.steps, 0, 100_000);
  requireNumber("lr", cfg.lr, (v) => v > 0, "> 0");
  if (cfg.widths.length === 0) throw new InputError("widths", "needs at least one width");
  if (cfg.seeds.length === 0) throw new InputError("seeds", "needs at least one seed");
  const S = cfg.seeds.length;
  const nLayers = cfg.kinds.length;
  const zeros = () => Array.from({ length: nLayers }, () => new Array(steps + 1).fill(0));
  const ms = cfg.widths.map(zeros);
  const dms = cfg.widths.map(zeros);
  const loss = cfg.widths.map(() => new Array(steps + 1).fill(0));
  for (const [w, width] of cfg.widths.entries()) {
    const model = await cfg.build(width);
    if (model.architecture.blocks.length !== nLayers)
      throw new Error(`${model.architecture.blocks.length} model layers for ${nLayers} kinds`);
    const vg = valueAndGrad(model);
    const dtype = model.dtype === "float64" ? np.float64 : np.float32;
    const toJax = (v: Float64Array, cols: number) =>
      np.array(model.dtype === "float64" ? v : Float32Array.from(v), {
        shape: [cfg.batch, cols],
        dtype,
      });
    for (const seed of cfg.seeds) {
      const b = cfg.batchOf
        ? cfg.batchOf(seed)
        : coordBatch(seed, cfg.batch, model.inputDim, model.outputDim);
      const x = toJax(b.x, model.inputDim);
      const y = toJax(b.y, model.outputDim);
      const opt = makeOptimizer(jax, { name: cfg.optimizer });
      const lrScales = optimizerLrScales(model, cfg.optimizer);
      let params = model.init(seed + Math.imul(width, 0x9e3779b1));
      let state = opt.init(params);
      let h0: Float64Array[] | undefined;
      try {
        for (let t = 0; ; t++) {
          // every model layer's output on the batch (the blocks borrow params)
          const hs: Float64Array[] = [];
          let h = x.ref;
          for (const block of modelBlocks(model, params)) {
            h = block.apply(jax.tree.ref(block.params), h);
            hs.push(await readF64(h.ref));
          }
          h.dispose();
          h0 ??= hs;
          hs.forEach((v, l) => {
            ms[w]![l]![t] += rms(v) ** 2 / S;
            dms[w]![l]![t] += rms(v, h0![l]) ** 2 / S;
          });
          const [value, grads] = vg(params, x, y);
          loss[w]![t] += (await readF64(value))[0]! / S;
          if (t === steps) {
            jax.tree.dispose(grads as never);
            break;
          }
          ({ params, state } = opt.step(params, grads, state, cfg.lr, lrScales));
        }
      } finally {
        jax.tree.dispose([params, state.slots, x, y] as never);
        opt.dispose();
      }
      onRun?.();
    }
  }
  return { widths: cfg.widths, loss, layers: coordLayerResults(cfg.widths, cfg.kinds, ms, dms) };
}
