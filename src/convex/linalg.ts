/**
 * Dense linear algebra on plain Float64Array, row-major. Only what the convex solvers need:
 * dot products, the products X·Uᵀ and Xᵀ·R with a data matrix, and a Cholesky factorization.
 */

import { type SimdKernel, simdKernel } from "./simd.js";

/** A row-major matrix: entry (i, j) is at data[i * cols + j]. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(
  rows: number,
  cols: number,
  data: Float64Array = new Float64Array(rows * cols),
): Matrix {
  return { rows, cols, data };
}

export function dot(a: Float64Array, b: Float64Array, aOff = 0, bOff = 0, len = a.length): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[aOff + i]! * b[bOff + i]!;
  return s;
}

/** ‖a‖₂ of the slice a[off, off+len). */
export function norm2(a: Float64Array, off = 0, len = a.length - off): number {
  return Math.sqrt(dot(a, a, off, off, len));
}

/**
 * out (k × n, row-major) = U · Xᵀ, i.e. out[g, i] = x_i · u_g, for U with k rows of length d
 * stored contiguously (u_g = U[g*d .. g*d+d)). One row of `out` is X u_g. From d = 16 by
 * `timesTransposed`'s 4 × 4 tiles (n = 1000, d = 50, k = 80: 2.26 ms, was 2.75); narrower rows
 * (iris: d = 5, where the tiles' edges cost 4×) with four groups sharing each pass over a row of X.
 * Both sum each entry in the same order.
 */
export function timesXt(
  X: Matrix,
  U: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(k * X.rows),
): Float64Array {
  if (X.cols >= 16) return timesTransposed(U, X.data, k, X.rows, X.cols, out);
  const { rows: n, cols: d, data: x } = X;
  let g = 0;
  for (; g + 4 <= k; g += 4) {
    const u0 = g * d;
    const u1 = u0 + d;
    const u2 = u1 + d;
    const u3 = u2 + d;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < d; j++) {
        const xv = x[xo + j]!;
        s0 += xv * U[u0 + j]!;
        s1 += xv * U[u1 + j]!;
        s2 += xv * U[u2 + j]!;
        s3 += xv * U[u3 + j]!;
      }
      out[g * n + i] = s0;
      out[(g + 1) * n + i] = s1;
      out[(g + 2) * n + i] = s2;
      out[(g + 3) * n + i] = s3;
    }
  }
  for (; g < k; g++) {
    const uo = g * d;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += x[xo + j]! * U[uo + j]!;
      out[g * n + i] = s;
    }
  }
  return out;
}

/**
 * out (k × d) = R · X, i.e. out[g, :] = Xᵀ r_g for R with k rows of length n. From d = 16 it is
 * `times` (4 × 4 tiles, R X with X's rows as they are); narrower rows
 * with four groups per pass over X, skipping rows where all four are 0 (masked residuals). Both sum
 * each entry in the same order.
 */
export function timesX(
  X: Matrix,
  R: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(k * X.cols),
): Float64Array {
  if (X.cols >= 16) return times(R, X.data, k, X.rows, X.cols, out);
  return narrowTimesX(X, R, k, out);
}

/** `timesX` for d < 16. */
function narrowTimesX(X: Matrix, R: Float64Array, k: number, out: Float64Array): Float64Array {
  const { rows: n, cols: d, data: x } = X;
  out.fill(0, 0, k * d);
  let g = 0;
  for (; g + 4 <= k; g += 4) {
    const o0 = g * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    for (let i = 0; i < n; i++) {
      const r0 = R[g * n + i]!;
      const r1 = R[(g + 1) * n + i]!;
      const r2 = R[(g + 2) * n + i]!;
      const r3 = R[(g + 3) * n + i]!;
      if (r0 === 0 && r1 === 0 && r2 === 0 && r3 === 0) continue;
      const xo = i * d;
      for (let j = 0; j < d; j++) {
        const xv = x[xo + j]!;
        out[o0 + j] += r0 * xv;
        out[o1 + j] += r1 * xv;
        out[o2 + j] += r2 * xv;
        out[o3 + j] += r3 * xv;
      }
    }
  }
  for (; g < k; g++) {
    const oo = g * d;
    for (let i = 0; i < n; i++) {
      const r = R[g * n + i]!;
      if (r === 0) continue;
      const xo = i * d;
      for (let j = 0; j < d; j++) out[oo + j] += r * x[xo + j]!;
    }
  }
  return out;
}

/** Xᵀ as a row-major d × n matrix. */
export function transpose(X: Matrix): Matrix {
  const { rows: n, cols: d, data: x } = X;
  const out = matrix(d, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out.data[j * n + i] = x[i * d + j]!;
  return out;
}

/**
 * out[a·stride + b] = Σ_j A[a·lda + j] B[b·ldb + j] (a < m, b < r, j < k): the product A Bᵀ of a
 * row-major m × k and r × k matrix (rows `lda`, `ldb` apart: k unless they are the leading columns
 * of wider matrices). With `lower`, only b ≤ a is needed (entries above the diagonal within the
 * diagonal 4 × 4 tiles are written too). 4 × 4 tiles of 16 running sums: each loaded entry serves
 * four products (the inner loop of the Newton matrix, of every Gram matrix and of `cholesky`); the
 * tiles run as Wasm SIMD (`simd.ts`, the same sums bitwise) where the runtime has it and the
 * product is large enough to repay copying A and Bᵀ into its memory, the tiles' edges by `dot`.
 */
export function timesTransposed(
  A: Float64Array,
  B: Float64Array,
  m: number,
  r: number,
  k: number,
  out: Float64Array,
  lower = false,
  stride = r,
  lda = k,
  ldb = k,
): Float64Array {
  const kernel = kernelFor(m * r * k);
  if (kernel) {
    const { C, ld } = simdProduct(kernel, A, m, k, lda, r, transposedInto(B, r, k, ldb), lower);
    return copyRows(C, ld, m, r, lower, out, stride);
  }
  const rows = m - (m % 4);
  scalarTiles(A, B, rows, r, k, out, lower, stride, lda, ldb);
  // Edges: the columns right of each row tile's last full tile, then the last m mod 4 rows.
  for (let a = 0; a < rows; a += 4) {
    const end = lower ? Math.min(a + 4, r) : r;
    for (let i = a; i < a + 4; i++)
      for (let b = end - (end % 4); b < (lower ? Math.min(i + 1, r) : r); b++)
        out[i * stride + b] = dot(A, B, i * lda, b * ldb, k);
  }
  for (let a = rows; a < m; a++)
    for (let b = 0; b < (lower ? Math.min(a + 1, r) : r); b++)
      out[a * stride + b] = dot(A, B, a * lda, b * ldb, k);
  return out;
}

/**
 * out (m × r) = A M for row-major A (m × k) and M (k × r): `timesTransposed` with Mᵀ, the same
 * sums in the same order, without transposing M where the Wasm kernel runs (it reads M's rows as
 * they are). With `lower`, only the entries b ≤ a are needed.
 */
export function times(
  A: Float64Array,
  M: Float64Array,
  m: number,
  k: number,
  r: number,
  out: Float64Array = new Float64Array(m * r),
  lower = false,
): Float64Array {
  const kernel = kernelFor(m * r * k);
  if (!kernel) return timesTransposed(A, transpose(matrix(k, r, M)).data, m, r, k, out, lower);
  const writeBt = (mem: Float64Array, at: number, cols: number) => {
    if (cols === r) mem.set(M.subarray(0, k * r), at);
    else for (let j = 0; j < k; j++) mem.set(M.subarray(j * r, j * r + r), at + j * cols);
  };
  const { C, ld } = simdProduct(kernel, A, m, k, k, r, writeBt, lower);
  return copyRows(C, ld, m, r, lower, out, r);
}

/** One term of `sumOfScatteredProducts`: A Bᵀ (A, B: m × k, packed) into rows/columns idx of S. */
export interface ScatteredProduct {
  A: Float64Array;
  B: Float64Array;
  m: number;
  idx: Int32Array;
}

/**
 * S (n × n, its lower triangle) = diag(diagonal) + Σ_t (A_t B_tᵀ scattered: S[idx_a, idx_b] +=
 * (A_t B_tᵀ)[a, b] for b ≤ a), the terms `term(t)` (t < count, each consumed before the next is
 * asked for; idx increasing) added in order, each entry once per term. Where the Wasm kernel runs,
 * S stays in its memory while the terms are added (the kernel scatters each product there: no
 * m × m result copied out, no scatter in JavaScript) and is copied out once. Either way the same
 * additions in the same order: bitwise the same S.
 */
export function sumOfScatteredProducts(
  n: number,
  k: number,
  diagonal: Float64Array,
  count: number,
  term: (t: number) => ScatteredProduct,
): Matrix {
  const kernel = simdKernel();
  if (!kernel) {
    const S = matrix(n, n);
    for (let i = 0; i < n; i++) S.data[i * n + i] = diagonal[i]!;
    for (let t = 0; t < count; t++) {
      const { A, B, m, idx } = term(t);
      const C = timesTransposed(A, B, m, m, k, new Float64Array(m * m), true);
      for (let a = 0; a < m; a++) {
        const so = idx[a]! * n;
        for (let b = 0; b <= a; b++) S.data[so + idx[b]!] += C[a * m + b]!;
      }
    }
    return S;
  }
  // S at entries [0, n²), the scatter's indices (i32) after it; products after both.
  const at = n * n;
  const held = at + Math.ceil(n / 2);
  const mem = scratch(kernel, held);
  mem.fill(0, 0, at);
  for (let i = 0; i < n; i++) mem[i * n + i] = diagonal[i]!;
  reserved = held;
  try {
    for (let t = 0; t < count; t++) {
      const { A, B, m, idx } = term(t);
      const { C, ld } = simdProduct(kernel, A, m, k, k, m, transposedInto(B, m, k, k), true);
      new Int32Array(kernel.memory.buffer, at * 8, m).set(idx.subarray(0, m));
      kernel.scatterLower(C.byteOffset, ld * 8, at * 8, m, 0, n * 8);
    }
    return matrix(n, n, new Float64Array(kernel.memory.buffer, 0, at).slice());
  } finally {
    reserved = 0;
  }
}

/** Writes Bᵀ (B: r × k, rows ldb apart) into Wasm memory as k rows `cols` apart. */
const transposedInto =
  (B: Float64Array, r: number, k: number, ldb: number) =>
  (mem: Float64Array, at: number, cols: number) => {
    for (let b = 0; b < r; b++) {
      const bo = b * ldb;
      for (let j = 0; j < k; j++) mem[at + j * cols + b] = B[bo + j]!;
    }
  };

/** out[a·stride + b] = C[a·ld + b] for a < m and b < r (b ≤ a with `lower`). */
function copyRows(
  C: Float64Array,
  ld: number,
  m: number,
  r: number,
  lower: boolean,
  out: Float64Array,
  stride: number,
): Float64Array {
  for (let a = 0; a < m; a++)
    out.set(C.subarray(a * ld, a * ld + (lower ? Math.min(a + 1, r) : r)), a * stride);
  return out;
}

/**
 * Multiply–adds from which products run in Wasm (a 20 × 20 × 20 product: below it the copies in
 * and out cost about what the kernel saves).
 */
const SIMD_MIN_PRODUCTS = 8000;

/** The Wasm kernel for work of this many multiply–adds, if it is worth it and the runtime has it. */
const kernelFor = (multiplyAdds: number) =>
  multiplyAdds >= SIMD_MIN_PRODUCTS ? simdKernel() : undefined;

/**
 * A Bᵀ by the Wasm kernel: A (m × k, rows lda apart) is copied into its memory and `writeBt` puts
 * Bᵀ there (k rows `cols` apart); m and r are padded to multiples of 4 so that every entry is a
 * full tile's (whatever the padding rows and columns hold, entry (a, b) reads only row a of A and
 * column b of Bᵀ).
 */
function simdProduct(
  kernel: SimdKernel,
  A: Float64Array,
  m: number,
  k: number,
  lda: number,
  r: number,
  writeBt: (mem: Float64Array, at: number, cols: number) => void,
  lower: boolean,
): { C: Float64Array; ld: number } {
  const rows = Math.ceil(m / 4) * 4;
  const cols = Math.ceil(r / 4) * 4;
  // Layout (f64 entries, after what is `reserved`): A rows × k, then Bᵀ k × cols, then the result.
  const at = reserved;
  const bt = at + rows * k;
  const res = bt + k * cols;
  const mem = scratch(kernel, res - at + rows * cols);
  if (lda === k) mem.set(A.subarray(0, m * k), at);
  else for (let a = 0; a < m; a++) mem.set(A.subarray(a * lda, a * lda + k), at + a * k);
  writeBt(mem, bt, cols);
  kernel.gemm(at * 8, bt * 8, res * 8, rows, cols, k, k * 8, cols * 8, cols * 8, lower ? 1 : 0);
  return { C: mem.subarray(res, res + rows * cols), ld: cols };
}

/**
 * Entries at the start of the Wasm memory that scratch use must leave alone: the sum that
 * `sumOfScatteredProducts` holds there while its terms are computed.
 */
let reserved = 0;

/** The Wasm kernel's memory as f64 entries, grown to hold `entries` beyond what is reserved. */
function scratch(kernel: SimdKernel, entries: number): Float64Array {
  const bytes = (reserved + entries) * 8;
  const have = kernel.memory.buffer.byteLength;
  if (bytes > have) kernel.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float64Array(kernel.memory.buffer);
}

/** `timesTransposed`'s full 4 × 4 tiles of rows [0, rows) (a multiple of 4) in JavaScript. */
function scalarTiles(
  A: Float64Array,
  B: Float64Array,
  rows: number,
  r: number,
  k: number,
  out: Float64Array,
  lower: boolean,
  stride: number,
  lda: number,
  ldb: number,
): void {
  for (let a = 0; a < rows; a += 4) {
    const a0 = a * lda;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    const end = lower ? Math.min(a + 4, r) : r;
    let b = 0;
    for (; b + 4 <= end; b += 4) {
      const b0 = b * ldb;
      const b1 = b0 + ldb;
      const b2 = b1 + ldb;
      const b3 = b2 + ldb;
      let c00 = 0;
      let c01 = 0;
      let c02 = 0;
      let c03 = 0;
      let c10 = 0;
      let c11 = 0;
      let c12 = 0;
      let c13 = 0;
      let c20 = 0;
      let c21 = 0;
      let c22 = 0;
      let c23 = 0;
      let c30 = 0;
      let c31 = 0;
      let c32 = 0;
      let c33 = 0;
      for (let j = 0; j < k; j++) {
        const x0 = A[a0 + j]!;
        const x1 = A[a1 + j]!;
        const x2 = A[a2 + j]!;
        const x3 = A[a3 + j]!;
        const y0 = B[b0 + j]!;
        const y1 = B[b1 + j]!;
        const y2 = B[b2 + j]!;
        const y3 = B[b3 + j]!;
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = a * stride + b;
      out[o] = c00;
      out[o + 1] = c01;
      out[o + 2] = c02;
      out[o + 3] = c03;
      o += stride;
      out[o] = c10;
      out[o + 1] = c11;
      out[o + 2] = c12;
      out[o + 3] = c13;
      o += stride;
      out[o] = c20;
      out[o + 1] = c21;
      out[o + 2] = c22;
      out[o + 3] = c23;
      o += stride;
      out[o] = c30;
      out[o + 1] = c31;
      out[o + 2] = c32;
      out[o + 3] = c33;
    }
  }
}

/**
 * XᵀX, or Xᵀ diag(w) X with row weights w (d × d), as (W Xᵀ) X by `times` (Xᵀ: `Xt`, e.g. from
 * `transpose`; computed when not given).
 */
export function gram(
  X: Matrix,
  w?: Float64Array,
  G: Matrix = matrix(X.cols, X.cols),
  Xt: Matrix = transpose(X),
): Matrix {
  const { rows: n, cols: d } = X;
  let left = Xt.data;
  if (w) {
    left = new Float64Array(d * n);
    for (let j = 0; j < d; j++)
      for (let i = 0; i < n; i++) left[j * n + i] = w[i]! * Xt.data[j * n + i]!;
  }
  times(left, X.data, d, n, d, G.data, true);
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) G.data[b * d + a] = G.data[a * d + b]!;
  return G;
}

/**
 * Cholesky factor L (lower triangular, A = L Lᵀ) of a symmetric positive definite matrix.
 * Throws if A is not numerically positive definite, unless `guard` > 0: then a pivot below
 * guard × A_jj (rounding in a badly scaled matrix) is raised to guard × A_jj instead of failing
 * (modified Cholesky, as interior-point codes do). Only A's lower triangle is read; `inPlace`
 * overwrites A with L. Raising it to A_jj instead would freeze that
 * direction of the solution: the interior-point method then stalls at a point that is not
 * stationary (iris: certified gap stuck at 8e-6 instead of 5.7e-7).
 */
export function cholesky(A: Matrix, guard = 0, inPlace = false): Matrix {
  const n = A.rows;
  const L = inPlace ? A : matrix(n, n, Float64Array.from(A.data));
  const l = L.data;
  const diagonal = new Float64Array(n);
  for (let j = 0; j < n; j++) diagonal[j] = l[j * n + j]!;
  const update = new Float64Array(n * CHOLESKY_BLOCK);
  // Left-looking by blocks of columns: block J's columns first receive every earlier column's
  // contribution as one product of row prefixes (`timesTransposed`, 4 × 4 tiles: each row prefix
  // is read once per 4 columns, not once per column), then are factorized within the block.
  for (let J = 0; J < n; J += CHOLESKY_BLOCK) {
    const nb = Math.min(CHOLESKY_BLOCK, n - J);
    const rows = n - J;
    if (J > 0) {
      const view = l.subarray(J * n);
      timesTransposed(view, view, rows, nb, J, update, false, nb, n, n);
      for (let i = 0; i < rows; i++) {
        const io = (J + i) * n + J;
        for (let j = 0; j < Math.min(nb, i + 1); j++) l[io + j] -= update[i * nb + j]!;
      }
    }
    for (let j = J; j < J + nb; j++) {
      const jo = j * n;
      let s = l[jo + j]! - dot(l, l, jo + J, jo + J, j - J);
      if (guard > 0 && !(s > guard * diagonal[j]!)) s = guard * diagonal[j]!;
      if (!(s > 0)) throw new Error(`cholesky: matrix not positive definite at pivot ${j}`);
      s = Math.sqrt(s);
      l[jo + j] = s;
      for (let i = j + 1; i < n; i++) {
        const io = i * n;
        l[io + j] = (l[io + j]! - dot(l, l, io + J, jo + J, j - J)) / s;
      }
    }
  }
  for (let j = 0; j < n; j++) l.fill(0, j * n + j + 1, (j + 1) * n);
  return L;
}

/** Columns per block of `cholesky` (its row prefixes of a block fit in L2 at n ≈ 1000–2000). */
const CHOLESKY_BLOCK = 32;

/**
 * out += (L Lᵀ)⁻¹ (n × n, row-major at out[off..]): the n solves (L Lᵀ) x = e_c of `cholSolve`
 * all at once by `solveRows`, so the sum is bitwise that of n calls (Newton matrices that are barely
 * definite are sensitive to how the inverse is rounded: an explicit L⁻ᵀL⁻¹ stalled iris hinge).
 */
export function addCholeskyInverse(L: Matrix, out: Float64Array, off = 0): Float64Array {
  const n = L.rows;
  const y = new Float64Array(n * n);
  for (let i = 0; i < n; i++) y[i * n + i] = 1;
  solveRows(L, solveRows(L, y, n), n, true);
  for (let e = 0; e < n * n; e++) out[off + e] += y[e]!;
  return out;
}

/**
 * Y ← L⁻¹Y, or L⁻ᵀY with `upper`, for Y n × m row-major (m right-hand sides as its columns) and L
 * from `cholesky`, a whole row of Y per update: each column goes through the operations of
 * `lowerSolve` / `upperSolve`, in the same order, so the result is bitwise that of m calls (with
 * contiguous loops; in the Wasm kernel, two columns per instruction, where it runs).
 */
export function solveRows(L: Matrix, Y: Float64Array, m: number, upper = false): Float64Array {
  const n = L.rows;
  const kernel = kernelFor((n * n * m) / 2);
  if (kernel) {
    const mem = scratch(kernel, n * n + n * m);
    const y = reserved + n * n;
    mem.set(L.data.subarray(0, n * n), reserved);
    mem.set(Y.subarray(0, n * m), y);
    (upper ? kernel.solveUpper : kernel.solveLower)(reserved * 8, n * 8, y * 8, m * 8, n, m);
    Y.set(mem.subarray(y, y + n * m));
    return Y;
  }
  const l = L.data;
  for (let s = 0; s < n; s++) {
    const i = upper ? n - 1 - s : s;
    const io = i * m;
    for (let j = upper ? i + 1 : 0; j < (upper ? n : i); j++) {
      const lij = upper ? l[j * n + i]! : l[i * n + j]!;
      const jo = j * m;
      for (let c = 0; c < m; c++) Y[io + c] -= lij * Y[jo + c]!;
    }
    const lii = l[i * n + i]!;
    for (let c = 0; c < m; c++) Y[io + c] /= lii;
  }
  return Y;
}

/**
 * `cholSolve` for a factor solved against many times: Lᵀ is stored once, so the back substitution
 * reads rows instead of columns (n = 1000–1300: 8–14 MB read column-wise by `upperSolve` per solve,
 * one cache line per entry). The same operations in the same order: bitwise `cholSolve`'s result.
 */
export function cholSolver(L: Matrix): (b: Float64Array) => Float64Array {
  const n = L.rows;
  const lt = transpose(L).data;
  return (b) => {
    lowerSolve(L, b);
    for (let i = n - 1; i >= 0; i--) {
      const io = i * n;
      let s = b[i]!;
      for (let j = i + 1; j < n; j++) s -= lt[io + j]! * b[j]!;
      b[i] = s / lt[io + i]!;
    }
    return b;
  };
}

/** Solves (L Lᵀ) x = b in place on the slice b[off, off+n). */
export function cholSolve(L: Matrix, b: Float64Array, off = 0): Float64Array {
  return upperSolve(L, lowerSolve(L, b, off), off);
}

/** Solves L y = b in place on the slice b[off, off+n) (L lower triangular, as from `cholesky`). */
export function lowerSolve(L: Matrix, b: Float64Array, off = 0): Float64Array {
  const n = L.rows;
  const l = L.data;
  for (let i = 0; i < n; i++) {
    const io = i * n;
    let s = b[off + i]!;
    for (let j = 0; j < i; j++) s -= l[io + j]! * b[off + j]!;
    b[off + i] = s / l[io + i]!;
  }
  return b;
}

/** Solves Lᵀ x = b in place on the slice b[off, off+n). */
export function upperSolve(L: Matrix, b: Float64Array, off = 0): Float64Array {
  const n = L.rows;
  const l = L.data;
  for (let i = n - 1; i >= 0; i--) {
    let s = b[off + i]!;
    for (let j = i + 1; j < n; j++) s -= l[j * n + i]! * b[off + j]!;
    b[off + i] = s / l[i * n + i]!;
  }
  return b;
}
