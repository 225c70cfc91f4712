/**
 * TEMPORARY — the one place the lead swaps for core's `mlpModel` / `objective` (src/nets/model.ts)
 * when that branch is merged. Nothing else in src/train depends on this file: the training loop
 * consumes only a `TrainTask` (objective + predict) and a params pytree.
 *
 * A plain ReLU MLP: `depth` hidden layers of `width` units, He initialization W ~ N(0, 2/fan_in),
 * zero biases, linear readout. Params: [{ w: [in, out], b: [out] }, …].
 * Losses (mean over the batch): mse = ½‖f − y‖², cross_entropy = −Σ_k y_k log softmax(f)_k.
 */
import type { JaxArray, JaxModule } from "../nets/jax.js";
import type { JaxParams } from "../nets/stax.js";
import { Rng } from "../rng.js";
import type { TrainTask } from "./loop.js";

export interface MlpSpec {
  inputDim: number;
  width: number;
  depth: number;
  outputDim: number;
  loss: "mse" | "cross_entropy";
  dtype: "float32" | "float64";
}

export interface MlpTask extends TrainTask {
  init(seed: number): JaxParams;
}

export function mlpTask(jax: JaxModule, spec: MlpSpec): MlpTask {
  const np = jax.numpy;
  const dims = [spec.inputDim, ...Array(spec.depth).fill(spec.width), spec.outputDim] as number[];
  const dtype = spec.dtype === "float64" ? np.float64 : np.float32;
  const predict = (params: JaxParams, x: JaxArray): JaxArray => {
    const layers = params as { w: JaxArray; b: JaxArray }[];
    let h = x;
    layers.forEach((l, i) => {
      const z = np.add(np.matmul(h, l.w), l.b);
      h = i < layers.length - 1 ? jax.nn.relu(z) : z;
    });
    return h;
  };
  const objective = (params: JaxParams, x: JaxArray, y: JaxArray): JaxArray => {
    const f = predict(params, x);
    const n = y.shape[0]!;
    if (spec.loss === "mse") {
      const r = np.subtract(f, y);
      return np.multiply(np.sum(np.multiply(r.ref, r)), 0.5 / n);
    }
    return np.multiply(np.sum(np.multiply(jax.nn.logSoftmax(f, -1), y)), -1 / n);
  };
  return {
    predict,
    objective,
    init(seed) {
      const rng = new Rng(seed);
      return dims.slice(1).map((out, i) => {
        const fanIn = dims[i]!;
        const w = rng.normals(fanIn * out, Math.sqrt(2 / fanIn));
        const arr = (v: Float64Array, shape: number[]) =>
          np.array(spec.dtype === "float64" ? v : Float32Array.from(v), { shape, dtype });
        return { w: arr(w, [fanIn, out]), b: arr(new Float64Array(out), [out]) };
      });
    },
  };
}
