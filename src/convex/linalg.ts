/**
 * Dense linear algebra on plain Float64Array, row-major. Only what the convex solvers need:
 * dot products, the products X·Uᵀ and Xᵀ·R with a data matrix, and a Cholesky factorization.
 */

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
 * stored contiguously (u_g = U[g*d .. g*d+d)). One row of `out` is X u_g. Four groups share each
 * pass over a row of X (fewer loads; the main cost of an ADMM iteration).
 */
export function timesXt(
  X: Matrix,
  U: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(k * X.rows),
): Float64Array {
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

/** out (k × d) = R · X, i.e. out[g, :] = Xᵀ r_g for R with k rows of length n (four groups per pass over X). */
export function timesX(
  X: Matrix,
  R: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(k * X.cols),
): Float64Array {
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

/** XᵀX, or Xᵀ diag(w) X with row weights w (d × d). */
export function gram(X: Matrix, w?: Float64Array, G: Matrix = matrix(X.cols, X.cols)): Matrix {
  const { rows: n, cols: d, data: x } = X;
  G.data.fill(0);
  let i = 0;
  // four rows per pass over the lower triangle of G (a quarter of its loads and stores)
  for (; i + 4 <= n; i += 4) {
    const o0 = i * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    const w0 = w ? w[i]! : 1;
    const w1 = w ? w[i + 1]! : 1;
    const w2 = w ? w[i + 2]! : 1;
    const w3 = w ? w[i + 3]! : 1;
    for (let a = 0; a < d; a++) {
      const x0 = w0 * x[o0 + a]!;
      const x1 = w1 * x[o1 + a]!;
      const x2 = w2 * x[o2 + a]!;
      const x3 = w3 * x[o3 + a]!;
      const ao = a * d;
      for (let b = 0; b <= a; b++)
        G.data[ao + b] += x0 * x[o0 + b]! + x1 * x[o1 + b]! + x2 * x[o2 + b]! + x3 * x[o3 + b]!;
    }
  }
  for (; i < n; i++) {
    const xo = i * d;
    const wi = w ? w[i]! : 1;
    if (wi === 0) continue;
    for (let a = 0; a < d; a++) {
      const xa = wi * x[xo + a]!;
      const ao = a * d;
      for (let b = 0; b <= a; b++) G.data[ao + b] += xa * x[xo + b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) G.data[b * d + a] = G.data[a * d + b]!;
  return G;
}

/**
 * Cholesky factor L (lower triangular, A = L Lᵀ) of a symmetric positive definite matrix.
 * Throws if A is not numerically positive definite, unless `guard` > 0: then a pivot below
 * guard × A_jj (rounding in a badly scaled matrix) is raised to guard × A_jj instead of failing
 * (modified Cholesky, as interior-point codes do). Raising it to A_jj instead would freeze that
 * direction of the solution: the interior-point method then stalls at a point that is not
 * stationary (iris: certified gap stuck at 8e-6 instead of 5.7e-7).
 */
export function cholesky(A: Matrix, guard = 0): Matrix {
  const n = A.rows;
  const L = matrix(n, n, Float64Array.from(A.data));
  const l = L.data;
  for (let j = 0; j < n; j++) {
    const jo = j * n;
    let s = l[jo + j]! - dot(l, l, jo, jo, j);
    if (guard > 0 && !(s > guard * A.data[jo + j]!)) s = guard * A.data[jo + j]!;
    if (!(s > 0)) throw new Error(`cholesky: matrix not positive definite at pivot ${j}`);
    s = Math.sqrt(s);
    l[jo + j] = s;
    let i = j + 1;
    // four rows per pass over row j's prefix
    for (; i + 4 <= n; i += 4) {
      const i0 = i * n;
      const i1 = i0 + n;
      const i2 = i1 + n;
      const i3 = i2 + n;
      let s0 = l[i0 + j]!;
      let s1 = l[i1 + j]!;
      let s2 = l[i2 + j]!;
      let s3 = l[i3 + j]!;
      for (let k = 0; k < j; k++) {
        const v = l[jo + k]!;
        s0 -= l[i0 + k]! * v;
        s1 -= l[i1 + k]! * v;
        s2 -= l[i2 + k]! * v;
        s3 -= l[i3 + k]! * v;
      }
      l[i0 + j] = s0 / s;
      l[i1 + j] = s1 / s;
      l[i2 + j] = s2 / s;
      l[i3 + j] = s3 / s;
    }
    for (; i < n; i++) {
      const io = i * n;
      l[io + j] = (l[io + j]! - dot(l, l, io, jo, j)) / s;
    }
    for (let i = j + 1; i < n; i++) l[jo + i] = 0;
  }
  return L;
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
