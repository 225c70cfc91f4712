/**
 * Loss and all parameter gradients of a Pre-LN Transformer encoder at initialization (12 blocks,
 * width 256, 8 heads, 16 tokens of 16 features, ReLU FFN of width 1024, batch 32, cross-entropy,
 * float32): critkit's `valueAndGrad(transformerModel(...))` (one jit'ed step) against
 * bench/transformer_ref.py, numpy running the same forward and a hand-written backward pass.
 * The two sides sample their own weights from the same distributions (the losses at init are
 * reported, both ≈ ln 10 + O(1)); times are medians after warm-up (tracing excluded). The numpy
 * backward is checked by `python3 bench/transformer_ref.py check` (directional central difference,
 * float64: relative error 6e-9).
 */
import { availableParallelism, loadavg } from "node:os";
import { jaxRuntime, loadJax, readF32 } from "../src/nets/jax.js";
import { valueAndGrad } from "../src/nets/model.js";
import { transformerModel } from "../src/nets/transformer.js";
import { Rng } from "../src/rng.js";
import { activation } from "../src/theory/activations.js";
import { isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";

const [L, D, T, B, H, P, C] = [12, 256, 16, 32, 8, 16, 10];

export async function run(): Promise<BenchRow[]> {
  const jax = await loadJax();
  const np = jax.numpy;
  const model = await transformerModel({
    tokens: T,
    tokenDim: P,
    width: D,
    heads: H,
    layers: L,
    classes: C,
    ln: "pre",
    activation: activation("relu"),
  });
  const params = model.init(0);
  const x = np.array(Float32Array.from(new Rng(1).normals(B * T * P)), { shape: [B, T * P] });
  const yData = new Float32Array(B * C);
  for (let b = 0; b < B; b++) yData[b * C + (b % C)] = 1;
  const y = np.array(yData, { shape: [B, C] });
  const step = valueAndGrad(model);
  const once = async () => {
    const [loss, grads] = step(params, x, y);
    const v = (await readF32(loss))[0]!;
    await Promise.all(jax.tree.leaves(grads as never).map((g) => readF32(g as never)));
    return v;
  };
  const loss = await once();
  const loadBefore = loadavg()[0];
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[2]!;
  jax.tree.dispose([params, x, y] as never);
  const ref = await runNumpy(new URL("./transformer_ref.py", import.meta.url), [
    ...[L, D, T, B, H, 5].map(String),
  ]);
  const rt = jaxRuntime();
  const refNote = isNumpyError(ref)
    ? `numpy reference unavailable: ${ref.error}`
    : `loss at init critkit ${loss.toPrecision(5)}, numpy ${(ref.loss as number).toPrecision(5)}`;
  return [
    {
      name: `Transformer grads at init, Pre-LN ${L}×${D}, ${T} tokens, batch ${B}`,
      ms,
      referenceMs: isNumpyError(ref) ? undefined : ref.ms,
      note: `f32, ${rt.workers ? `workers on (${rt.threads})` : "workers off"}; ${refNote}; 1-min load ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`,
    },
  ];
}
