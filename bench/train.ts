/**
 * One SGD step (forward + backward + update) of a 3-layer ReLU MLP, every layer 512 × 512, on a
 * 256-sample batch, float32, loss ½ mean ‖f − y‖², against bench/train_ref.py (numpy doing the
 * same step with a hand-written backward pass).
 *
 * critkit's step is exactly what `train` runs per update: the jit'ed value-and-gradient of the
 * objective, then the SGD update of src/train/optimizers.ts (jit per leaf), then the loss read back to JS.
 * The model is the plain ReLU MLP below, written to match the numpy reference line for line (the
 * same weights are handed to both). Times are medians after warm-up (tracing and compilation
 * excluded); both sides get the same weights and data (a temporary float32 file) and the note
 * reports the losses of the first two steps from each (a check that the steps agree).
 */
import { rm, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type JaxArray, jaxRuntime, loadJax, readF32 } from "../src/nets/jax.js";
import type { JaxParams } from "../src/nets/stax.js";
import { Rng } from "../src/rng.js";
import { makeOptimizer } from "../src/train/optimizers.js";
import { isNumpyError, runNumpy } from "./numpy.js";
import type { BenchRow } from "./types.js";

const N = 256;
const WIDTH = 512;
const LR = 0.01;
const ROUNDS = 3;

export async function run(): Promise<BenchRow[]> {
  const jax = await loadJax();
  const np = jax.numpy;
  const rt = jaxRuntime();
  // f = relu(relu(x W1 + b1) W2 + b2) W3 + b3, loss ½ mean over the batch of ‖f − y‖²
  const objective = (params: JaxParams, x: JaxArray, y: JaxArray): JaxArray => {
    const layers = params as { w: JaxArray; b: JaxArray }[];
    let h = x;
    layers.forEach((l, i) => {
      const z = np.add(np.matmul(h, l.w), l.b);
      h = i < layers.length - 1 ? jax.nn.relu(z) : z;
    });
    const r = np.subtract(h, y);
    return np.multiply(np.sum(np.multiply(r.ref, r)), 0.5 / N);
  };
  const rng = new Rng(5);
  const ws = [0, 1, 2].map(() =>
    Float32Array.from(rng.normals(WIDTH * WIDTH, Math.sqrt(2 / WIDTH))),
  );
  const xData = Float32Array.from(rng.normals(N * WIDTH));
  const yData = Float32Array.from(rng.normals(N * WIDTH));
  const file = join(tmpdir(), `critkit-train-${process.pid}.f32`);
  await writeFile(file, Buffer.concat([...ws, xData, yData].map((a) => Buffer.from(a.buffer))));

  let params: JaxParams = ws.map((w) => ({
    w: np.array(w, { shape: [WIDTH, WIDTH] }),
    b: np.zeros([WIDTH], { dtype: np.float32 }),
  }));
  const x = np.array(xData, { shape: [N, WIDTH] });
  const y = np.array(yData, { shape: [N, WIDTH] });
  const lossAndGrad = jax.jit(jax.valueAndGrad(objective));
  const sgd = makeOptimizer(jax, { name: "sgd" });
  let state = sgd.init(params);
  const step = async () => {
    const [loss, grads] = lossAndGrad(jax.tree.ref(params), x.ref, y.ref) as [JaxArray, JaxParams];
    ({ params, state } = sgd.step(params, grads, state, LR));
    return (await readF32(loss))[0]!;
  };
  const losses = [await step(), await step()];
  for (let i = 0; i < 3; i++) await step();

  const ours: number[] = [];
  const refs: number[] = [];
  let refLosses: number[] | undefined;
  let refError = "";
  const loadBefore = loadavg()[0];
  for (let round = 0; round < ROUNDS; round++) {
    const ref = await runNumpy(new URL("./train_ref.py", import.meta.url), ["21", file]);
    if (isNumpyError(ref)) refError = ref.error;
    else {
      refs.push(ref.ms);
      refLosses = [ref.loss as number, ref.loss2 as number];
    }
    const times: number[] = [];
    for (let i = 0; i < 11; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    ours.push(times[5]!);
  }
  jax.tree.dispose([params, x, y] as never);
  lossAndGrad.dispose();
  sgd.dispose();
  await rm(file, { force: true });

  const ms = Math.min(...ours);
  const referenceMs = refs.length ? Math.min(...refs) : undefined;
  const fmt = (xs: number[]) => xs.map((v) => v.toFixed(1)).join("/");
  const agree = refLosses
    ? `losses step 1, 2: critkit ${losses.map((l) => l.toPrecision(7)).join(", ")}, numpy ${refLosses.map((l) => l.toPrecision(7)).join(", ")}`
    : `numpy reference unavailable: ${refError}`;
  return [
    {
      name: "SGD step, ReLU MLP 3×512², batch 256 (jit grad + update)",
      ms,
      referenceMs,
      ratio: referenceMs ? ms / referenceMs : undefined,
      note: `f32, ${rt.workers ? `workers on (${rt.threads})` : "workers off"}; best of round medians ${fmt(ours)} ms vs numpy ${fmt(refs)} ms; ${agree}; 1-min load ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`,
    },
  ];
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!);
if (isMain) {
  for (const row of await run()) console.log(JSON.stringify(row));
}
