/** A tiny model written inline for the training tests (no model library): tanh MLP or linear. */
import type { JaxArray, JaxModule } from "../../src/nets/jax.js";
import type { JaxParams } from "../../src/nets/stax.js";
import { Rng } from "../../src/rng.js";
import type { TrainTask } from "../../src/train/loop.js";

/** f(x) = tanh(x W1 + b1) W2 + b2 (hidden > 0) or x W + b (hidden = 0); loss ½ mean ‖f − y‖² or softmax CE. */
export function tinyTask(jax: JaxModule, loss: "mse" | "ce"): TrainTask {
  const np = jax.numpy;
  const predict = (params: JaxParams, x: JaxArray): JaxArray => {
    const p = params as JaxArray[];
    if (p.length === 2) return np.add(np.matmul(x, p[0]!), p[1]!);
    const h = np.tanh(np.add(np.matmul(x, p[0]!), p[1]!));
    return np.add(np.matmul(h, p[2]!), p[3]!);
  };
  return {
    predict,
    objective(params, x, y) {
      const n = y.shape[0]!;
      const f = predict(params, x);
      if (loss === "ce")
        return np.multiply(np.sum(np.multiply(jax.nn.logSoftmax(f, -1), y)), -1 / n);
      const r = np.subtract(f, y);
      return np.multiply(np.sum(np.multiply(r.ref, r)), 0.5 / n);
    },
  };
}

export function tinyParams(
  jax: JaxModule,
  seed: number,
  dims: number[],
  dtype: "float32" | "float64",
): JaxParams {
  const np = jax.numpy;
  const rng = new Rng(seed);
  const out: JaxArray[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const w = rng.normals(dims[i]! * dims[i + 1]!, 1 / Math.sqrt(dims[i]!));
    const arr = (v: Float64Array, shape: number[]) =>
      dtype === "float64"
        ? np.array(v, { shape, dtype: np.float64 })
        : np.array(Float32Array.from(v), { shape, dtype: np.float32 });
    out.push(arr(w, [dims[i]!, dims[i + 1]!]), arr(new Float64Array(dims[i + 1]!), [dims[i + 1]!]));
  }
  return out;
}
