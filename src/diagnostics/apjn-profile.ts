/**
 * The APJN profile of an architecture: J^{l0,l} for every l, measured on finite networks
 * (averaged over inputs, Hutchinson probes and network seeds, with standard errors) beside the
 * infinite-width recurrence of the same blocks.
 */

import { loadJax } from "../nets/jax.js";
import { type Architecture, type Dtype, instantiate } from "../nets/network.js";
import { Rng, ZigguratRng } from "../rng.js";
import { gaussianKernel } from "../theory/kernel.js";
import { apjnFrom, propagate } from "../theory/recurrence.js";
import { apjnEmpirical } from "./apjn.js";

export interface MeasureOptions {
  /** network seeds; one network per seed */
  seeds: number[];
  /** inputs per network, rows x ~ N(0, q0 I) */
  inputs: number;
  probes: number;
  l0?: number;
  q0?: number;
  dtype?: Dtype;
  /**
   * Normal generator of the weights: "box-muller" (default, `Rng`) or "ziggurat" (`ZigguratRng`,
   * ~5× faster on the host, another stream for the same seed).
   */
  weights?: "box-muller" | "ziggurat";
  /** also return each network's martingale control variate (apjn.ts `controls`) */
  controls?: boolean;
  /** called after each network with the number done */
  onProgress?: (done: number) => void;
}

export interface ApjnProfile {
  /** l = l0+1 … L */
  layers: number[];
  /** log of the estimate of J^{l0,l} (mean over seeds in linear space) */
  logJ: Float64Array;
  /** relative standard error of that estimate (= standard error of log J by the delta method) */
  relStderr: Float64Array;
  /** log J^{l0,l} of each seed's network */
  perSeed: Float64Array[];
  /** relative standard error of each seed's estimate over its inputs and probes */
  perSeedRelStderr: Float64Array[];
  /** with `controls`: each seed's C^l/Ĵ^l (apjn.ts `ApjnResult.control`) */
  perSeedControl?: Float64Array[];
}

/**
 * Measures J^{l0,l} on `seeds.length` networks. The standard error is the spread of the
 * per-network estimates (network-to-network variation included) when there are ≥ 2 seeds, and
 * the probe/input standard error of the single network otherwise.
 */
export async function measureApjn(arch: Architecture, o: MeasureOptions): Promise<ApjnProfile> {
  const jax = await loadJax();
  const l0 = o.l0 ?? 0;
  const q0 = o.q0 ?? 1;
  const perSeed: Float64Array[] = [];
  const perSeedRelStderr: Float64Array[] = [];
  const perSeedControl: Float64Array[] = [];
  for (const [i, seed] of o.seeds.entries()) {
    const rng = o.weights === "ziggurat" ? new ZigguratRng(seed) : undefined;
    const net = await instantiate(arch, seed, o.dtype, rng);
    const x = new Rng(seed ^ 0x5eed).normals(o.inputs * arch.inputWidth, Math.sqrt(q0));
    const dt = o.dtype === "float64" ? jax.numpy.float64 : jax.numpy.float32;
    const inputs = jax.numpy.array(o.dtype === "float64" ? x : Float32Array.from(x), {
      shape: [o.inputs, arch.inputWidth],
      dtype: dt,
    });
    try {
      const r = await apjnEmpirical(net.blocks, inputs, {
        probes: o.probes,
        l0,
        dtype: o.dtype,
        seed: seed + 1,
        controls: o.controls,
      });
      perSeed.push(r.logJ);
      if (r.control) perSeedControl.push(r.control);
      perSeedRelStderr.push(r.logStderr);
    } finally {
      inputs.dispose();
      net.dispose();
    }
    o.onProgress?.(i + 1);
  }
  const L = arch.blocks.length;
  const logJ = new Float64Array(L - l0);
  const relStderr = new Float64Array(L - l0);
  for (let k = 0; k < L - l0; k++) {
    const [m, rel] = logMeanWithError(perSeed.map((s) => s[k]!));
    logJ[k] = m;
    relStderr[k] = perSeed.length > 1 ? rel : perSeedRelStderr[0]![k]!;
  }
  return {
    layers: Array.from({ length: L - l0 }, (_, k) => l0 + 1 + k),
    logJ,
    relStderr,
    perSeed,
    perSeedRelStderr,
    ...(o.controls ? { perSeedControl } : {}),
  };
}

/** log of the mean of e^{v_s}, and the relative standard error of that mean. */
export function logMeanWithError(logs: number[]): [number, number] {
  const max = Math.max(...logs);
  const w = logs.map((v) => Math.exp(v - max));
  const n = w.length;
  const mean = w.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? w.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : Number.NaN;
  return [max + Math.log(mean), Math.sqrt(variance / n) / mean];
}

/**
 * `logMeanWithError` with a control variate: e^{v_s} − β C_s, where C_s = k_s e^{v_s} has mean
 * zero (k_s = C/Ĵ of network s, `perSeedControl`) and β = Cov(e^v, C)/Var(C) is the regression
 * coefficient over the sample (its O(1/n) bias is below the standard error at the ≥ 16 networks
 * init-search uses). Falls back to the plain mean when the corrected one is not positive.
 */
export function logMeanWithControl(logs: number[], k: number[]): [number, number] {
  const n = logs.length;
  if (n < 3) return logMeanWithError(logs);
  const max = Math.max(...logs);
  const y = logs.map((v) => Math.exp(v - max));
  const z = y.map((w, i) => w * k[i]!);
  const my = y.reduce((a, b) => a + b, 0) / n;
  const mz = z.reduce((a, b) => a + b, 0) / n;
  let syz = 0;
  let szz = 0;
  for (let i = 0; i < n; i++) {
    syz += (y[i]! - my) * (z[i]! - mz);
    szz += (z[i]! - mz) ** 2;
  }
  const beta = szz > 0 ? syz / szz : 0;
  const mean = my - beta * mz;
  if (!(mean > 0)) return logMeanWithError(logs);
  const r = y.map((w, i) => w - beta * z[i]!);
  const mr = r.reduce((a, b) => a + b, 0) / n;
  // n − 2: one degree of freedom for the mean, one for β
  const variance = r.reduce((a, b) => a + (b - mr) ** 2, 0) / (n - 2);
  return [max + Math.log(mean), Math.sqrt(variance / n) / mean];
}

/**
 * log J^{l0,l} (l = l0+1 … L) of the infinite-width recurrence of the same blocks from inputs
 * with variance q0; null when a block has no theory (e.g. MLP-Mixer). NaN from the layer where
 * q^l overflows the float64 range (see `propagate`).
 */
export function theoryApjn(arch: Architecture, q0 = 1, l0 = 0): Float64Array | null {
  if (!arch.blocks.every((b) => b.hasTheory)) return null;
  const t = propagate((l) => arch.blocks[l]!, gaussianKernel(q0), arch.blocks.length);
  return apjnFrom(t, l0).subarray(1);
}
