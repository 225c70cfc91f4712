/**
 * Gradient checks shared by the model tests: jax-js autodiff (`valueAndGrad`) against central
 * finite differences of the loss in float64, and a switch of jax-js's default device.
 */
import { expect } from "vitest";
import { type JaxArray, type JaxModule, loadJax, readF64 } from "../../src/nets/jax.js";
import type { HostParams, HostTensor, JaxParams } from "../../src/nets/layers/index.js";
import { type Model, objective, valueAndGrad } from "../../src/nets/model.js";
import { paramsToJax, sampleParams } from "../../src/nets/network.js";
import { Rng } from "../../src/rng.js";

export const f64 = (jax: JaxModule, data: Float64Array, shape: number[]) =>
  jax.numpy.array(data, { shape, dtype: jax.numpy.float64 });

/** The tensors of a host tree in a fixed order, with the matching leaves of a jax tree. */
function pairLeaves(host: HostParams, grad: unknown, out: Array<[HostTensor, JaxArray]>): void {
  if (Array.isArray(host)) {
    for (const [i, h] of host.entries()) pairLeaves(h, (grad as unknown[])[i], out);
  } else if ("data" in host && host.data instanceof Float64Array) {
    out.push([host as HostTensor, grad as JaxArray]);
  } else {
    for (const [k, h] of Object.entries(host)) {
      pairLeaves(h as HostParams, (grad as Record<string, unknown>)[k], out);
    }
  }
}

/**
 * ‖∇_fd − ∇‖ / ‖∇‖ with ∇ from `valueAndGrad` and ∇_fd from central differences of the loss in
 * every parameter (step h), at float64. With `directions` = k > 0 (for models too large for one
 * difference per parameter): the largest |D_v L − ∇·v| / |∇·v| over k random Gaussian directions
 * v in parameter space, D_v L = (L(θ + h v) − L(θ − h v)) / 2h.
 */
export async function gradientError(
  model: Model,
  batch: number,
  h: number,
  directions = 0,
): Promise<number> {
  const jax = await loadJax();
  const rng = new Rng(11);
  const host = sampleParams(model.architecture, 3);
  const xData = rng.normals(batch * model.inputDim);
  const yData = new Float64Array(batch * model.outputDim);
  if (model.loss === "mse") yData.set(rng.normals(yData.length));
  else for (let b = 0; b < batch; b++) yData[b * model.outputDim + (b % model.outputDim)] = 1;
  const x = () => f64(jax, xData, [batch, model.inputDim]);
  const y = () => f64(jax, yData, [batch, model.outputDim]);
  const loss = objective(model);
  const lossAt = async () => (await readF64(loss(paramsToJax(jax, host, "float64"), x(), y())))[0]!;

  const params = paramsToJax(jax, host, "float64") as JaxParams;
  const [value, grad] = valueAndGrad(model)(params, x(), y());
  expect(Math.abs((await readF64(value))[0]! - (await lossAt())), "value").toBeLessThan(1e-12);
  jax.tree.dispose(params as never);
  const pairs: Array<[HostTensor, JaxArray]> = [];
  pairLeaves(host, grad, pairs);
  if (directions > 0) {
    const gs = await Promise.all(pairs.map(([, g]) => readF64(g)));
    const dirRng = new Rng(17);
    let worst = 0;
    for (let k = 0; k < directions; k++) {
      const vs = pairs.map(([t]) => dirRng.normals(t.data.length));
      const base = pairs.map(([t]) => t.data.slice());
      const shift = (s: number) =>
        pairs.forEach(([t], i) => {
          for (let j = 0; j < t.data.length; j++) t.data[j] = base[i]![j]! + s * vs[i]![j]!;
        });
      shift(h);
      const up = await lossAt();
      shift(-h);
      const down = await lossAt();
      shift(0);
      const gv = gs.reduce((acc, g, i) => acc + g.reduce((a, gj, j) => a + gj * vs[i]![j]!, 0), 0);
      worst = Math.max(worst, Math.abs((up - down) / (2 * h) - gv) / Math.abs(gv));
    }
    return worst;
  }
  let num = 0;
  let den = 0;
  for (const [tensor, g] of pairs) {
    const gData = await readF64(g);
    for (let i = 0; i < tensor.data.length; i++) {
      const v = tensor.data[i]!;
      tensor.data[i] = v + h;
      const up = await lossAt();
      tensor.data[i] = v - h;
      const down = await lossAt();
      tensor.data[i] = v;
      const fd = (up - down) / (2 * h);
      num += (fd - gData[i]!) ** 2;
      den += gData[i]! ** 2;
    }
  }
  return Math.sqrt(num / den);
}

/** Runs `body` with jax-js's default device set to `device`, restoring Wasm afterwards. */
export async function onDevice<T>(device: "cpu" | "wasm", body: () => Promise<T>): Promise<T> {
  const jax = await loadJax();
  await jax.init("cpu");
  jax.defaultDevice(device);
  try {
    return await body();
  } finally {
    jax.defaultDevice("wasm");
  }
}
