/**
 * One Hessian-vector product (jit'ed grad of jvp, src/diagnostics/hvp.ts) of the MSE loss of the
 * core ReLU MLP 512 → 512 → 512 → 512 (three dense layers) on a 256-sample batch, float32, against
 * bench/hvp_ref.py (numpy, explicit forward-over-reverse). Also the HVP counts for the sharpness to
 * 1e-3 relative by Lanczos and by power iteration on the same model.
 *
 * The timed call includes building the tangent from a flat vector and reading H v back to JS (what
 * Lanczos pays per product). Only timing is compared: the numpy side uses its own weights.
 */
import { availableParallelism, loadavg } from "node:os";
import { hessianOperator, lanczos, powerIteration } from "../src/diagnostics/hvp.js";
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
  const np = jax.numpy;
  const model = await mlpModel({
    inputDim: WIDTH,
    width: WIDTH,
    depth: 2,
    outputDim: WIDTH,
    activation: activation("relu"),
    sigmaW2: 2,
    sigmaB2: 0,
    loss: "mse",
  });
  const rng = new Rng(0);
  const batch = {
    x: np.array(Float32Array.from(rng.normals(N * WIDTH)), { shape: [N, WIDTH] }),
    y: np.array(Float32Array.from(rng.normals(N * WIDTH)), { shape: [N, WIDTH] }),
  };
  const params = model.init(0);
  const op = await hessianOperator(model, params, batch);
  const v = rng.normals(op.size);
  for (let i = 0; i < 3; i++) await op.apply(v);
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    await op.apply(v);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[5]!;
  const ref = await runNumpy(new URL("./hvp_ref.py", import.meta.url), ["21"]);
  const referenceMs = isNumpyError(ref) ? undefined : ref.ms;
  const lz = await lanczos(op, { tol: 1e-3, maxIter: 200 });
  const pw = await powerIteration(op, { tol: 1e-3, maxIter: 500 });
  op.dispose();
  jax.tree.dispose([params, batch] as never);
  const rt = jaxRuntime();
  const rows: BenchRow[] = [
    {
      name: "HVP (grad of jvp), ReLU MLP 3×512², batch 256",
      ms,
      referenceMs,
      note: `f32, ${rt.workers ? "workers on" : "workers off"}, median of 11 incl. flat↔tree transfer; ${isNumpyError(ref) ? `numpy unavailable: ${ref.error}` : "numpy explicit forward-over-reverse"}; 1-min load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`,
    },
    {
      name: "sharpness to 1e-3: HVPs Lanczos vs power iteration",
      ms: lz.hvps,
      referenceMs: pw.hvps,
      unit: "HVPs",
      note: `counts, not ms (reference: power iteration): Lanczos ${lz.hvps} HVPs (λ = ${lz.values[0]!.toPrecision(6)}, converged ${lz.converged}), power ${pw.hvps} (λ = ${pw.values[0]!.toPrecision(6)}, converged ${pw.converged})`,
    },
  ];
  // the same measurement with the jax-js worker pool (big GEMMs: see bench/with-workers.ts)
  if (!isWorkersChild() && !jaxRuntime().workers)
    rows.push(...(await rowsWithWorkers(new URL(import.meta.url), (r) => r.unit === undefined)));
  return rows;
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!);
if (isMain) {
  for (const row of await run()) console.log(JSON.stringify(row));
}
