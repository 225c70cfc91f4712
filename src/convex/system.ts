/**
 * The ADMM linear system (I + β(GᵀG + FᵀF)) u = r of the convex program, factorized once and
 * reused for every iteration and every penalty ρ (β weights the cone and loss splits against the
 * consensus split u = v; β = 1 by default). Below, G and F stand for √β G and √β F.
 *
 * Structure (Bai, Gautam & Sojoudi 2022): since (2D_i − I)² = I, GᵀG is block diagonal with
 * identical blocks XᵀX, so A = I + GᵀG = blockdiag(B), B = I + XᵀX (B = I for gated ReLU).
 * FᵀF couples the groups but has rank ≤ n, so by Woodbury
 *   (A + FᵀF)⁻¹ = A⁻¹ − A⁻¹Fᵀ S⁻¹ F A⁻¹,   S = I_n + F A⁻¹ Fᵀ = I_n + c (DDᵀ) ⊙ (X B⁻¹ Xᵀ),
 * where column i of D is pattern i's mask and c = 2 (each pattern has a v and a w group) or 1
 * (gated). Setup: one d×d and one n×n Cholesky factorization. Per solve: two block solves with B,
 * two products of X with P (not 2P) groups, one n×n triangular pair — O(n d P + P d² + n²), no
 * 2Pd × 2Pd matrix.
 */

import { cholesky, cholSolve, gram, type Matrix, matrix, timesX, timesXt } from "./linalg.js";
import { type ConvexProblem, groupCount } from "./problem.js";

export class AdmmSystem {
  private readonly cholB: Matrix | undefined;
  private readonly cholS: Matrix;
  /** Work arrays: P × n activations, n-vector, P × d correction. */
  private readonly xd: Float64Array;
  private readonly w: Float64Array;
  private readonly corr: Float64Array;

  constructor(
    private readonly p: ConvexProblem,
    readonly beta = 1,
  ) {
    const { rows: n, cols: d, data: x } = p.X;
    this.xd = new Float64Array(p.patterns.count * n);
    this.w = new Float64Array(n);
    this.corr = new Float64Array(p.patterns.count * d);
    if (!p.gated) {
      const B = gram(p.X);
      for (let j = 0; j < d * d; j++) B.data[j] = B.data[j]! * beta;
      for (let j = 0; j < d; j++) B.data[j * d + j] += 1;
      this.cholB = cholesky(B);
    }
    // Z = rows B⁻¹ x_k, K = X B⁻¹ Xᵀ.
    const Z = Float64Array.from(x);
    if (this.cholB) for (let k = 0; k < n; k++) cholSolve(this.cholB, Z, k * d);
    const S = matrix(n, n);
    const P = p.patterns.count;
    const masks = p.patterns.masks;
    const c = (p.gated ? 1 : 2) * beta;
    const counts = new Float64Array(n * n);
    for (let i = 0; i < P; i++) {
      const active: number[] = [];
      for (let k = 0; k < n; k++) if (masks[i * n + k]) active.push(k);
      for (const a of active) for (const b of active) counts[a * n + b] += 1;
    }
    for (let a = 0; a < n; a++) {
      for (let b = 0; b <= a; b++) {
        const ca = counts[a * n + b]!;
        let v = 0;
        if (ca > 0) {
          for (let j = 0; j < d; j++) v += x[a * d + j]! * Z[b * d + j]!;
          v *= c * ca;
        }
        S.data[a * n + b] = v;
        S.data[b * n + a] = v;
      }
      S.data[a * n + a] += 1;
    }
    this.cholS = cholesky(S);
  }

  /** Applies B⁻¹ in place to the first `groups` groups of u. */
  private blockSolve(u: Float64Array, groups: number): Float64Array {
    if (!this.cholB) return u;
    const d = this.p.X.cols;
    for (let g = 0; g < groups; g++) cholSolve(this.cholB, u, g * d);
    return u;
  }

  /**
   * u = (I + GᵀG + FᵀF)⁻¹ r (r is overwritten and returned as u). F only sees each pattern's
   * difference t_{v_i} − t_{w_i}, and Fᵀw gives group w_i the negative of group v_i, so both
   * Woodbury products run over P groups, not 2P.
   */
  solve(r: Float64Array): Float64Array {
    const { X, patterns, gated } = this.p;
    const { rows: n, cols: d } = X;
    const P = patterns.count;
    const masks = patterns.masks;
    const t = this.blockSolve(r, groupCount(this.p));
    const diff = gated ? t : t.map((v, j) => (j < P * d ? v - t[j + P * d]! : 0));
    const xd = timesXt(X, diff, P, this.xd);
    const w = this.w.fill(0);
    for (let i = 0; i < P; i++)
      for (let k = 0; k < n; k++) if (masks[i * n + k]) w[k] += xd[i * n + k]!;
    cholSolve(this.cholS, w);
    for (let i = 0; i < P; i++)
      for (let k = 0; k < n; k++) xd[i * n + k] = masks[i * n + k] ? w[k]! : 0;
    const corr = this.blockSolve(timesX(X, xd, P, this.corr), P);
    for (let j = 0; j < P * d; j++) {
      t[j] = t[j]! - this.beta * corr[j]!;
      if (!gated) t[j + P * d] = t[j + P * d]! + this.beta * corr[j]!;
    }
    return t;
  }
}
