/**
 * Depth scaling of residual networks h^{k+1} = h^k + α_L (W_k φ(h^k) + b_k), k = 0 … L−1, with
 * branch scale α_L = L^{-β} (built from the core's combinators: residual(1, serial(φ, dense,
 * scale(α_L)))). Theory from the same layers' infinite-width maps, measurement on finite networks.
 *
 * Theory (i.i.d. weights, W_ij ~ N(0, σ_w²/N), b_i ~ N(0, σ_b²)): the branch is a fresh field, so
 *   q_{k+1} = q_k + α_L² (σ_w² E[φ(u)²] + σ_b²),   χ_k = 1 + α_L² σ_w² E[φ'(u)²],  u ~ N(0, q_k)
 * (the `sum` combinator's map), Var h^L = q_L = q_0 Π_k (1 + α_L² c_k) with c_k = (q_{k+1}−q_k)/(α_L² q_k),
 * and J^{0,L} = Π_k χ_k. For ReLU with σ_w² = 2, σ_b² = 0: q_L = q_0 (1 + α_L²)^L = J^{0,L} q_0, so
 * log q_L ≈ L^{1−2β}: β < ½ explodes, β > ½ tends to the identity (q_L → q_0), β = ½ tends to e q_0.
 * Per-layer weight gradient of the loss ℓ = ‖h^L‖²/(2N) on one input (gradient-independence
 * assumption, Schoenholz et al. 2017): ‖∂ℓ/∂W_k‖_F² ≈ α_L² q_L E[φ(u_k)²] J^{k+1,L}.
 *
 * Weights correlated across layers (`weights`), per entry, t = k/L:
 *   iid:      W_k independent;
 *   brownian: W_k = W_0 + Σ_{j=1}^{k} ξ_j/√L (ξ_j i.i.d. like W_0): W(t) = W(0) + Brownian motion
 *             in t, marginal variance (1 + t) σ_w²/N;
 *   smooth:   W(t) = (1/√M) Σ_{m=0}^{M−1} [A_m cos(2πmt) + B_m sin(2πmt)] (M = 3 random Fourier
 *             modes; B_0 unused), marginal variance σ_w²/N;
 * biases follow the same path. With α_L = 1/L these give the Euler scheme of the neural ODE
 * dh/dt = W(t) φ(h) + b(t): a depth-independent, non-trivial map (iid weights with α_L = 1/L
 * average out and tend to the identity instead).
 */
import { InputError, requireInteger, requireNumber } from "../errors.js";
import { dispose, type JaxArray, loadJax, readF64 } from "../nets/jax.js";
import {
  act,
  dense,
  type HostParams,
  type HostTensor,
  type JaxParams,
  residual,
  scale,
  serial,
} from "../nets/layers/index.js";
import { createModel, modelBlocks, valueAndGrad } from "../nets/model.js";
import { type Architecture, type Dtype, paramsToJax } from "../nets/network.js";
import { Rng } from "../rng.js";
import type { Activation } from "../theory/activations.js";
import { gaussianKernel } from "../theory/kernel.js";
import { propagate } from "../theory/recurrence.js";
import { apjnEmpirical } from "./apjn.js";
import { logMeanWithError } from "./apjn-profile.js";

export const WEIGHT_PATHS = ["iid", "brownian", "smooth"] as const;
export type WeightPath = (typeof WEIGHT_PATHS)[number];
/** Fourier modes of the smooth weight path */
export const SMOOTH_MODES = 3;

export interface ResnetConfig {
  width: number;
  depth: number;
  /** branch scale α_L (e.g. depth^-β) */
  alpha: number;
  activation: Activation;
  sigmaW2: number;
  sigmaB2: number;
  weights?: WeightPath;
}

function checkConfig(c: ResnetConfig): Required<ResnetConfig> {
  requireInteger("width", c.width, 1, 1 << 14);
  requireInteger("depth", c.depth, 1, 100_000);
  requireNumber("alpha", c.alpha, (v) => v > 0, "> 0");
  requireNumber("sigmaW2", c.sigmaW2, (v) => v > 0, "> 0");
  requireNumber("sigmaB2", c.sigmaB2, (v) => v >= 0, "≥ 0");
  const weights = c.weights ?? "iid";
  if (!WEIGHT_PATHS.includes(weights))
    throw new InputError("weights", `must be one of ${WEIGHT_PATHS.join(", ")}, got ${weights}`);
  return { ...c, weights };
}

/** The residual block h ↦ h + α (W φ(h) + b); one Layer object shared by all depths. */
export function resnetBlock(c: ResnetConfig) {
  return residual(
    1,
    serial(act(c.activation), dense(c.width, c.sigmaW2, c.sigmaB2), scale(c.alpha)),
  );
}

export function resnetArchitecture(c: ResnetConfig): Architecture {
  const block = resnetBlock(checkConfig(c));
  return { inputWidth: c.width, blocks: Array.from({ length: c.depth }, () => block) };
}

/**
 * Values of one parameter tensor along the depth path (`weights`), for k = 0 … L−1, each entry
 * with standard deviation `std` at t = 0 (see the module comment).
 */
export function weightPath(
  kind: WeightPath,
  rng: Rng,
  depth: number,
  size: number,
  std: number,
): Float64Array[] {
  if (kind === "iid") return Array.from({ length: depth }, () => rng.normals(size, std));
  if (kind === "brownian") {
    const path = [rng.normals(size, std)];
    for (let k = 1; k < depth; k++) {
      const step = rng.normals(size, std / Math.sqrt(depth));
      path.push(path[k - 1]!.map((v, i) => v + step[i]!));
    }
    return path;
  }
  const a = Array.from({ length: SMOOTH_MODES }, () => rng.normals(size, std));
  const b = Array.from({ length: SMOOTH_MODES }, () => rng.normals(size, std));
  return Array.from({ length: depth }, (_, k) => {
    const t = k / depth;
    const out = new Float64Array(size);
    for (let m = 0; m < SMOOTH_MODES; m++) {
      const [cm, sm] = [Math.cos(2 * Math.PI * m * t), Math.sin(2 * Math.PI * m * t)];
      for (let i = 0; i < size; i++)
        out[i]! += (cm * a[m]![i]! + sm * b[m]![i]!) / Math.sqrt(SMOOTH_MODES);
    }
    return out;
  });
}

/**
 * Host parameters of the ResNet for `seed`: per block [[], [[], {w, b}, []]] (skip, then φ,
 * dense, scale), weights and biases drawn along the path `c.weights`.
 */
export function resnetParams(c: ResnetConfig, seed: number): HostParams[] {
  const cfg = checkConfig(c);
  const { width: N, depth: L } = cfg;
  const rng = new Rng(seed);
  const w = weightPath(cfg.weights, rng.split(), L, N * N, Math.sqrt(cfg.sigmaW2 / N));
  const b = weightPath(cfg.weights, rng.split(), L, N, Math.sqrt(cfg.sigmaB2));
  const tensor = (shape: number[], data: Float64Array): HostTensor => ({ shape, data });
  return w.map((wk, k) => [[], [[], { w: tensor([N, N], wk), b: tensor([N], b[k]!) }, []]]);
}

export interface ResnetTheory {
  /** q_k = Var h^k, k = 0 … L */
  q: number[];
  /** log J^{0,k}, k = 0 … L */
  logJ: number[];
  /** predicted ‖∂ℓ/∂W_k‖_F², k = 0 … L−1 (see the module comment) */
  gradNorm2: number[];
}

/** The infinite-width recursion of the i.i.d. ResNet from inputs of variance q0. */
export function resnetTheory(c: ResnetConfig, q0 = 1): ResnetTheory {
  const cfg = checkConfig(c);
  const tr = propagate(resnetBlock(cfg), gaussianKernel(q0), cfg.depth);
  const L = cfg.depth;
  const qL = tr.q[L]!;
  const gradNorm2 = Array.from(
    { length: L },
    (_, k) =>
      cfg.alpha ** 2 *
      qL *
      cfg.activation.secondMoment(tr.q[k]!) *
      Math.exp(tr.logJ[L]! - tr.logJ[k + 1]!),
  );
  return { q: Array.from(tr.q), logJ: Array.from(tr.logJ), gradNorm2 };
}

/**
 * Deepest network whose gradients are measured: the whole-network jit'ed gradient overflows the
 * JS call stack while tracing at depth 512 (measured; 256 works), so deeper rows report null.
 */
export const GRAD_MAX_DEPTH = 256;

export interface ResnetMeasureOptions {
  seeds: number[];
  /** inputs per network for the variance and the APJN: rows with mean square exactly q0 */
  inputs: number;
  probes: number;
  q0?: number;
  dtype?: Dtype;
  /** also measure per-layer weight-gradient norms (one jit of the whole network, depth ≤ GRAD_MAX_DEPTH; default true) */
  grads?: boolean;
}

export interface ResnetMeasurement {
  /** log of the mean over seeds of Var h^L (mean square over inputs and units), and its rel. s.e. */
  logVar: number;
  varRelStderr: number;
  /** log of the mean over seeds of J^{0,L}, rel. s.e. */
  logApjn: number;
  apjnRelStderr: number;
  /** log J^{0,L} of each seed */
  logApjnPerSeed: number[];
  /** relative variance of J^{0,L} across seeds, Var_s(J)/mean_s(J)² (finite-width fluctuation) */
  apjnRelVar: number;
  /** mean over seeds of ‖∂ℓ/∂W_k‖_F², ℓ = ‖h^L‖²/(2N) on the seed's first input; null without grads or above GRAD_MAX_DEPTH */
  gradNorm2: number[] | null;
}

/** `rows` Gaussian rows of width n rescaled to mean square exactly q0 (so q_0 is not sampled). */
function sphereInputs(rng: Rng, rows: number, n: number, q0: number): Float64Array {
  const x = rng.normals(rows * n);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const ms = row.reduce((a, v) => a + v * v, 0) / n;
    row.forEach((v, i) => {
      row[i] = v * Math.sqrt(q0 / ms);
    });
  }
  return x;
}

/** Output variance, APJN input → output and per-layer gradient norms over `seeds` networks. */
export async function measureResnet(
  c: ResnetConfig,
  o: ResnetMeasureOptions,
): Promise<ResnetMeasurement> {
  const cfg = checkConfig(c);
  const { width: N, depth: L } = cfg;
  const q0 = o.q0 ?? 1;
  const dtype = o.dtype ?? "float32";
  const model = await createModel(resnetArchitecture(cfg), { loss: "mse", dtype });
  const grad = o.grads === false || L > GRAD_MAX_DEPTH ? null : valueAndGrad(model);
  const jax = await loadJax();
  const np = jax.numpy;
  const array = (data: Float64Array, shape: number[]) =>
    np.array(dtype === "float64" ? data : Float32Array.from(data), {
      shape,
      dtype: dtype === "float64" ? np.float64 : np.float32,
    });
  const logVars: number[] = [];
  const logApjn: number[] = [];
  const grads = new Float64Array(L);
  for (const seed of o.seeds) {
    const params: JaxParams[] = paramsToJax(jax, resnetParams(cfg, seed), dtype);
    const xData = sphereInputs(new Rng(seed ^ 0x5eed), o.inputs, N, q0);
    const x = array(xData, [o.inputs, N]);
    try {
      const out = await readF64(model.apply(jax.tree.ref(params as never), x.ref));
      logVars.push(Math.log(out.reduce((a, v) => a + v * v, 0) / out.length));
      const r = await apjnEmpirical(modelBlocks(model, params), x, {
        probes: o.probes,
        dtype,
        seed: seed + 1,
      });
      logApjn.push(r.logJ[L - 1]!);
      if (grad) {
        const x1 = array(xData.subarray(0, N), [1, N]);
        const y0 = array(new Float64Array(N), [1, N]);
        const [loss, g] = grad(params, x1, y0);
        for (let k = 0; k < L; k++) {
          const gw = (g as unknown as [[], [[], { w: JaxArray }]][])[k]![1][1].w;
          const v = await readF64(np.sum(np.square(gw.ref)));
          grads[k]! += v[0]! / o.seeds.length;
        }
        dispose(loss, g, x1, y0);
      }
    } finally {
      dispose(x, params);
    }
  }
  const [logVar, varRelStderr] = logMeanWithError(logVars);
  const [logJ, apjnRelStderr] = logMeanWithError(logApjn);
  const rel = logApjn.map((v) => Math.exp(v - logJ));
  const apjnRelVar =
    rel.length > 1 ? rel.reduce((a, v) => a + (v - 1) ** 2, 0) / (rel.length - 1) : Number.NaN;
  return {
    logVar,
    varRelStderr,
    logApjn: logJ,
    apjnRelStderr,
    logApjnPerSeed: logApjn,
    apjnRelVar,
    gradNorm2: grad ? Array.from(grads) : null,
  };
}
