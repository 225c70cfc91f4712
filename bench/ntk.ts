/**
 * The empirical NTK Gram matrix (src/diagnostics/ntk.ts, per-layer structured products, no
 * Jacobian) of a ReLU MLP 512 → 512 → 512 → 512 → 1 (three hidden layers, standard
 * parametrization) on 256 samples, float32, against bench/ntk_ref.py (numpy, the same structured
 * products). The timed call includes reading Θ back to JS as float64. Only timing is compared: the
 * numpy side uses its own weights (test/ntk/empirical.test.ts checks the values against J Jᵀ).
 */
import { availableParallelism, loadavg } from "node:os";
import { structuredNtk } from "../src/diagnostics/ntk.js";
import { jaxRuntime, loadJax } from "../src/nets/jax.js";
import { mlpModel } from "../src/nets/model.js";
import { Rng } from "../src/rng.js";
import { activation } from "../src/theory/activations.js";
import { isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";
import { isWorkersChild, rowsWithWorkers } from "./with-workers.js";

const N = 256;
const WIDTH = 512;

export async function run(): Promise<BenchRow[]> {
  const jax = await loadJax();
  const model = await mlpModel({
    inputDim: WIDTH,
    width: WIDTH,
    depth: 3,
    outputDim: 1,
    activation: activation("relu"),
    sigmaW2: 2,
    sigmaB2: 0,
    loss: "mse",
  });
  const x = jax.numpy.array(Float32Array.from(new Rng(0).normals(N * WIDTH)), {
    shape: [N, WIDTH],
  });
  const params = model.init(0);
  const once = async () => {
    const t0 = performance.now();
    const theta = await structuredNtk(model, params, x);
    if (!theta) throw new Error("the bench MLP is not a dense stack");
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < 11; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const ref = await runNumpy(new URL("./ntk_ref.py", import.meta.url), ["21"]);
  jax.tree.dispose([params, x] as never);
  const rows: BenchRow[] = [
    {
      name: "empirical NTK 256×256, ReLU MLP 3×512 hidden, 1 output",
      ms: times[5]!,
      referenceMs: isNumpyError(ref) ? undefined : ref.ms,
      note: `f32, eager, ${jaxRuntime().workers ? "workers on" : "workers off"}, median of 11 incl. reading Θ as float64; ${isNumpyError(ref) ? `numpy unavailable: ${ref.error}` : "numpy: the same structured products"}; 1-min load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`,
    },
  ];
  // the same measurement with the jax-js worker pool (big GEMMs: see bench/with-workers.ts)
  if (!isWorkersChild() && !jaxRuntime().workers)
    rows.push(...(await rowsWithWorkers(new URL(import.meta.url), () => true)));
  return rows;
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!);
if (isMain) {
  for (const row of await run()) console.log(JSON.stringify(row));
}
