/**
 * Kernel predictions (as neural-tangents' predict): the GP posterior of the NNGP and the mean
 * output of an infinitely wide network trained by gradient flow on the MSE loss
 * L = (1/(n·K)) Σ ½ (f − y)² (critkit's mse), whose outputs follow the NTK ODE
 *   df/dt = −(η/(n·K)) Θ (f − y)   ⇒   f_train(t) = (I − e^{−η t Θ/(nK)}) Y,
 *   f_test(t) = Θ*X Θ⁻¹ (I − e^{−η t Θ/(nK)}) Y,   f_test(∞) = Θ*X Θ⁻¹ Y
 * (mean over initializations: f₀ = 0). Matrices are row-major Float64Array.
 */
import { cholesky, cholSolve, matrix } from "../convex/linalg.js";

/** Eigen-decomposition of a symmetric n × n matrix by cyclic Jacobi rotations: A = V diag(λ) Vᵀ. */
export function symmetricEigen(
  a: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const tau = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!;
          const vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => A[i * n + i]!), vectors: V };
}

/**
 * Mean outputs [m × K] on test points after gradient flow for time t (Infinity: converged) with
 * learning rate η: NTK Θ [n × n] on the training inputs, Θ*X [m × n], targets Y [n × K].
 */
export function gradientDescentMse(
  ntkTrain: Float64Array,
  ntkTestTrain: Float64Array,
  y: Float64Array,
  n: number,
  k: number,
  t: number,
  lr = 1,
): Float64Array {
  const m = ntkTestTrain.length / n;
  const { values, vectors: V } = symmetricEigen(ntkTrain, n);
  const c = (lr * t) / (n * k);
  // Θ⁻¹(I − e^{−cΘ}) = V diag(g(λ)) Vᵀ, g(λ) = (1 − e^{−cλ})/λ → c as λ → 0 (t = ∞: 1/λ)
  const g = values.map((l) => (t === Infinity ? 1 / l : l > 1e-300 ? -Math.expm1(-c * l) / l : c));
  const alpha = new Float64Array(n * k); // V diag(g) Vᵀ Y
  for (let j = 0; j < n; j++) {
    for (let col = 0; col < k; col++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += V[i * n + j]! * y[i * k + col]!;
      s *= g[j]!;
      for (let i = 0; i < n; i++) alpha[i * k + col] += V[i * n + j]! * s;
    }
  }
  const out = new Float64Array(m * k);
  for (let r = 0; r < m; r++)
    for (let col = 0; col < k; col++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += ntkTestTrain[r * n + i]! * alpha[i * k + col]!;
      out[r * k + col] = s;
    }
  return out;
}

/**
 * GP posterior of a kernel K with observation noise σ²: mean K*X (K + σ²I)⁻¹ Y [m × K] and the
 * variances K** − K*X (K + σ²I)⁻¹ KX* of each test point (`kTestDiag`: K(x*, x*)).
 */
export function gpPosterior(
  kTrain: Float64Array,
  kTestTrain: Float64Array,
  kTestDiag: Float64Array,
  y: Float64Array,
  n: number,
  k: number,
  noise = 0,
): { mean: Float64Array; variance: Float64Array } {
  const m = kTestTrain.length / n;
  const reg = Float64Array.from(kTrain);
  for (let i = 0; i < n; i++) reg[i * n + i] += noise;
  const L = cholesky(matrix(n, n, reg));
  const mean = new Float64Array(m * k);
  for (let col = 0; col < k; col++) {
    const a = cholSolve(
      L,
      Float64Array.from({ length: n }, (_, i) => y[i * k + col]!),
    );
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += kTestTrain[r * n + i]! * a[i]!;
      mean[r * k + col] = s;
    }
  }
  const variance = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const row = kTestTrain.slice(r * n, r * n + n);
    const w = cholSolve(L, Float64Array.from(row));
    variance[r] = kTestDiag[r]! - row.reduce((s, v, i) => s + v * w[i]!, 0);
  }
  return { mean, variance };
}
