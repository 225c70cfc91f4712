/**
 * Empirical NTK of any model: Θ(x_a, x_b)_{kl} = Σ_θ ∂f_k(x_a)/∂θ ∂f_l(x_b)/∂θ = J(x_a) J(x_b)ᵀ,
 * from one reverse-mode pass per output row (jax.vjp with one-hot cotangents): row (a, k) of the
 * Jacobian is the parameter gradient of f_k(x_a). Runs eagerly (float64 autodiff cannot be jit'ed
 * in jax-js), with the contraction on the host in float64.
 */
import type { JaxArray } from "../nets/jax.js";
import { loadJax, refTree } from "../nets/jax.js";
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
  const traced = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += perOutput[(a * k + c) * m + b * k + c]!;
      traced[a * n + b] = s / k;
    }
  return { n, k, perOutput, traced };
}
