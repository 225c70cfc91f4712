/**
 * Empirical averaged partial Jacobian norm (APJN) of a stack of blocks on a real finite network:
 *
 *   J^{l0,l} = (1/N_l) E_x ‖∂h^l/∂h^{l0}‖²_F .
 *
 * Hutchinson: for v ~ N(0, I) at h^{l0}, E_v ‖(∂h^l/∂h^{l0}) v‖² = ‖∂h^l/∂h^{l0}‖²_F, so
 * J^{l0,l} ≈ mean over inputs × probes of ‖J v‖² / N_l. Forward mode carries all R = P·B probe
 * tangents (P probes for each of B inputs, as rows of one array) through the blocks once and
 * yields every l > l0. Each tangent row is rescaled to unit mean square before every block and
 * the log of its mean square after the block is accumulated in float64 on the JS side
 * (Σ_k log ms_k = log(‖J v‖²/N_l)), so depth 1000 neither overflows nor underflows; the mean over
 * samples is taken with logsumexp.
 *
 * Reverse mode (`apjnToOutput`) carries cotangent probes u ~ N(0, I) at the output back through
 * the blocks: E_u ‖uᵀ ∂h^L/∂h^l‖² = ‖∂h^L/∂h^l‖²_F gives J^{l,L} for every l in one sweep.
 *
 * Per block kind (same `apply`/`jvp` function) one jit'ed step (rescale + tangent map + row
 * mean squares, for a run of up to `blocksPerStep` consecutive blocks) is created once and reused
 * for every block of that kind; jit re-traces only for new run lengths, shapes or dtypes. Blocks must act row-wise (row b of h^{l+1} depends only on row b
 * of h^l): that is what the per-sample Jacobian in the definition means.
 *
 * Ownership: nothing here consumes the caller's `inputs` or block params; `apply` and `jvp`
 * follow jax-js conventions and consume their array arguments (the engine passes fresh refs).
 */
import { InputError, requireInteger } from "../errors.js";
import {
  dispose,
  type JaxArray,
  type JaxModule,
  jitUnlessF64,
  keep,
  loadJax,
  readF64,
} from "../nets/jax.js";
import { derivedJvp } from "../nets/layers/layer.js";
import { Rng } from "../rng.js";

/** A pytree of jax arrays (what `jax.tree` accepts). */
export type Params = unknown;

export interface Block<P = Params> {
  /** h: [batch, width_in] → [batch, width_out]. Consumes `params` and `h`. */
  apply(params: P, h: JaxArray): JaxArray;
  params: P;
  /**
   * Optional hand-written forward-mode rule for probes that share one primal:
   * h [B, N_in], t [P, B, N_in] → [h' [B, N_out], t' [P, B, N_out]], t' = (∂apply/∂h)(h) t.
   * Without it the engine differentiates `apply` with jvp on the primal replicated P times,
   * which costs about 3× the matmuls (replicated primal + a zero tangent for every parameter:
   * jax-js has no symbolic zeros). Consumes `params`, `h` and `t`.
   */
  jvp?(params: P, h: JaxArray, t: JaxArray): [JaxArray, JaxArray];
  /**
   * Optional: `jvp` with e [P, B] = E[row mean square of t' | h, t] over the block's fresh
   * zero-mean weights (src/nets/layers/layer.ts `jvpMoment`), for `controls`.
   */
  jvpMoment?(params: P, h: JaxArray, t: JaxArray): [JaxArray, JaxArray, JaxArray];
}

export interface ApjnOptions {
  /** Layer of the probes: J^{l0,l} for l = l0+1..L. Default 0 (the inputs). */
  l0?: number;
  /** Hutchinson probes per input. */
  probes: number;
  /** "jvp" (default, and what "auto" picks: one sweep gives all l) or "vjp" (one reverse sweep per l). */
  mode?: "jvp" | "vjp" | "auto";
  dtype?: "float32" | "float64";
  /** Seed of the probe vectors (src/rng.ts). Default 0. */
  seed?: number;
  /** Probe distribution: standard normal (default) or Rademacher ±1 (lower variance). */
  probe?: "gaussian" | "rademacher";
  /** Read the squared norms back every this many blocks (bounds the lazy op queue). Default 32. */
  flushEvery?: number;
  /**
   * Consecutive blocks of one kind traced into one jit call (forward mode). Fewer, larger calls
   * save the per-call JS overhead; each distinct run length is one more trace. Default 8.
   */
  blocksPerStep?: number;
  /**
   * The network is at initialisation (weights as sampled, independent and zero-mean): also return
   * the martingale control variates `control` (forward mode, every block with `jvpMoment`).
   */
  controls?: boolean;
}

export interface ApjnResult {
  /** log of the estimate of J^{l0,l}, l = l0+1..L (apjnToOutput: J^{l,L}, l = 0..L-1). */
  logJ: Float64Array;
  /**
   * Relative standard error of the estimate: stderr(Ĵ)/Ĵ over the R samples, which is also the
   * delta-method standard error of log Ĵ. It treats the P·B samples as independent (probes of
   * one input are independent given the input).
   */
  logStderr: Float64Array;
  /** Number of samples R = probes × batch behind each estimate. */
  samples: number;
  /**
   * With `controls`: per l, C^l/Ĵ^l, the martingale control variate C^l = mean over samples of
   * Σ_{k<l} (X_{k+1} − E[X_{k+1} | everything before block k's fresh weights]), X_k = ‖t^k‖²/N_k
   * (t^{l0} the probe, X_{l0} ≡ its scale 1 in the engine's normalisation). E[C^l] = 0 exactly at
   * initialisation (a sum of martingale differences), and C^l is correlated with Ĵ^l (it holds
   * the part of its fluctuation that each block's fresh weights add along the probe's direction):
   * Ĵ − β C with the regression β has a smaller variance over networks (see init-search).
   */
  control?: Float64Array;
}

type Dtype = "float32" | "float64";
type DTypeValue = import("@jax-js/jax").DType;

function dtypeValue(jax: JaxModule, dtype: Dtype): DTypeValue {
  return dtype === "float64" ? jax.numpy.float64 : jax.numpy.float32;
}

/** Smallest mean square used for renormalising (keeps a zero tangent at zero, not NaN). */
const TINY_SQ = 1e-30;

// ---------------------------------------------------------------------------------------------
// jit'ed steps, one per block kind (function identity) and direction.

type StepFn = (params: unknown, h: JaxArray, t: JaxArray, msPrev: JaxArray) => JaxArray[];
type ApplyFn = (params: unknown, h: JaxArray) => JaxArray;

interface StepCache {
  forward: WeakMap<object, ApplyFn & { dispose(): void }>;
  jvp: WeakMap<object, ChunkStepFn & { dispose(): void }>;
  moment: WeakMap<object, ChunkStepFn & { dispose(): void }>;
  vjp: WeakMap<object, StepFn & { dispose(): void }>;
}
const emptyCache = (): StepCache => ({
  forward: new WeakMap(),
  jvp: new WeakMap(),
  moment: new WeakMap(),
  vjp: new WeakMap(),
});
/** One cache per dtype: float64 steps are not jit'ed (see jitUnlessF64). */
let caches: Record<Dtype, StepCache> = { float32: emptyCache(), float64: emptyCache() };

/** Drops the cached jit'ed steps (they are rebuilt on demand). */
export function clearApjnCache(): void {
  caches = { float32: emptyCache(), float64: emptyCache() };
}

function forwardStep(jax: JaxModule, block: Block, dtype: Dtype): ApplyFn {
  const key = block.apply;
  const cache = caches[dtype];
  let f = cache.forward.get(key);
  if (!f) {
    f = jitUnlessF64(jax, (params: unknown, h: JaxArray) => block.apply(params, h), dtype);
    cache.forward.set(key, f);
  }
  return f;
}

/**
 * t [P, B, N] scaled so each row (p, b) has unit mean square (‖row‖² = N), given its mean square
 * msPrev [P, B].
 */
function normalise(jax: JaxModule, t: JaxArray, msPrev: JaxArray): JaxArray {
  const np = jax.numpy;
  const [p, b] = msPrev.shape;
  const inv = np.reciprocal(np.sqrt(np.maximum(msPrev, TINY_SQ)));
  return t.mul(inv.reshape([p, b, 1]));
}

/** Mean square of each row of t [P, B, N] → [P, B]: ‖row‖²/N. */
function rowMeanSq(jax: JaxModule, t: JaxArray): JaxArray {
  return jax.numpy.square(t).mean(2);
}

/**
 * jit'ed forward step over a run of k blocks of one kind: (params[k], h [B,N], t [P,B,N]
 * unnormalised, msPrev [P,B]) → [h' [B,N'], t' [P,B,N'], ms[k] [P,B]]; block i maps the tangent
 * rescaled to unit mean square (per row) through its Jacobian and ms[i] is the row mean square of
 * the result. jit re-traces once per distinct k (and shape/dtype).
 */
type ChunkStepFn = (
  params: unknown[],
  h: JaxArray,
  t: JaxArray,
  msPrev: JaxArray,
) => [JaxArray, JaxArray, JaxArray[], JaxArray[]];

/** The function a jit'ed forward step is built from (with `moments`: the block's moment rule). */
function stepKey(block: Block, moments = false): object {
  return moments ? block.jvpMoment! : (block.jvp ?? block.apply);
}

/**
 * As above, plus with `moments` the blocks' conditional mean squares e[k] [P,B] of the rescaled
 * tangent's image (`jvpMoment`; otherwise the last output is empty).
 */
function jvpStep(jax: JaxModule, block: Block, dtype: Dtype, moments: boolean): ChunkStepFn {
  const key = stepKey(block, moments);
  const cache = caches[dtype][moments ? "moment" : "jvp"];
  let f = cache.get(key);
  if (f) return f;
  const handRule = block.jvp;
  const apply = block.apply;
  const one = (params: unknown, h: JaxArray, tn: JaxArray): JaxArray[] => {
    if (moments) return block.jvpMoment!(params, h, tn);
    if (handRule) return handRule(params, h, tn);
    return derivedJvp(jax, apply, params, h, tn);
  };
  const body = (params: unknown[], h: JaxArray, t: JaxArray, ms: JaxArray) => {
    const out: JaxArray[] = [];
    const es: JaxArray[] = [];
    for (const p of params) {
      const r = one(p, h, normalise(jax, t, ms));
      [h, t] = r as [JaxArray, JaxArray];
      if (r[2]) es.push(r[2]);
      ms = rowMeanSq(jax, t.ref);
      out.push(ms.ref);
    }
    ms.dispose();
    return [h, t, out, es] as [JaxArray, JaxArray, JaxArray[], JaxArray[]];
  };
  f = jitUnlessF64(jax, body, dtype);
  cache.set(key, f);
  return f;
}

/**
 * jit'ed reverse step: (params, h [B,N] = input of the block, u [P,B,N'] unnormalised,
 * msPrev [P,B]) → [u' [P,B,N], ms [P,B]] with u' = J_blockᵀ (u rescaled to unit mean square).
 */
function vjpStep(jax: JaxModule, block: Block, dtype: Dtype): StepFn {
  const key = block.apply;
  const cache = caches[dtype];
  let f = cache.vjp.get(key);
  if (f) return f;
  const np = jax.numpy;
  const apply = block.apply;
  const body = (params: unknown, h: JaxArray, u: JaxArray, msPrev: JaxArray): JaxArray[] => {
    const un = normalise(jax, u, msPrev);
    const [p, b, nOut] = un.shape;
    const n = h.shape[1];
    const hRep = np.broadcastTo(h, [p, b, n]).reshape([p * b, n]);
    const [y, back] = jax.vjp((hh: JaxArray) => apply(params, hh), [hRep]);
    y.dispose();
    const [g] = back(un.reshape([p * b, nOut])) as unknown as [JaxArray];
    back.dispose();
    const uNext = g.reshape([p, b, n]);
    const ms = rowMeanSq(jax, uNext.ref);
    return [uNext, ms];
  };
  f = jitUnlessF64(jax, body, dtype);
  cache.vjp.set(key, f);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Log-space statistics.

/**
 * Adds log(ms) to the running log-scales c and returns (log mean(exp(c)), relative stderr).
 * With unit-mean-square renormalisation before every block, c_r = Σ_k log ms_k = log(‖J v_r‖²/N_l).
 */
function accumulate(c: Float64Array, ms: Float64Array): [number, number] {
  let max = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < c.length; r++) {
    c[r] += Math.log(ms[r]);
    if (c[r] > max) max = c[r];
  }
  if (!Number.isFinite(max)) return [max, Number.NaN];
  let s1 = 0;
  let s2 = 0;
  for (let r = 0; r < c.length; r++) {
    const w = Math.exp(c[r] - max);
    s1 += w;
    s2 += w * w;
  }
  const R = c.length;
  const logJ = max + Math.log(s1 / R);
  // Var(X̄)/X̄² with the unbiased sample variance: (R Σw²/(Σw)² − 1)/(R − 1).
  const rel = R > 1 ? Math.sqrt(Math.max(0, (R * s2) / (s1 * s1) - 1) / (R - 1)) : Number.NaN;
  return [logJ, rel];
}

/**
 * Control-variate update per sample r after a block with row mean squares ms and conditional
 * means e (of the rescaled tangent): with X' = X·ms and C' = C + X (ms − e), the ratio
 * k = C/X becomes (k + ms − e)/ms. Returns C/Ĵ over the samples, Σ X_r k_r / (R Ĵ), with the
 * log-scales c and log Ĵ already updated by `accumulate`.
 */
function accumulateControl(
  k: Float64Array,
  c: Float64Array,
  logJ: number,
  ms: Float64Array,
  e: Float64Array,
): number {
  let s = 0;
  for (let r = 0; r < k.length; r++) {
    k[r] = (k[r] + ms[r] - e[r]) / ms[r];
    s += Math.exp(c[r] - logJ) * k[r];
  }
  return s / k.length;
}

// ---------------------------------------------------------------------------------------------
// Shared setup.

interface Prepared {
  jax: JaxModule;
  dtype: Dtype;
  /** The jax-js DType value of `dtype`. */
  dt: DTypeValue;
  /** Block params in the working dtype (engine-owned copies if cast, else the caller's). */
  params: unknown[];
  owned: boolean;
  h0: JaxArray;
}

async function prepare(blocks: Block[], inputs: JaxArray, dtype: Dtype): Promise<Prepared> {
  const jax = await loadJax();
  if (blocks.length === 0) throw new InputError("blocks", "must contain at least one block");
  if (inputs.ndim !== 2) {
    throw new InputError("inputs", `must have shape [batch, width], got [${inputs.shape}]`);
  }
  const dt = dtypeValue(jax, dtype);
  const cast = (x: JaxArray) => (x.dtype === dt ? keep(x) : keep(x).astype(dt));
  const needsCast = blocks.some((b) =>
    jax.tree.leaves(b.params as never).some((x) => (x as JaxArray).dtype !== dt),
  );
  const params = needsCast
    ? blocks.map((b) => jax.tree.map((x: JaxArray) => cast(x), b.params as never))
    : blocks.map((b) => b.params);
  return { jax, dtype, dt, params, owned: needsCast, h0: cast(inputs) };
}

function release(prep: Prepared): void {
  if (prep.owned) dispose(prep.params);
}

function refTree(jax: JaxModule, tree: unknown): unknown {
  return jax.tree.ref(tree as never);
}

function probeArray(
  prep: Prepared,
  shape: [number, number, number],
  seed: number,
  kind: "gaussian" | "rademacher",
): JaxArray {
  const n = shape[0] * shape[1] * shape[2];
  const rng = new Rng(seed);
  const v = kind === "gaussian" ? rng.normals(n) : new Float64Array(n);
  if (kind === "rademacher") for (let i = 0; i < n; i++) v[i] = rng.nextU32() & 1 ? 1 : -1;
  const data = prep.dtype === "float64" ? v : Float32Array.from(v);
  return prep.jax.numpy.array(data, { shape, dtype: prep.dt });
}

function checkOptions(blocks: Block[], opts: ApjnOptions): { l0: number; probes: number } {
  const probes = requireInteger("probes", opts.probes, 1, 1 << 20);
  const l0 = requireInteger("l0", opts.l0 ?? 0, 0, blocks.length - 1);
  return { l0, probes };
}

/** Runs blocks [from, to) on h (consumed) with the jit'ed forward of each kind. */
function forwardRange(prep: Prepared, blocks: Block[], h: JaxArray, from: number, to: number) {
  for (let l = from; l < to; l++) {
    h = forwardStep(prep.jax, blocks[l], prep.dtype)(refTree(prep.jax, prep.params[l]), h);
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Public API.

/**
 * Empirical APJN J^{l0,l} for l = l0+1..L (forward mode: one sweep, all l). `inputs` is
 * [batch, width_0]; the estimate averages over inputs and probes. Not consumed.
 */
export async function apjnEmpirical(
  blocks: Block[],
  inputs: JaxArray,
  opts: ApjnOptions,
): Promise<ApjnResult> {
  const mode = opts.mode ?? "auto";
  if (mode === "vjp") return apjnEmpiricalReverse(blocks, inputs, opts);
  const { l0, probes } = checkOptions(blocks, opts);
  const prep = await prepare(blocks, inputs, opts.dtype ?? "float32");
  try {
    const h = forwardRange(prep, blocks, prep.h0, 0, l0);
    const [batch, width] = h.shape;
    const t = probeArray(prep, [probes, batch, width], opts.seed ?? 0, opts.probe ?? "gaussian");
    const controls = opts.controls ?? false;
    if (controls && !blocks.slice(l0).every((b) => b.jvpMoment))
      throw new InputError(
        "controls",
        "needs every block after l0 to have a jvpMoment rule (dense, scale and their serial/sum compositions)",
      );
    return await sweepForward(prep, blocks, l0, h, t, {
      flushEvery: opts.flushEvery ?? 32,
      blocksPerStep: opts.blocksPerStep ?? 8,
      renormalise: true,
      controls,
    });
  } finally {
    release(prep);
  }
}

/**
 * Carries the tangents t [P,B,N] (consumed, with h consumed) from block l0 to the end; returns
 * the statistics of ‖t^l‖²/N_l per layer. With `renormalise` false each layer's sample is the
 * unnormalised ‖J t‖²/N_l (and `onTangent` sees every layer's tangent).
 */
async function sweepForward(
  prep: Prepared,
  blocks: Block[],
  l0: number,
  h: JaxArray,
  t: JaxArray,
  opts: { flushEvery: number; blocksPerStep: number; renormalise: boolean; controls?: boolean },
  onTangent?: (l: number, t: JaxArray) => void,
): Promise<ApjnResult> {
  const controls = opts.controls ?? false;
  const { jax } = prep;
  const [P, B] = t.shape;
  const R = P * B;
  const L = blocks.length;
  const logJ = new Float64Array(L - l0);
  const logStderr = new Float64Array(L - l0);
  const c = new Float64Array(R);
  const k = controls ? new Float64Array(R) : null;
  const control = controls ? new Float64Array(L - l0) : undefined;
  const ones = () => jax.numpy.ones([P, B], { dtype: prep.dt });
  const chunkMax = opts.renormalise && !onTangent ? Math.max(1, opts.blocksPerStep) : 1;
  let ms = ones();
  const pending: { l: number; ms: JaxArray; e?: JaxArray }[] = [];
  const flush = async () => {
    for (const item of pending.splice(0)) {
      const m = await readF64(item.ms);
      if (!opts.renormalise) c.fill(0);
      const [lj, rel] = accumulate(c, m);
      logJ[item.l - l0] = lj;
      logStderr[item.l - l0] = rel;
      if (k && control && item.e)
        control[item.l - l0] = accumulateControl(k, c, lj, m, await readF64(item.e));
    }
  };
  try {
    for (let l = l0; l < L; ) {
      // one chunk = one jit'ed function: blocks whose moment rules differ (e.g. dense layers of
      // another σ_w², same tangent rule) are not run with the first one's
      const key = stepKey(blocks[l], controls);
      let n = 1;
      while (n < chunkMax && l + n < L && stepKey(blocks[l + n], controls) === key) n++;
      const msIn = opts.renormalise ? ms : ones();
      if (!opts.renormalise) ms.dispose();
      const params = prep.params.slice(l, l + n).map((p) => refTree(jax, p));
      const [hN, tN, msOut, eOut] = jvpStep(jax, blocks[l], prep.dtype, controls)(
        params,
        h,
        t,
        msIn,
      );
      h = hN;
      t = tN;
      ms = keep(msOut[n - 1]);
      if (onTangent) onTangent(l + n, keep(t));
      for (let i = 0; i < n; i++) pending.push({ l: l + i, ms: msOut[i], e: eOut[i] });
      l += n;
      if (pending.length >= opts.flushEvery) await flush();
    }
    await flush();
  } finally {
    dispose(
      h,
      t,
      ms,
      pending.map((p) => [p.ms, p.e ?? []]),
    );
  }
  return { logJ, logStderr, samples: R, ...(control ? { control } : {}) };
}

/**
 * Reverse mode: log J^{l,L} = log (1/N_L) E‖∂h^L/∂h^l‖²_F for l = 0..L-1 from one backward sweep
 * of cotangent probes at the output (P per input). Stores the L activations of the forward pass.
 */
export async function apjnToOutput(
  blocks: Block[],
  inputs: JaxArray,
  opts: Omit<ApjnOptions, "l0" | "mode">,
): Promise<ApjnResult> {
  const probes = requireInteger("probes", opts.probes, 1, 1 << 20);
  const prep = await prepare(blocks, inputs, opts.dtype ?? "float32");
  const { jax } = prep;
  const L = blocks.length;
  const acts: JaxArray[] = [];
  let u: JaxArray | undefined;
  let sq: JaxArray | undefined;
  try {
    let h = prep.h0;
    for (let l = 0; l < L; l++) {
      acts.push(keep(h));
      h = forwardStep(jax, blocks[l], prep.dtype)(refTree(jax, prep.params[l]), h);
    }
    const [B, NL] = h.shape;
    h.dispose();
    u = probeArray(prep, [probes, B, NL], opts.seed ?? 0, opts.probe ?? "gaussian");
    sq = jax.numpy.ones([probes, B], { dtype: prep.dt });
    const R = probes * B;
    const c = new Float64Array(R);
    const logJ = new Float64Array(L);
    const logStderr = new Float64Array(L);
    const flushEvery = opts.flushEvery ?? 32;
    const pending: { l: number; sq: JaxArray; width: number }[] = [];
    // Π ms_k = ‖uᵀ ∂h^L/∂h^l‖² / N_l; J^{l,L} divides by N_L instead.
    const flush = async () => {
      for (const item of pending.splice(0)) {
        const [lj, rel] = accumulate(c, await readF64(item.sq));
        logJ[item.l] = lj + Math.log(item.width / NL);
        logStderr[item.l] = rel;
      }
    };
    for (let l = L - 1; l >= 0; l--) {
      const step = vjpStep(jax, blocks[l], prep.dtype);
      const hl = acts.pop()!;
      const width = hl.shape[1];
      const [uN, sqN] = step(refTree(jax, prep.params[l]), hl, u, sq);
      u = uN;
      sq = sqN;
      pending.push({ l, sq: keep(sqN), width });
      if (pending.length >= flushEvery) await flush();
    }
    await flush();
    return { logJ, logStderr, samples: R };
  } finally {
    dispose(acts, u, sq);
    release(prep);
  }
}

/** mode "vjp" of apjnEmpirical: one reverse sweep per output layer l (cost ∝ (L − l0)²). */
async function apjnEmpiricalReverse(
  blocks: Block[],
  inputs: JaxArray,
  opts: ApjnOptions,
): Promise<ApjnResult> {
  const { l0 } = checkOptions(blocks, opts);
  const L = blocks.length;
  const logJ = new Float64Array(L - l0);
  const logStderr = new Float64Array(L - l0);
  let samples = 0;
  for (let l = l0 + 1; l <= L; l++) {
    const r = await apjnToOutput(blocks.slice(0, l), inputs, { ...opts });
    logJ[l - l0 - 1] = r.logJ[l0];
    logStderr[l - l0 - 1] = r.logStderr[l0];
    samples = r.samples;
  }
  return { logJ, logStderr, samples };
}

export interface ExactJacobian {
  /** N_l (output width). */
  rows: number;
  /** N_{l0} (input width). */
  cols: number;
  /** Row-major ∂h^l_i/∂h^{l0}_j. */
  data: Float64Array;
}

/**
 * Full Jacobian ∂h^l/∂h^{l0} at one input row (`input` [1, N_0] or [N_0]) by jvp against every
 * basis vector of h^{l0} (like jacfwd). For small widths (≤ 64 is the intended use).
 */
export async function jacobianExact(
  blocks: Block[],
  input: JaxArray,
  opts: { l0?: number; l?: number; dtype?: Dtype } = {},
): Promise<ExactJacobian> {
  const jax = await loadJax();
  const row = input.ndim === 1 ? keep(input).reshape([1, input.shape[0]]) : keep(input);
  if (row.shape[0] !== 1) {
    row.dispose();
    throw new InputError("input", `must be one row, got [${input.shape}]`);
  }
  const l0 = requireInteger("l0", opts.l0 ?? 0, 0, blocks.length - 1);
  const l = requireInteger("l", opts.l ?? blocks.length, l0 + 1, blocks.length);
  let prep: Prepared | undefined;
  let jac: JaxArray | undefined;
  try {
    prep = await prepare(blocks.slice(0, l), row, opts.dtype ?? "float32");
    const h = forwardRange(prep, blocks, prep.h0, 0, l0);
    const n0 = h.shape[1];
    const eye = jax.numpy.eye(n0, undefined, { dtype: prep.dt }).reshape([n0, 1, n0]);
    const sweep = { flushEvery: 1 << 30, blocksPerStep: 1, renormalise: false };
    await sweepForward(prep, blocks.slice(0, l), l0, h, eye, sweep, (layer, t) => {
      if (layer === l) jac = t;
      else t.dispose();
    });
    const t = jac!;
    jac = undefined;
    const rows = t.shape[2];
    // t[j, 0, i] = ∂h^l_i/∂h^{l0}_j → transpose to [i, j].
    const data = await readF64(jax.numpy.transpose(t.reshape([n0, rows])));
    return { rows, cols: n0, data };
  } finally {
    dispose(row, jac);
    if (prep) release(prep);
  }
}

/**
 * Exact log J^{l0,l} for l = l0+1..L: Hutchinson with the N_{l0} basis vectors as probes, which
 * is exact (Σ_j ‖J e_j‖² = ‖J‖²_F), averaged over the input rows. For small widths.
 */
export async function apjnExact(
  blocks: Block[],
  inputs: JaxArray,
  opts: { l0?: number; dtype?: Dtype } = {},
): Promise<Float64Array> {
  const l0 = requireInteger("l0", opts.l0 ?? 0, 0, blocks.length - 1);
  const prep = await prepare(blocks, inputs, opts.dtype ?? "float32");
  try {
    const { jax } = prep;
    const h = forwardRange(prep, blocks, prep.h0, 0, l0);
    const [B, n0] = h.shape;
    const eye = jax.numpy.eye(n0, undefined, { dtype: prep.dt });
    const t = jax.numpy.broadcastTo(eye.reshape([n0, 1, n0]), [n0, B, n0]);
    const r = await sweepForward(prep, blocks, l0, h, t, {
      flushEvery: 32,
      blocksPerStep: 8,
      renormalise: true,
    });
    // The mean over n0 basis probes of ‖J e_j‖² is ‖J‖²_F / n0: undo the 1/n0.
    return r.logJ.map((v) => v + Math.log(n0));
  } finally {
    release(prep);
  }
}
