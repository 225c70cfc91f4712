import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cholesky, cholSolve, gram, matrix, timesX, timesXt } from "../../src/convex/linalg.js";
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

  it("timesXt matches a naive triple loop, and timesX is its adjoint: ⟨R, U Xᵀ⟩ = ⟨R X, U⟩ (unrolled and remainder groups)", () => {
    const rng = new Rng(3);
    const X = matrix(7, 4, rng.normals(28));
    for (const k of [1, 3, 4, 9]) {
      const U = rng.normals(k * 4);
      const R = rng.normals(k * 7);
      const XU = timesXt(X, U, k);
      for (let g = 0; g < k; g++)
        for (let i = 0; i < 7; i++) {
          let s = 0;
          for (let j = 0; j < 4; j++) s += X.data[i * 4 + j]! * U[g * 4 + j]!;
          expect(XU[g * 7 + i]).toBeCloseTo(s, 12);
        }
      const a = XU.reduce((s, v, i) => s + v * R[i]!, 0);
      const b = timesX(X, R, k).reduce((s, v, i) => s + v * U[i]!, 0);
      expect(a).toBeCloseTo(b, 10);
    }
  });

  it("rejects a matrix that is not positive definite", () => {
    expect(() => cholesky(matrix(2, 2, Float64Array.of(1, 2, 2, 1)))).toThrow(/positive definite/);
  });
});
