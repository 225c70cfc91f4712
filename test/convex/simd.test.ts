import { describe, expect, it } from "vitest";
import {
  addCholeskyInverse,
  cholesky,
  cholSolve,
  gram,
  lowerSolve,
  matrix,
  solveRows,
  sumOfScatteredProducts,
  times,
  timesTransposed,
  upperSolve,
} from "../../src/convex/linalg.js";
import { simdKernel } from "../../src/convex/simd.js";
import { Rng } from "../../src/rng.js";

/** Σ_j A[a·lda + j] B[b·ldb + j] summed in increasing j, one rounded product and sum per term. */
function naive(
  A: Float64Array,
  B: Float64Array,
  a: number,
  b: number,
  k: number,
  lda: number,
  ldb: number,
) {
  let v = 0;
  for (let j = 0; j < k; j++) v += A[a * lda + j]! * B[b * ldb + j]!;
  return v;
}

describe("Wasm SIMD product kernel", () => {
  it("compiles in Node (Wasm SIMD is there from Node 16)", () => {
    expect(simdKernel()).toBeDefined();
  });

  it("timesTransposed and times equal a naive running sum bitwise: below and above the Wasm threshold, sizes off the 4 × 4 tiles, strides, lower triangle, memory growth", () => {
    const rng = new Rng(11);
    // [m, r, k, lda − k, ldb − k, stride − r]; 7 × 5 × 9 stays in JavaScript, the rest run in Wasm
    // (130 × 90 × 60 grows its memory past the first 64 KiB page; the last case runs after it).
    for (const [m, r, k, padA, padB, padOut] of [
      [7, 5, 9, 0, 0, 0],
      [33, 37, 50, 0, 0, 0],
      [41, 22, 17, 3, 5, 4],
      [130, 90, 60, 1, 0, 2],
      [4, 3, 700, 0, 2, 1],
    ] as const) {
      const lda = k + padA;
      const ldb = k + padB;
      const stride = r + padOut;
      const A = rng.normals(m * lda);
      const B = rng.normals(r * ldb);
      for (const lower of [false, true]) {
        const out = new Float64Array(m * stride).fill(Number.NaN);
        timesTransposed(A, B, m, r, k, out, lower, stride, lda, ldb);
        for (let a = 0; a < m; a++)
          for (let b = 0; b < (lower ? Math.min(a + 1, r) : r); b++)
            expect(out[a * stride + b]).toBe(naive(A, B, a, b, k, lda, ldb));
        for (let a = 0; a < m; a++)
          for (let b = r; b < stride; b++) expect(out[a * stride + b]).toBeNaN();
      }
      // A M with M = Bᵀ given as its k × r rows (A packed).
      const Ap = rng.normals(m * k);
      const Bp = rng.normals(r * k);
      const M = new Float64Array(k * r);
      for (let b = 0; b < r; b++) for (let j = 0; j < k; j++) M[j * r + b] = Bp[b * k + j]!;
      for (const lower of [false, true]) {
        const out = times(Ap, M, m, k, r, undefined, lower);
        for (let a = 0; a < m; a++)
          for (let b = 0; b < (lower ? Math.min(a + 1, r) : r); b++)
            expect(out[a * r + b]).toBe(naive(Ap, Bp, a, b, k, k, k));
      }
    }
  });

  it("solveRows equals m lowerSolve / upperSolve calls bitwise (JavaScript and Wasm sizes, odd m), and addCholeskyInverse the n cholSolve columns", () => {
    const rng = new Rng(12);
    for (const [n, m] of [
      [6, 3],
      [40, 33],
      [30, 38],
      [65, 65],
    ] as const) {
      const L = cholesky(gram(matrix(2 * n, n, rng.normals(2 * n * n))));
      const Y = rng.normals(n * m);
      for (const upper of [false, true]) {
        const rows = solveRows(L, Float64Array.from(Y), m, upper);
        for (let c = 0; c < m; c++) {
          const col = Float64Array.from({ length: n }, (_, i) => Y[i * m + c]!);
          (upper ? upperSolve : lowerSolve)(L, col);
          for (let i = 0; i < n; i++) expect(rows[i * m + c]).toBe(col[i]);
        }
      }
      const inv = addCholeskyInverse(L, new Float64Array(n * n));
      for (let c = 0; c < n; c++) {
        const e = new Float64Array(n);
        e[c] = 1;
        cholSolve(L, e);
        for (let a = 0; a < n; a++) expect(inv[a * n + c]).toBe(e[a]);
      }
    }
  });

  it("sumOfScatteredProducts: diag + Σ_t A_t B_tᵀ scattered into rows idx_t equals naive running sums added term by term (bitwise), and later products leave the held sum alone", () => {
    const rng = new Rng(13);
    const n = 37;
    const k = 21;
    const diagonal = rng.normals(n).map(Math.abs);
    const terms = [0, 1, 2, 3].map((t) => {
      const idx = Int32Array.from(
        Array.from({ length: n }, (_, i) => i).filter((i) => (i * (t + 3)) % 5 < 3),
      );
      const m = idx.length;
      return { A: rng.normals(m * k), B: rng.normals(m * k), m, idx };
    });
    const want = new Float64Array(n * n);
    for (let i = 0; i < n; i++) want[i * n + i] = diagonal[i]!;
    for (const { A, B, m, idx } of terms)
      for (let a = 0; a < m; a++)
        for (let b = 0; b <= a; b++) want[idx[a]! * n + idx[b]!] += naive(A, B, a, b, k, k, k);
    const S = sumOfScatteredProducts(n, k, diagonal, terms.length, (t) => {
      // a product computed while the sum is held (as the Newton matrix's T = X_A K_i is)
      timesTransposed(
        rng.normals(40 * 30),
        rng.normals(40 * 30),
        40,
        40,
        30,
        new Float64Array(1600),
      );
      return terms[t]!;
    });
    for (let a = 0; a < n; a++)
      for (let b = 0; b <= a; b++) expect(S.data[a * n + b]).toBe(want[a * n + b]);
  });
});
