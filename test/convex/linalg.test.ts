import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addCholeskyInverse,
  cholesky,
  cholSolve,
  cholSolver,
  gram,
  lowerSolve,
  matrix,
  timesX,
  timesXt,
  upperSolve,
} from "../../src/convex/linalg.js";
import { Rng } from "../../src/rng.js";

describe("linalg", () => {
  it("Cholesky solve of XᵀX + I has a tiny residual", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.nat(),
        (d, n, seed) => {
          const rng = new Rng(seed);
          const X = matrix(n, d, rng.normals(n * d));
          const A = gram(X);
          for (let j = 0; j < d; j++) A.data[j * d + j] += 1;
          const b = rng.normals(d);
          const x = cholSolve(cholesky(A), Float64Array.from(b));
          for (let i = 0; i < d; i++) {
            let r = -b[i]!;
            for (let j = 0; j < d; j++) r += A.data[i * d + j]! * x[j]!;
            expect(Math.abs(r)).toBeLessThan(1e-9 * (1 + Math.abs(b[i]!)));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("timesXt and timesX match naive triple loops, narrow (d < 16) and tiled (d ≥ 16, remainder columns), unrolled and remainder groups; timesX is timesXt's adjoint", () => {
    const rng = new Rng(3);
    const n = 7;
    for (const d of [4, 18])
      for (const k of [1, 3, 4, 9]) {
        const X = matrix(n, d, rng.normals(n * d));
        const U = rng.normals(k * d);
        const R = rng.normals(k * n);
        R[2] = 0; // a masked residual
        const XU = timesXt(X, U, k);
        const RX = timesX(X, R, k);
        for (let g = 0; g < k; g++) {
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = 0; j < d; j++) s += X.data[i * d + j]! * U[g * d + j]!;
            expect(XU[g * n + i]).toBeCloseTo(s, 12);
          }
          for (let j = 0; j < d; j++) {
            let s = 0;
            for (let i = 0; i < n; i++) s += R[g * n + i]! * X.data[i * d + j]!;
            expect(RX[g * d + j]).toBeCloseTo(s, 12);
          }
        }
        const a = XU.reduce((s, v, i) => s + v * R[i]!, 0);
        const b = RX.reduce((s, v, i) => s + v * U[i]!, 0);
        expect(a).toBeCloseTo(b, 10);
      }
  });

  it("gram: Xᵀ diag(w) X equals a naive sum over rows (four-row passes and the remainder, zero weights)", () => {
    const rng = new Rng(5);
    for (const n of [1, 3, 4, 7, 10]) {
      const d = 3;
      const X = matrix(n, d, rng.normals(n * d));
      const w = rng.normals(n).map((v, i) => (i % 3 === 1 ? 0 : Math.abs(v)));
      const G = gram(X, w);
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += w[k]! * X.data[k * d + a]! * X.data[k * d + b]!;
          expect(G.data[a * d + b]).toBeCloseTo(s, 12);
        }
    }
  });

  it("lowerSolve and upperSolve invert L and Lᵀ of a Cholesky factor (on an offset slice)", () => {
    const rng = new Rng(6);
    const A = gram(matrix(8, 4, rng.normals(32)));
    const L = cholesky(A);
    const x = rng.normals(4);
    const b = new Float64Array(6);
    for (let i = 0; i < 4; i++) for (let j = 0; j <= i; j++) b[2 + i] += L.data[i * 4 + j]! * x[j]!;
    lowerSolve(L, b, 2);
    for (let i = 0; i < 4; i++) expect(b[2 + i]).toBeCloseTo(x[i]!, 12);
    const c = new Float64Array(4);
    for (let i = 0; i < 4; i++) for (let j = i; j < 4; j++) c[i] += L.data[j * 4 + i]! * x[j]!;
    upperSolve(L, c);
    for (let i = 0; i < 4; i++) expect(c[i]).toBeCloseTo(x[i]!, 12);
  });

  it("addCholeskyInverse adds exactly the n cholSolve columns (bitwise), and A times it is I", () => {
    const rng = new Rng(8);
    const n = 9;
    const A = gram(matrix(20, n, rng.normals(20 * n)));
    const L = cholesky(A);
    const base = rng.normals(2 + n * n);
    const out = addCholeskyInverse(L, Float64Array.from(base), 2);
    for (let c = 0; c < n; c++) {
      const e = new Float64Array(n);
      e[c] = 1;
      cholSolve(L, e);
      for (let a = 0; a < n; a++) expect(out[2 + a * n + c]).toBe(base[2 + a * n + c]! + e[a]!);
    }
    for (let a = 0; a < n; a++)
      for (let c = 0; c < n; c++) {
        let v = 0;
        for (let j = 0; j < n; j++)
          v += A.data[a * n + j]! * (out[2 + j * n + c]! - base[2 + j * n + c]!);
        expect(v).toBeCloseTo(a === c ? 1 : 0, 9);
      }
    expect(out[0]).toBe(base[0]);
    expect(out[1]).toBe(base[1]);
  });

  it("cholSolver (Lᵀ stored once) returns cholSolve's solution bitwise, solve after solve", () => {
    const rng = new Rng(9);
    const n = 37;
    const L = cholesky(gram(matrix(60, n, rng.normals(60 * n))));
    const solve = cholSolver(L);
    for (let t = 0; t < 3; t++) {
      const b = rng.normals(n);
      const want = cholSolve(L, Float64Array.from(b));
      const got = solve(Float64Array.from(b));
      for (let i = 0; i < n; i++) expect(got[i]).toBe(want[i]);
    }
  });

  it("cholesky by column blocks equals the column-by-column factor (n across block edges), guard included", () => {
    const rng = new Rng(8);
    for (const n of [31, 32, 33, 97, 130]) {
      const A = gram(matrix(n + 5, n, rng.normals((n + 5) * n)));
      for (let j = 0; j < n; j++) A.data[j * n + j] += 0.1;
      const L = cholesky(A);
      // reference: the textbook recurrence, one entry at a time
      const R = new Float64Array(n * n);
      for (let j = 0; j < n; j++) {
        let s = A.data[j * n + j]!;
        for (let k = 0; k < j; k++) s -= R[j * n + k]! ** 2;
        R[j * n + j] = Math.sqrt(s);
        for (let i = j + 1; i < n; i++) {
          let t = A.data[i * n + j]!;
          for (let k = 0; k < j; k++) t -= R[i * n + k]! * R[j * n + k]!;
          R[i * n + j] = t / R[j * n + j]!;
        }
      }
      let worst = 0;
      for (let k = 0; k < n * n; k++) worst = Math.max(worst, Math.abs(L.data[k]! - R[k]!));
      expect(worst).toBeLessThan(1e-9);
    }
    // a singular matrix of rank 40 < 70: the guard raises the lost pivots instead of throwing
    const B = gram(matrix(40, 70, rng.normals(40 * 70)));
    expect(() => cholesky(B)).toThrow(/positive definite/);
    const G = cholesky(B, 1e-14);
    expect(G.data.every(Number.isFinite)).toBe(true);
  });

  it("rejects a matrix that is not positive definite", () => {
    expect(() => cholesky(matrix(2, 2, Float64Array.of(1, 2, 2, 1)))).toThrow(/positive definite/);
  });
});
