/**
 * Curvature of the training loss L(θ) = objective(model)(θ, x, y): Hessian-vector products
 * H v = ∇_θ ⟨∇L(θ), v⟩ by reverse-over-forward (jax.grad of the jax.jvp directional derivative,
 * one pass costing about two gradients), and the top eigenvalues of H ("sharpness") by power
 * iteration and by Lanczos with full reorthogonalization.
 *
 * Reverse-over-forward rather than JAX's usual forward-over-reverse (jvp of grad): both give the
 * same H v (to 6e-8 on the bench model), but jax-js 0.1.25's jit of jvp-of-grad ran 7–10× slower
 * (≈ 1 s vs ≈ 0.1 s for a 3 × 512² ReLU MLP on 256 samples; bench/hvp.ts).
 *
 * Vectors are flat Float64Array over the parameter leaves in `jax.tree.flatten` order, so the
 * eigen-solvers are plain JS; the HVP itself runs in the model's dtype (float32: one jit'ed
 * function per operator; float64: eagerly — jit of nested transforms in float64 gives wrong values
 * in jax-js 0.1.25, see `jitUnlessF64`).
 */
import { dot, norm2 } from "../convex/linalg.js";
import { requireInteger, requireNumber } from "../errors.js";
import { type JaxArray, jitUnlessF64, loadJax, readF64, refTree } from "../nets/jax.js";
import type { JaxParams } from "../nets/layers/index.js";
import { type Model, objective } from "../nets/model.js";
import { Rng } from "../rng.js";
import { type SymmetricEigen, symmetricEigen } from "../theory/eigen.js";

/** A (borrowed) batch: inputs x [B, inputDim], targets y [B, outputDim] in the model's dtype. */
export interface Batch {
  x: JaxArray;
  y: JaxArray;
}

/** v ↦ H v at fixed (params, batch), on flat vectors; counts its products. */
export interface HessianOperator {
  /** number of parameters */
  readonly size: number;
  /** HVPs done so far */
  readonly count: number;
  apply(v: Float64Array): Promise<Float64Array>;
  /** the gradient ∇L at the parameters, flat */
  gradient(): Promise<Float64Array>;
  dispose(): void;
}

/** Flat view of a pytree of arrays: sizes, shapes and the two conversions. */
export async function flatParams(params: JaxParams) {
  const jax = await loadJax();
  const [leaves, def] = jax.tree.flatten(params as never) as [JaxArray[], unknown];
  const shapes = leaves.map((l) => l.shape as number[]);
  const sizes = leaves.map((l) => l.size);
  const dtype = leaves[0]!.dtype;
  const size = sizes.reduce((a, b) => a + b, 0);
  return {
    size,
    /** the flat Float64Array of a tree shaped like params (consumes the tree) */
    async toFlat(tree: JaxParams): Promise<Float64Array> {
      const ls = jax.tree.leaves(tree as never) as JaxArray[];
      const out = new Float64Array(size);
      let off = 0;
      for (const l of ls) {
        out.set(await readF64(l), off);
        off += l.size;
      }
      return out;
    },
    /** a tree shaped like params, in their dtype, from a flat vector */
    fromFlat(v: Float64Array): JaxParams {
      let off = 0;
      const ls = shapes.map((shape, i) => {
        const part = v.subarray(off, off + sizes[i]!);
        off += sizes[i]!;
        const data = dtype === "float64" ? Float64Array.from(part) : Float32Array.from(part);
        return jax.numpy.array(data, { shape, dtype: dtype as never });
      });
      return jax.tree.unflatten(def as never, ls) as JaxParams;
    },
  };
}

/** The compiled HVP and gradient of a model's training loss, for operators at any parameters. */
export interface CompiledHessian {
  /** H at (params, batch) as an operator (borrows both; its `dispose` is a no-op: dispose this) */
  at(params: JaxParams, batch: Batch): Promise<HessianOperator>;
  dispose(): void;
}

/**
 * Compiles (float32: jit; float64: eager) the HVP and the gradient of the model's mean training
 * loss once, so tracking the sharpness along a run does not recompile at every measurement.
 */
export async function compileHessian(model: Model): Promise<CompiledHessian> {
  const jax = await loadJax();
  const loss = objective(model);
  const hvp = jitUnlessF64(
    jax,
    (p: JaxParams, t: JaxParams, x: JaxArray, y: JaxArray) =>
      jax.grad((q: JaxParams) => jax.jvp((r: JaxParams) => loss(r, x, y), [q], [t])[1])(p),
    model.dtype,
  );
  const grad = jitUnlessF64(
    jax,
    (p: JaxParams, x: JaxArray, y: JaxArray) => jax.grad(loss)(p, x, y),
    model.dtype,
  );
  return {
    async at(params, batch) {
      const flat = await flatParams(params);
      let count = 0;
      return {
        size: flat.size,
        get count() {
          return count;
        },
        async apply(v) {
          if (v.length !== flat.size)
            throw new RangeError(`vector has ${v.length} entries, expected ${flat.size}`);
          const hv = hvp(refTree(jax, params), flat.fromFlat(v), batch.x.ref, batch.y.ref);
          count++;
          return flat.toFlat(hv as JaxParams);
        },
        async gradient() {
          return flat.toFlat(grad(refTree(jax, params), batch.x.ref, batch.y.ref) as JaxParams);
        },
        dispose: () => {},
      };
    },
    dispose: () => {
      hvp.dispose();
      grad.dispose();
    },
  };
}

/**
 * The Hessian of the model's mean training loss on `batch` at `params` as an operator (borrows
 * params and batch; `dispose` frees the compiled HVP). For many parameter points, `compileHessian`.
 */
export async function hessianOperator(
  model: Model,
  params: JaxParams,
  batch: Batch,
): Promise<HessianOperator> {
  const compiled = await compileHessian(model);
  const op = await compiled.at(params, batch);
  return {
    ...op,
    get count() {
      return op.count;
    },
    dispose: () => compiled.dispose(),
  };
}

export interface EigenOptions {
  /** stop when the relative change / residual estimate is below this (default 1e-3) */
  tol?: number;
  /** most HVPs (default 100) */
  maxIter?: number;
  /** seed of the start vector (default 0) */
  seed?: number;
}

export interface TopEigen {
  /** eigenvalue estimates, descending */
  values: number[];
  /** unit eigenvector estimates (flat), aligned with values */
  vectors: Float64Array[];
  /** HVPs used */
  hvps: number;
  converged: boolean;
}

/** A unit vector of normals from `seed`. */
function startVector(n: number, seed: number): Float64Array {
  const v = new Rng(seed).normals(n);
  const s = 1 / norm2(v);
  return v.map((x) => x * s);
}

/**
 * Power iteration for the eigenvalue of largest magnitude: λ = vᵀHv, v ← Hv/‖Hv‖, stopping when
 * the residual ‖Hv − λv‖ = √(‖Hv‖² − λ²) is ≤ tol·|λ| — the same test as `lanczos`, so both
 * answers carry the same guarantee (some eigenvalue lies within ‖Hv − λv‖ of λ). (For a Hessian
 * with a large negative eigenvalue this finds that one; Lanczos gives the algebraically largest.)
 * Converges at rate |λ₂/λ₁| per HVP.
 */
export async function powerIteration(
  op: HessianOperator,
  opts: EigenOptions = {},
): Promise<TopEigen> {
  const { tol, maxIter, seed } = eigenOptions(opts);
  let v = startVector(op.size, seed);
  let lambda = Number.NaN;
  for (let k = 1; k <= maxIter; k++) {
    const hv = await op.apply(v);
    lambda = dot(v, hv);
    const nrm = norm2(hv);
    if (nrm === 0) return { values: [0], vectors: [v], hvps: k, converged: true };
    if (Math.sqrt(Math.max(0, nrm * nrm - lambda * lambda)) <= tol * Math.abs(lambda))
      return { values: [lambda], vectors: [v], hvps: k, converged: true };
    v = hv.map((x) => x / nrm);
  }
  return { values: [lambda], vectors: [v], hvps: maxIter, converged: false };
}

/**
 * The k algebraically largest eigenvalues by Lanczos with full reorthogonalization (Golub & Van
 * Loan §10.1): Krylov basis q₁ … q_m, tridiagonal T_m = Qᵀ H Q (α on the diagonal, β off it),
 * each new vector Gram–Schmidt'ed twice against all previous ones. Ritz pair (θ_i, Q s_i) has
 * residual ‖H Q s_i − θ_i Q s_i‖ = β_m |s_i[m]|; stop when that is ≤ tol·|θ_i| for the top k.
 */
export async function lanczos(
  op: HessianOperator,
  opts: EigenOptions & { k?: number } = {},
): Promise<TopEigen> {
  const { tol, maxIter, seed } = eigenOptions(opts);
  const k = requireInteger("k", opts.k ?? 1, 1, op.size);
  const m = Math.min(maxIter, op.size);
  const basis: Float64Array[] = [startVector(op.size, seed)];
  const alpha: number[] = [];
  const beta: number[] = [];
  let ritz: SymmetricEigen;
  for (let j = 0; j < m; j++) {
    const q = basis[j]!;
    const w = await op.apply(q);
    alpha.push(dot(q, w));
    for (let pass = 0; pass < 2; pass++)
      for (const b of basis) {
        const c = dot(b, w);
        for (let i = 0; i < w.length; i++) w[i]! -= c * b[i]!;
      }
    const bj = norm2(w);
    const size = j + 1;
    const t = new Float64Array(size * size);
    for (let i = 0; i < size; i++) {
      t[i * size + i] = alpha[i]!;
      if (i + 1 < size) t[i * size + i + 1] = t[(i + 1) * size + i] = beta[i]!;
    }
    ritz = symmetricEigen(t, size);
    const done =
      size >= k &&
      Array.from({ length: k }, (_, i) => i).every(
        (i) => bj * Math.abs(ritz.vectors[i * size + size - 1]!) <= tol * Math.abs(ritz.values[i]!),
      );
    // an invariant subspace (β = 0, to rounding) has exact Ritz values
    if (done || bj <= 1e-14 * Math.abs(ritz.values[0]!) || size === m) {
      const top = Math.min(k, size);
      const vectors = Array.from({ length: top }, (_, i) => {
        const x = new Float64Array(op.size);
        for (let l = 0; l < size; l++) {
          const s = ritz.vectors[i * size + l]!;
          const b = basis[l]!;
          for (let r = 0; r < x.length; r++) x[r]! += s * b[r]!;
        }
        return x;
      });
      return {
        values: Array.from(ritz.values.subarray(0, top)),
        vectors,
        hvps: size,
        converged: done || bj <= 1e-14 * Math.abs(ritz.values[0]!) || size === op.size,
      };
    }
    beta.push(bj);
    basis.push(w.map((x) => x / bj));
  }
  throw new Error("unreachable: lanczos returns by the last iteration");
}

function eigenOptions(o: EigenOptions) {
  return {
    tol: requireNumber("tol", o.tol ?? 1e-3, (v) => v > 0 && v < 1, "in (0, 1)"),
    maxIter: requireInteger("maxIter", o.maxIter ?? 100, 1, 1_000_000),
    seed: requireInteger("seed", o.seed ?? 0, 0, 2 ** 32 - 1),
  };
}

/**
 * The operator v ↦ σv − Hv on the same parameters: its algebraically largest eigenvalue is
 * σ − λ_min(H), so `lanczos` on it finds the bottom of H's spectrum. With σ ≥ λ_max the stopping
 * test is relative to σ − λ_min (the spectral spread) instead of to |λ_min|, which is often near 0.
 */
export function shiftedNegation(op: HessianOperator, sigma: number): HessianOperator {
  return {
    size: op.size,
    get count() {
      return op.count;
    },
    async apply(v) {
      const hv = await op.apply(v);
      for (let i = 0; i < hv.length; i++) hv[i] = sigma * v[i]! - hv[i]!;
      return hv;
    },
    gradient: () => op.gradient(),
    dispose: () => op.dispose(),
  };
}

/** Both ends of the spectrum of H. */
export interface SpectrumEnds {
  lambdaMin: number;
  lambdaMax: number;
  /** HVPs used by both Lanczos runs */
  hvps: number;
  converged: boolean;
}

/**
 * λ_max(H) by `lanczos`, then λ_min(H) = σ − (top eigenvalue of σI − H) with σ = max(λ_max, 0)
 * by `lanczos` on `shiftedNegation` (both with `opts`).
 */
export async function spectrumEnds(
  op: HessianOperator,
  opts: EigenOptions = {},
): Promise<SpectrumEnds> {
  const top = await lanczos(op, opts);
  const lambdaMax = top.values[0]!;
  const sigma = Math.max(lambdaMax, 0);
  const bottom = await lanczos(shiftedNegation(op, sigma), opts);
  return {
    lambdaMin: Math.min(sigma - bottom.values[0]!, lambdaMax),
    lambdaMax,
    hvps: top.hvps + bottom.hvps,
    converged: top.converged && bottom.converged,
  };
}
