/**
 * Empirical NTK of any model: Θ(x_a, x_b)_{kl} = Σ_θ ∂f_k(x_a)/∂θ ∂f_l(x_b)/∂θ = J(x_a) J(x_b)ᵀ.
 *
 * Two ways, the same numbers (test/ntk/empirical.test.ts, 1e-10 in float64):
 * - `structuredNtk`, for dense stacks (an input dense layer, then blocks φ → dense, standard or
 *   NTK parametrization): no Jacobian is formed. Dense layer l computes y = c_w A Wᵀ + c_b b from
 *   its input A_l [n, N_in] (c_w = c_b = 1 standard; c_w² = σ_w²/N_in, c_b² = σ_b² NTK), so its
 *   parameters contribute (G_l^k G_l^{k'ᵀ}) ⊙ (c_w² A_l A_lᵀ + c_b²) with G_l^k = ∂f_k/∂y_l [n, N_out]
 *   the cotangent of output k at the layer (one batched backward pass per output k):
 *     Θ_{kk'} = Σ_l (G_l^k G_l^{k'ᵀ}) ⊙ (c_w,l² A_l A_lᵀ + c_b,l²)
 *   (neural-tangents' "structured derivatives" for Dense). Cost: K backward passes and O(K² L n² N).
 * - `parameterJacobian` for every other model: one reverse-mode pass per output row (jax.vjp with
 *   one-hot cotangents) gives row (a, k) of the Jacobian, contracted on the host in float64.
 * Both run eagerly (float64 autodiff cannot be jit'ed in jax-js).
 */
import type { JaxArray } from "../nets/jax.js";
import { dispose, loadJax, readF64, refTree } from "../nets/jax.js";
import type { JaxParams } from "../nets/layers/index.js";
import type { Model } from "../nets/model.js";

export interface EmpiricalNtk {
  /** inputs */
  n: number;
  /** outputs per input */
  k: number;
  /** per-output Θ[a, k, b, l], row-major [n, k, n, k] */
  perOutput: Float64Array;
  /** traced Θ[a, b] = (1/K) Σ_k Θ[a, k, b, k], row-major [n, n] (comparable to the infinite-width Θ of one unit) */
  traced: Float64Array;
}

/** The Jacobian rows of f(x) w.r.t. all parameters, [n·k][P] on the host. Borrows params and x. */
export async function parameterJacobian(
  model: Model,
  params: JaxParams,
  x: JaxArray,
): Promise<Float64Array[]> {
  const jax = await loadJax();
  const np = jax.numpy;
  const [n, k] = [x.shape[0]!, model.outputDim];
  const [out, back] = jax.vjp(
    (p: JaxParams) => model.apply(p, x.ref),
    [refTree(jax, params)],
  ) as unknown as [JaxArray, ((g: JaxArray) => unknown) & { dispose(): void }];
  out.dispose();
  const rows: Float64Array[] = [];
  for (let r = 0; r < n * k; r++) {
    const e = model.dtype === "float64" ? new Float64Array(n * k) : new Float32Array(n * k);
    e[r] = 1;
    const [g] = back(np.array(e, { shape: [n, k], dtype: np[model.dtype] })) as [JaxParams];
    const leaves = jax.tree.leaves(g as never) as unknown as JaxArray[];
    const parts: ArrayLike<number>[] = await Promise.all(leaves.map((l) => l.data()));
    const size = parts.reduce((s, p) => s + p.length, 0);
    const row = new Float64Array(size);
    let o = 0;
    for (const p of parts) {
      row.set(Float64Array.from(p), o);
      o += p.length;
    }
    rows.push(row);
  }
  back.dispose();
  return rows;
}

/** Θ = J Jᵀ of `model` at `params` on inputs x [n, inputDim]. Borrows params and x. */
export async function empiricalNtk(
  model: Model,
  params: JaxParams,
  x: JaxArray,
): Promise<EmpiricalNtk> {
  return (await structuredNtk(model, params, x)) ?? jacobianNtk(model, params, x);
}

/** Θ = J Jᵀ from the explicit Jacobian rows (any model). Borrows params and x. */
export async function jacobianNtk(
  model: Model,
  params: JaxParams,
  x: JaxArray,
): Promise<EmpiricalNtk> {
  const rows = await parameterJacobian(model, params, x);
  const n = x.shape[0]!;
  const k = model.outputDim;
  const m = n * k;
  const perOutput = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      const a = rows[i]!;
      const b = rows[j]!;
      let s = 0;
      for (let p = 0; p < a.length; p++) s += a[p]! * b[p]!;
      perOutput[i * m + j] = s;
      perOutput[j * m + i] = s;
    }
  }
  return { n, k, perOutput, traced: tracedNtk(perOutput, n, k) };
}

/** Θ[a, b] = (1/K) Σ_k Θ[a, k, b, k] of a per-output Θ [n, K, n, K]. */
function tracedNtk(perOutput: Float64Array, n: number, k: number): Float64Array {
  const m = n * k;
  const traced = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += perOutput[(a * k + c) * m + b * k + c]!;
      traced[a * n + b] = s / k;
    }
  return traced;
}

/**
 * (c_w², c_b²) of a dense layer from its key (`dense`: standard, `dense-ntk(σ_w²,σ_b²)`: NTK), or
 * null for anything else.
 */
function denseScales(key: string, nIn: number): [number, number] | null {
  if (key === "dense") return [1, 1];
  const m = /^dense-ntk\(([^,]+),([^)]+)\)$/.exec(key);
  return m ? [Number(m[1]) / nIn, Number(m[2])] : null;
}

/**
 * The empirical NTK of a dense stack by per-layer structured products (module comment), or null
 * when `model` is not one: its first block must be a dense layer and every later block a
 * `serial` of an activation and a dense layer. Borrows params and x.
 */
export async function structuredNtk(
  model: Model,
  params: JaxParams,
  x: JaxArray,
): Promise<EmpiricalNtk | null> {
  const blocks = model.architecture.blocks;
  // per block: the activation before its dense layer (none for the first) and the dense layer
  const split = blocks.map((b, l) =>
    l === 0 ? { phi: undefined, fc: b } : { phi: b.parts?.[0], fc: b.parts?.[1] },
  );
  const isStack = split.every(
    ({ phi, fc }, l) =>
      fc !== undefined &&
      denseScales(fc.key, 1) !== null &&
      (l === 0 || (phi?.key.startsWith("act:") && blocks[l]!.parts!.length === 2)),
  );
  if (!isStack) return null;
  const jax = await loadJax();
  const np = jax.numpy;
  const ps = params as unknown as JaxParams[];
  const [n, K] = [x.shape[0]!, model.outputDim];
  // forward: A_l, the input of each dense layer, and a pullback through each later block
  const inputs: JaxArray[] = [x.ref];
  const pullbacks: Array<((g: JaxArray) => unknown) & { dispose(): void }> = [];
  let h = blocks[0]!.apply(jax, refTree(jax, ps[0]!), x.ref);
  for (let l = 1; l < blocks.length; l++) {
    inputs.push(split[l]!.phi!.apply(jax, [], h.ref));
    const [out, back] = jax.vjp(
      (hIn: JaxArray) => blocks[l]!.apply(jax, refTree(jax, ps[l]!), hIn),
      [h],
    ) as unknown as [JaxArray, ((g: JaxArray) => unknown) & { dispose(): void }];
    pullbacks[l] = back;
    h = out;
  }
  h.dispose();
  // per layer the parameter kernel c_w² A Aᵀ + c_b² [n, n]
  const paramKernels = inputs.map((a, l) => {
    const [cw, cb] = denseScales(split[l]!.fc!.key, a.shape[1]!)!;
    return np.matmul(a.ref, np.transpose(a)).mul(cw).add(cb);
  });
  // cotangents G_l^k = ∂f_k/∂y_l: one backward pass per output k
  const cot: JaxArray[][] = [];
  for (let k = 0; k < K; k++) {
    const e = new (model.dtype === "float64" ? Float64Array : Float32Array)(n * K);
    for (let a = 0; a < n; a++) e[a * K + k] = 1;
    let g = np.array(e, { shape: [n, K], dtype: np[model.dtype] });
    const gs: JaxArray[] = [];
    for (let l = blocks.length - 1; l > 0; l--) {
      gs[l] = g.ref;
      g = (pullbacks[l]!(g) as JaxArray[])[0]!;
    }
    gs[0] = g;
    cot.push(gs);
  }
  for (const b of pullbacks.slice(1)) b.dispose();
  const m = n * K;
  const perOutput = new Float64Array(m * m);
  for (let k = 0; k < K; k++)
    for (let k2 = k; k2 < K; k2++) {
      const terms = blocks.map((_, l) =>
        np.matmul(cot[k]![l]!.ref, np.transpose(cot[k2]![l]!.ref)).mul(paramKernels[l]!.ref),
      );
      const t = await readF64(terms.reduce((s, term) => s.add(term)));
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          perOutput[(a * K + k) * m + b * K + k2] = t[a * n + b]!;
          perOutput[(b * K + k2) * m + a * K + k] = t[a * n + b]!;
        }
    }
  dispose(cot, paramKernels);
  return { n, k: K, perOutput, traced: tracedNtk(perOutput, n, K) };
}
