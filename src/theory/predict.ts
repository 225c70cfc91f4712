/**
 * Kernel predictions (as neural-tangents' predict): the GP posterior of the NNGP and the mean
 * output of an infinitely wide network trained by gradient flow on the MSE loss
 * L = (1/(n·K)) Σ ½ (f − y)² (critkit's mse), whose outputs follow the NTK ODE
 *   df/dt = −(η/(n·K)) Θ (f − y)   ⇒   f_train(t) = (I − e^{−η t Θ/(nK)}) Y,
 *   f_test(t) = Θ*X Θ⁻¹ (I − e^{−η t Θ/(nK)}) Y,   f_test(∞) = Θ*X Θ⁻¹ Y
 * (mean over initializations: f₀ = 0). Matrices are row-major Float64Array.
 */
import { cholesky, cholSolve, matrix } from "../convex/linalg.js";
import { symmetricEigen } from "./eigen.js";

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
  // Θ⁻¹(I − e^{−cΘ}) = Σ_j g(λ_j) v_j v_jᵀ (v_j: row j of V), g(λ) = (1 − e^{−cλ})/λ → c as λ → 0 (t = ∞: 1/λ)
  const g = values.map((l) => (t === Infinity ? 1 / l : l > 1e-300 ? -Math.expm1(-c * l) / l : c));
  const alpha = new Float64Array(n * k); // V diag(g) Vᵀ Y
  for (let j = 0; j < n; j++) {
    for (let col = 0; col < k; col++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += V[j * n + i]! * y[i * k + col]!;
      s *= g[j]!;
      for (let i = 0; i < n; i++) alpha[i * k + col] += V[j * n + i]! * s;
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
