/**
 * Kernel predictions against independent computations: t = ∞ and the GP mean against a direct
 * Gaussian-elimination solve, finite t against explicit Euler integration of the NTK ODE, the
 * Jacobi eigen-decomposition against A V = V Λ.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/rng.js";
import { symmetricEigen } from "../../src/theory/eigen.js";
import { gpPosterior, gradientDescentMse } from "../../src/theory/predict.js";

/** Solves A x = b by Gaussian elimination with partial pivoting (dense, tiny). */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const A = Array.from({ length: n }, (_, i) => [...a.slice(i * n, i * n + n), b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = A[r]![c]! / A[c]![c]!;
      for (let j = c; j <= n; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = A[r]![n]!;
    for (let j = r + 1; j < n; j++) s -= A[r]![j]! * x[j]!;
    x[r] = s / A[r]![r]!;
  }
  return x;
}

/** A random SPD kernel on n + m points (Gram of random features) split train/test. */
function kernel(n: number, m: number) {
  const rng = new Rng(5);
  const d = 12;
  const f = rng.normals((n + m) * d);
  const K = (i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += f[i * d + c]! * f[j * d + c]!;
    return s / d + (i === j ? 0.05 : 0);
  };
  const train = Float64Array.from({ length: n * n }, (_, x) => K(Math.floor(x / n), x % n));
  const testTrain = Float64Array.from({ length: m * n }, (_, x) => K(n + Math.floor(x / n), x % n));
  const testDiag = Float64Array.from({ length: m }, (_, r) => K(n + r, n + r));
  return { train, testTrain, testDiag, y: rng.normals(n) };
}

describe("kernel prediction", () => {
  const n = 6;
  const m = 3;
  const { train, testTrain, testDiag, y } = kernel(n, m);

  it("Jacobi eigen-decomposition: ‖A V − V Λ‖ < 1e-12", () => {
    const { values, vectors: V } = symmetricEigen(train, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += train[i * n + k]! * V[j * n + k]!;
        expect(Math.abs(av - V[j * n + i]! * values[j]!)).toBeLessThan(1e-12);
      }
  });

  it("t = ∞ and the noiseless GP mean equal Θ*X Θ⁻¹ Y by elimination (1e-10)", () => {
    const a = solve(train, y, n);
    const inf = gradientDescentMse(train, testTrain, y, n, 1, Infinity);
    const gp = gpPosterior(train, testTrain, testDiag, y, n, 1, 0);
    for (let r = 0; r < m; r++) {
      const want = a.reduce((s, v, i) => s + testTrain[r * n + i]! * v, 0);
      expect(Math.abs(inf[r]! - want)).toBeLessThan(1e-10 * (1 + Math.abs(want)));
      expect(Math.abs(gp.mean[r]! - want)).toBeLessThan(1e-10 * (1 + Math.abs(want)));
    }
    // variance at a training point is 0
    const self = gpPosterior(train, train.slice(0, n), Float64Array.of(train[0]!), y, n, 1, 0);
    expect(Math.abs(self.variance[0]!)).toBeLessThan(1e-10);
  });

  it("finite t equals Euler integration of df/dt = −(η/n) Θ (f − y) (1e-4)", () => {
    const [t, lr, dt] = [7, 2, 1e-4];
    let fTrain = new Float64Array(n);
    const fTest = new Float64Array(m);
    for (let s = 0; s < t / dt; s++) {
      const r = fTrain.map((v, i) => v - y[i]!);
      const step = (row: (i: number) => number) =>
        (-lr / n) * dt * r.reduce((acc, v, i) => acc + row(i) * v, 0);
      for (let q = 0; q < m; q++) fTest[q] += step((i) => testTrain[q * n + i]!);
      fTrain = fTrain.map((v, p) => v + step((i) => train[p * n + i]!));
    }
    const got = gradientDescentMse(train, testTrain, y, n, 1, t, lr);
    const gotTrain = gradientDescentMse(train, train, y, n, 1, t, lr);
    for (let q = 0; q < m; q++) expect(Math.abs(got[q]! - fTest[q]!)).toBeLessThan(1e-4);
    for (let p = 0; p < n; p++) expect(Math.abs(gotTrain[p]! - fTrain[p]!)).toBeLessThan(1e-4);
  });
});
