/**
 * Interior-point solver for the robust hinge program of robust.ts, certified by the
 * exact dual bound `robustLowerBound`. The program is written as a linear program plus one
 * second-order cone per group, with local variables per sample (t_n, b_n ∈ R^f) and per group
 * (r_g, a_g ∈ R^f), f = d − 1 features:
 *
 *   min Σ_n t_n + λ Σ_g r_g
 *   s.t. t_n ≥ 0,  t_n − 1 + y_n (Fu)_n − ε Σ_j b_nj ≥ 0,  b_n ± z_n ≥ 0  (z_n = Σ_i d_in (v_i − w_i)),
 *        a_g ± u_g ≥ 0 (features),  (2d_in − 1) x_nᵀu_g − ε Σ_j a_gj ≥ 0,  ‖u_g‖₂ ≤ r_g.
 *
 * (For ε = 0 the b and a variables are left out.) Every feasible point gives a robustly feasible
 * u (‖u_g‖₁ ≤ Σ_j a_gj) with robust objective ≤ Σ t + λ Σ r, and the minima agree.
 *
 * Method: primal–dual interior point (Mehrotra predictor–corrector with Gondzio's centrality
 * correctors on the rows) with multipliers z_c ≥ 0 for the linear rows and ζ_g in each group's cone,
 * the cones' complementarity x_g ∘ ζ_g = σμ e linearized in the Nesterov–Todd scaling (W⁻¹x_g =
 * Wζ_g = λ_g; Vandenberghe's CVXOPT notes, "The CVXOPT linear and quadratic cone program solvers",
 * 2010). The primal iterate stays strictly feasible; the dual is infeasible until it converges. The
 * Newton matrix Σ_c (z_c/s_c) a_c a_cᵀ + Σ_g W_g⁻² is block-arrow: every row touches u and at most one
 * local block (sample n or group g), so the local blocks ((f + 1) × (f + 1); a sample's is diagonal
 * plus rank one and goes in closed form) are eliminated and each
 * step factorizes the 2Pd × 2Pd Schur complement in u once (`cholesky`, with its pivot guard) for the
 * predictor and all correctors. (The primal log-barrier method this replaced took 201 Newton steps on
 * the CLI's iris default and did not reach 1e-6 in 400 on breast_cancer; the primal–dual method with
 * the cones kept as a primal barrier, as in ipm.ts, took steps of 0.05–0.5 and broke down.) After each
 * step the row multipliers z give (θ, ξ, μ) for `robustLowerBound`; the certified relative gap is
 * (objective(u) − bound)/objective(u), with the objective evaluated exactly (`robustObjective`) at the
 * iterate.
 *
 * Patterns whose gate is not strictly inside its robust cone (min_n slack ≤ 0, e.g. Gaussian gates
 * at ε > 0) get u = 0 and no variables (`dropped`); the bound is still computed on the whole program
 * (their μ = 0), so it stays valid and is only weaker if such a pattern's cone is not {0}.
 */
import { CENTRALITY_CORRECTORS, centralityTargets } from "./centrality.js";
import {
  cholesky,
  cholSolver,
  lowerSolve,
  type Matrix,
  matrix,
  norm2,
  times as product,
  solveRows,
  upperSolve,
} from "./linalg.js";
import { type ConvexProblem, groupNorm, type Patterns } from "./problem.js";
import type { TracePoint } from "./result.js";
import {
  minRobustSlack,
  robustLowerBound,
  robustSlacks,
  shiftIntoRobustCones,
  validateRobustProblem,
  worstCaseHinge,
} from "./robust.js";

export interface RobustIpmOptions {
  /** Stop at this certified relative gap (default 1e-6). */
  tol?: number;
  /** Newton steps at most (default 400). */
  maxIter?: number;
  onIter?: (iter: number, objective: number) => void;
}

export interface RobustIpmResult {
  /** Robustly feasible point. */
  u: Float64Array;
  /** Exact robust objective at u (worst-case hinge + λ Σ‖u_g‖). */
  objective: number;
  worstCaseHinge: number;
  /** Lower bound on the robust optimum over these patterns (`robustLowerBound`). */
  lowerBound: number;
  /** (objective − lowerBound) / objective. */
  relGap: number;
  converged: boolean;
  /** Newton steps. */
  iterations: number;
  minSlack: number;
  /** Patterns left at 0 because their gate is not interior to their robust cone. */
  dropped: number;
  trace: TracePoint[];
  ms: number;
}

/**
 * Linear rows a_cᵀx + b_c ≥ 0 in CSR form. Each row belongs to one block (sample n, or group g at
 * n + g) and its u part is Σ_{(g, σ) of the block} σ e_g ⊗ c with c ∈ R^d (`uIdx` ∈ [0, d)):
 * sample n's rows see u through Σ_{i: d_in = 1} (v_i − w_i), group g's through u_g.
 */
interface Rows {
  count: number;
  block: Int32Array;
  b: Float64Array;
  uStart: Int32Array;
  uIdx: Int32Array;
  uVal: Float64Array;
  lStart: Int32Array;
  lIdx: Int32Array;
  lVal: Float64Array;
}

/** The cone program on the kept patterns. */
export interface Program {
  N: number;
  d: number;
  /** Local block size 1 + (ε > 0 ? f : 0); blocks: samples 0..n−1, then groups. */
  B: number;
  blocks: number;
  /** Groups each block sees, and their signs σ. */
  blockGroups: Int32Array[];
  blockSigns: Int8Array[];
  rows: Rows;
  /** Row of each sample's hinge constraint, of its b ∓ z rows (n × f, −1 when ε = 0), of each cone row (G × n, −1 if left out). */
  hingeRow: Int32Array;
  /** Row of each sample's t_n ≥ 0. */
  tRow: Int32Array;
  zPlus: Int32Array;
  zMinus: Int32Array;
  coneRow: Int32Array;
  n: number;
  G: number;
  cost: Float64Array;
}

export function buildProgram(p: ConvexProblem, eps: number): Program {
  const { rows: n, cols: d, data: x } = p.X;
  const P = p.patterns.count;
  const masks = p.patterns.masks;
  const G = 2 * P;
  const N = G * d;
  const f = d - 1;
  const L = eps > 0 ? f : 0;
  const B = 1 + L;
  const blocks = n + G;
  const block: number[] = [];
  const bs: number[] = [];
  const uStart = [0];
  const uIdx: number[] = [];
  const uVal: number[] = [];
  const lStart = [0];
  const lIdx: number[] = [];
  const lVal: number[] = [];
  const row = (blk: number, b: number, u: [number, number][], l: [number, number][]) => {
    block.push(blk);
    bs.push(b);
    for (const [j, v] of u) {
      uIdx.push(j);
      uVal.push(v);
    }
    uStart.push(uIdx.length);
    for (const [j, v] of l) {
      lIdx.push(j);
      lVal.push(v);
    }
    lStart.push(lIdx.length);
    return block.length - 1;
  };
  const blockGroups: Int32Array[] = [];
  const blockSigns: Int8Array[] = [];
  const hingeRow = new Int32Array(n);
  const tRow = new Int32Array(n);
  const zPlus = new Int32Array(n * f).fill(-1);
  const zMinus = new Int32Array(n * f).fill(-1);
  for (let k = 0; k < n; k++) {
    const groups: number[] = [];
    const signs: number[] = [];
    for (let i = 0; i < P; i++)
      if (masks[i * n + k]) {
        groups.push(i, P + i);
        signs.push(1, -1);
      }
    blockGroups.push(Int32Array.from(groups));
    blockSigns.push(Int8Array.from(signs));
    tRow[k] = row(k, 0, [], [[0, 1]]);
    const fit: [number, number][] = [];
    for (let j = 0; j < d; j++) fit.push([j, p.y[k]! * x[k * d + j]!]);
    const tb: [number, number][] = [[0, 1]];
    for (let j = 0; j < L; j++) tb.push([1 + j, -eps]);
    hingeRow[k] = row(k, -1, fit, tb);
    for (let j = 0; j < L; j++) {
      zPlus[k * f + j] = row(k, 0, [[j, -1]], [[1 + j, 1]]);
      zMinus[k * f + j] = row(k, 0, [[j, 1]], [[1 + j, 1]]);
    }
  }
  const coneRow = new Int32Array(G * n).fill(-1);
  for (let g = 0; g < G; g++) {
    const i = g % P;
    blockGroups.push(Int32Array.of(g));
    blockSigns.push(Int8Array.of(1));
    for (let j = 0; j < L; j++)
      for (const sign of [1, -1]) row(n + g, 0, [[j, sign]], [[1 + j, 1]]);
    for (let k = 0; k < n; k++) {
      let zero = true;
      for (let j = 0; j < d; j++) if (x[k * d + j] !== 0) zero = false;
      if (zero && eps === 0) continue; // 0 ≥ 0 identically
      const s = masks[i * n + k] ? 1 : -1;
      const u: [number, number][] = [];
      for (let j = 0; j < d; j++) u.push([j, s * x[k * d + j]!]);
      const l: [number, number][] = [];
      for (let j = 0; j < L; j++) l.push([1 + j, -eps]);
      coneRow[g * n + k] = row(n + g, 0, u, l);
    }
  }
  const cost = new Float64Array(N + blocks * B);
  for (let k = 0; k < n; k++) cost[N + k * B] = 1;
  for (let g = 0; g < G; g++) cost[N + (n + g) * B] = p.lambda;
  return {
    N,
    d,
    B,
    blocks,
    blockGroups,
    blockSigns,
    rows: {
      count: block.length,
      block: Int32Array.from(block),
      b: Float64Array.from(bs),
      uStart: Int32Array.from(uStart),
      uIdx: Int32Array.from(uIdx),
      uVal: Float64Array.from(uVal),
      lStart: Int32Array.from(lStart),
      lIdx: Int32Array.from(lIdx),
      lVal: Float64Array.from(lVal),
    },
    hingeRow,
    tRow,
    zPlus,
    zMinus,
    coneRow,
    n,
    G,
    cost,
  };
}

/** Each block's view of u, Σ_{(g, σ)} σ u_g (blocks × d). */
function blockSums(pr: Program, v: Float64Array): Float64Array {
  const d = pr.d;
  const out = new Float64Array(pr.blocks * d);
  for (let blk = 0; blk < pr.blocks; blk++) {
    const gs = pr.blockGroups[blk]!;
    const ss = pr.blockSigns[blk]!;
    for (let a = 0; a < gs.length; a++) {
      const o = gs[a]! * d;
      const s = ss[a]!;
      for (let j = 0; j < d; j++) out[blk * d + j] += s * v[o + j]!;
    }
  }
  return out;
}

/** Row values a_cᵀv (+ b_c when `withConstant`). */
function rowValues(pr: Program, v: Float64Array, withConstant: boolean): Float64Array {
  const R = pr.rows;
  const d = pr.d;
  const sums = blockSums(pr, v);
  const out = new Float64Array(R.count);
  for (let c = 0; c < R.count; c++) {
    const blk = R.block[c]!;
    let s = withConstant ? R.b[c]! : 0;
    for (let e = R.uStart[c]!; e < R.uStart[c + 1]!; e++)
      s += R.uVal[e]! * sums[blk * d + R.uIdx[e]!]!;
    const lo = pr.N + blk * pr.B;
    for (let e = R.lStart[c]!; e < R.lStart[c + 1]!; e++) s += R.lVal[e]! * v[lo + R.lIdx[e]!]!;
    out[c] = s;
  }
  return out;
}

/** The cones' vectors (r_g, u_g) of v, G × (d + 1). */
function coneParts(pr: Program, v: Float64Array): Float64Array {
  const { N, B, d } = pr;
  const out = new Float64Array(pr.G * (d + 1));
  for (let g = 0; g < pr.G; g++) {
    out[g * (d + 1)] = v[N + (pr.n + g) * B]!;
    out.set(v.subarray(g * d, g * d + d), g * (d + 1) + 1);
  }
  return out;
}

/** Subtracts Σ_g E_gᵀ c_g (c: G × (d + 1), as from `coneParts`) from x in the layout of v. */
function subtractCones(pr: Program, x: Float64Array, c: Float64Array): void {
  const { N, B, d } = pr;
  for (let g = 0; g < pr.G; g++) {
    x[N + (pr.n + g) * B]! -= c[g * (d + 1)]!;
    for (let a = 0; a < d; a++) x[g * d + a]! -= c[g * (d + 1) + 1 + a]!;
  }
}

/**
 * Largest α ≤ top keeping every x_g + αΔx_g (k × m vectors (x0, x1), x0 > ‖x1‖) in its cone: the
 * first positive root of (x0 + αΔx0)² − ‖x1 + αΔx1‖², as the ray leaves the convex cone once.
 */
export function coneStep(x: Float64Array, dx: Float64Array, m: number, top: number): number {
  for (let o = 0; o < x.length; o += m) {
    let A = dx[o]! * dx[o]!;
    let B = x[o]! * dx[o]!;
    let C = x[o]! * x[o]!;
    for (let a = o + 1; a < o + m; a++) {
      A -= dx[a]! * dx[a]!;
      B -= x[a]! * dx[a]!;
      C -= x[a]! * x[a]!;
    }
    // A α² + 2Bα + C with C > 0: the roots C / (−B ∓ √(B² − AC)) (stable form)
    if (A === 0) {
      if (B < 0) top = Math.min(top, -C / (2 * B));
      continue;
    }
    const disc = B * B - A * C;
    if (disc < 0) continue;
    const sq = Math.sqrt(disc);
    for (const den of [-B - sq, -B + sq]) if (den > 0) top = Math.min(top, C / den);
  }
  return top;
}

/** Largest α ≤ top keeping x + αΔx > 0. */
function positiveStep(x: Float64Array, dx: Float64Array, top: number): number {
  for (let j = 0; j < x.length; j++) if (dx[j]! < 0) top = Math.min(top, -x[j]! / dx[j]!);
  return top;
}

/**
 * Nesterov–Todd scaling of a cone pair (x, ζ) (length m, both interior): W = η W̄ with W̄ the
 * hyperbolic rotation of w̄ = (x̄ + Jζ̄)/(2γ) (x̄ = x/√(xᵀJx), ζ̄ likewise, γ² = (1 + x̄ᵀζ̄)/2,
 * J = diag(1, −I)) and η = (xᵀJx / ζᵀJζ)^¼, so that W⁻¹x = Wζ = λ; W⁻¹ = η⁻¹ J W̄ J.
 * Returns W, W⁻¹ (m × m) and λ.
 */
export function ntScaling(x: Float64Array, zeta: Float64Array) {
  const m = x.length;
  const det = (a: Float64Array) => {
    let t = a[0]! * a[0]!;
    for (let j = 1; j < m; j++) t -= a[j]! * a[j]!;
    return t;
  };
  const dx = Math.sqrt(det(x));
  const dz = Math.sqrt(det(zeta));
  let xz = 0;
  for (let j = 0; j < m; j++) xz += (x[j]! / dx) * (zeta[j]! / dz);
  const gamma = Math.sqrt((1 + xz) / 2);
  const w = x.map((xj, j) => (xj / dx + (j === 0 ? 1 : -1) * (zeta[j]! / dz)) / (2 * gamma));
  const eta = Math.sqrt(dx / dz);
  const W = new Float64Array(m * m);
  const Winv = new Float64Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) {
      const bar =
        a === 0 || b === 0 ? w[a + b]! : (a === b ? 1 : 0) + (w[a]! * w[b]!) / (1 + w[0]!);
      W[a * m + b] = eta * bar;
      Winv[a * m + b] = ((a === 0) === (b === 0) ? 1 : -1) * (bar / eta);
    }
  return { W, Winv, lambda: times(Winv, x) };
}

/** M v for a square row-major M. */
function times(M: Float64Array, v: Float64Array): Float64Array {
  const m = v.length;
  const out = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    let t = 0;
    for (let b = 0; b < m; b++) t += M[a * m + b]! * v[b]!;
    out[a] = t;
  }
  return out;
}

/** Jordan product x ∘ y = (xᵀy, x0 y1 + y0 x1). */
export function jordan(x: Float64Array, y: Float64Array): Float64Array {
  let t = 0;
  for (let j = 0; j < x.length; j++) t += x[j]! * y[j]!;
  return x.map((xj, j) => (j === 0 ? t : x[0]! * y[j]! + y[0]! * xj));
}

/** ρ with λ ∘ ρ = y (λ interior). */
export function jordanSolve(lambda: Float64Array, y: Float64Array): Float64Array {
  const l0 = lambda[0]!;
  let det = l0 * l0;
  let ly = 0;
  for (let j = 1; j < lambda.length; j++) {
    det -= lambda[j]! * lambda[j]!;
    ly += lambda[j]! * y[j]!;
  }
  const r0 = (l0 * y[0]! - ly) / det;
  return y.map((yj, j) => (j === 0 ? r0 : (yj - r0 * lambda[j]!) / l0));
}

/**
 * The Newton matrix Σ_c w_c a_c a_cᵀ + Σ_g E_gᵀ H_g E_g (H_g the cones' (d + 1) × (d + 1) blocks on
 * (r_g, u_g), E_g their selection), factorized once for several right-hand sides by block
 * elimination. Block β's rows give C (d × d, in its view of u), E (d × B) and K (B × B); the Schur
 * complement gains (m_β m_βᵀ) ⊗ (C − E K⁻¹ Eᵀ), m_β the block's signed group indicator: a sample's in
 * closed form (`sampleBlocks`), a group's (cone rows and H_g) with K = L Lᵀ and F = L⁻¹Eᵀ as C − FᵀF.
 * `step(grad)` is −(…)⁻¹ grad.
 */
function newtonSystem(
  pr: Program,
  w: Float64Array,
  coneH: Float64Array,
): { step(grad: Float64Array): Float64Array } {
  const { N, B, d, blocks, rows: R } = pr;
  // Group blocks one at a time (a block's rows are consecutive, blocks in order): its C, E and K in
  // scratch, eliminated at once, so that only its L and F stay.
  const C = new Float64Array(d * d);
  const Et = new Float64Array(B * d);
  const K = new Float64Array(B * B);
  const usum = new Float64Array(d);
  const S = new Float64Array(N * N);
  const chols: Matrix[] = [];
  // L and F = L⁻¹Eᵀ of the group blocks (the samples' are `sampleBlocks`)
  const F = new Float64Array(pr.G * B * d);
  const D = new Float64Array(d * d);
  const Ft = new Float64Array(d * B);
  const FtF = new Float64Array(d * d);
  const P = pr.G / 2;
  const dd = d * d;
  const e1 = d + 1;
  // Q_ij (j ≤ i): Σ of D over the samples where patterns i and j are both active
  const Q = new Float64Array(P * P * dd);
  const samples = sampleBlocks(pr, w);
  for (let blk = 0; blk < pr.n; blk++) {
    samples.schur(blk, D);
    // a sample sees the pairs (v_i, w_i), groups (i, P + i) with signs (+1, −1), of its active
    // patterns i in increasing order: its m mᵀ ⊗ D adds ±D to the four blocks of each pattern pair
    const gs = pr.blockGroups[blk]!;
    for (let x = 0; x < gs.length; x += 2) {
      const i = gs[x]!;
      for (let y = 0; y <= x; y += 2) {
        const o = (i * P + gs[y]!) * dd;
        for (let a = 0; a < dd; a++) Q[o + a] += D[a]!;
      }
    }
  }
  // The group blocks (rows after the samples'), one at a time by the generic elimination.
  let c = 0;
  while (c < R.count && R.block[c]! < pr.n) c++;
  for (let blk = pr.n; blk < blocks; blk++) {
    C.fill(0);
    Et.fill(0);
    K.fill(0);
    const gramRows: number[] = [];
    // Consecutive rows with the same local part l (a group's n cone rows: −ε on a_g) add their E
    // and K terms as one: (Σ_c w_c u_c) lᵀ and (Σ_c w_c) l lᵀ.
    let wsum = 0;
    for (; c < R.count && R.block[c] === blk; c++) {
      const wc = w[c]!;
      const u0 = R.uStart[c]!;
      const u1 = R.uStart[c + 1]!;
      const l0 = R.lStart[c]!;
      const l1 = R.lStart[c + 1]!;
      const coneRow = u1 - u0 === d;
      if (coneRow) gramRows.push(c);
      for (let e = u0; e < u1; e++) {
        const a = R.uIdx[e]!;
        const va = wc * R.uVal[e]!;
        usum[a] += va;
        if (coneRow) continue;
        for (let f = u0; f < u1; f++) C[a * d + R.uIdx[f]!] += va * R.uVal[f]!;
      }
      wsum += wc;
      if (c + 1 < R.count && R.block[c + 1] === blk && sameLocalPart(R, c, c + 1)) continue;
      for (let a = 0; a < d; a++) {
        if (usum[a] === 0) continue;
        for (let f = l0; f < l1; f++) Et[R.lIdx[f]! * d + a] += usum[a]! * R.lVal[f]!;
      }
      for (let e = l0; e < l1; e++) {
        const ko = R.lIdx[e]! * B;
        const wa = wsum * R.lVal[e]!;
        for (let f = l0; f < l1; f++) K[ko + R.lIdx[f]!] += wa * R.lVal[f]!;
      }
      usum.fill(0);
      wsum = 0;
    }
    // A group's cone rows (dense u part c_k = ±x_k; they follow its a ± u rows, which touch
    // only C's diagonal) add Σ_k (w_k c_k) c_kᵀ: off the diagonal (0 before) one product by
    // `times`, the same sums in the same order; on it, added to the a ± u rows' part in order.
    const nr = gramRows.length;
    const left = new Float64Array(d * nr);
    const right = new Float64Array(nr * d);
    gramRows.forEach((row, r) => {
      const u0 = R.uStart[row]!;
      for (let a = 0; a < d; a++) {
        left[a * nr + r] = w[row]! * R.uVal[u0 + a]!;
        right[r * d + a] = R.uVal[u0 + a]!;
      }
    });
    const gram = product(left, right, d, nr, d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) if (b !== a) C[a * d + b] += gram[a * d + b]!;
      for (let r = 0; r < nr; r++) C[a * d + a] += left[a * nr + r]! * right[r * d + a]!;
    }
    // the group's cone block H_g on (r_g, u_g)
    const h = (blk - pr.n) * e1 * e1;
    K[0] += coneH[h]!;
    for (let a = 0; a < d; a++) {
      Et[a] += coneH[h + (1 + a) * e1]!;
      for (let b = 0; b < d; b++) C[a * d + b] += coneH[h + (1 + a) * e1 + 1 + b]!;
    }
    const Lb = cholesky(matrix(B, B, K), 1e-14);
    chols.push(Lb);
    const Fb = F.subarray((blk - pr.n) * B * d, (blk - pr.n + 1) * B * d);
    // F = L⁻¹Eᵀ (B × d, row-major; each column by lowerSolve's operations, `solveRows`)
    Fb.set(Et);
    solveRows(Lb, Fb, d);
    // D = C − FᵀF (FᵀF by linalg's `times`: Σ_k F_ka F_kb in increasing k, symmetric to the
    // last bit)
    for (let a = 0; a < d; a++) for (let k = 0; k < B; k++) Ft[a * B + k] = Fb[k * d + a]!;
    product(Ft, Fb, d, B, d, FtF, true);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++)
        D[a * d + b] = C[a * d + b]! - FtF[b <= a ? a * d + b : b * d + a]!;
    const go = pr.blockGroups[blk]![0]! * d;
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) S[(go + a) * N + go + b] += D[a * d + b]!;
  }
  // Q_ij (j ≤ i) into the lower triangle of S, all that `cholesky` reads: +Q at (v_i, v_j) and
  // (w_i, w_j), −Q at (w_i, v_j) and (w_j, v_i) (Q_ij = Q_ji, each D being symmetric).
  const add = (o: number, row: number, col: number, sign: number) => {
    for (let a = 0; a < d; a++) {
      const so = (row + a) * N + col;
      for (let b = 0; b < d; b++) S[so + b] += sign * Q[o + a * d + b]!;
    }
  };
  for (let i = 0; i < P; i++)
    for (let j = 0; j <= i; j++) {
      const o = (i * P + j) * dd;
      add(o, i * d, j * d, 1);
      add(o, (P + i) * d, (P + j) * d, 1);
      add(o, (P + i) * d, j * d, -1);
      if (j < i) add(o, (P + j) * d, i * d, -1);
    }
  const solveS = cholSolver(cholesky(matrix(N, N, S), 1e-14, true));
  return {
    step(grad: Float64Array): Float64Array {
      // rhs = −g_u + Σ_β m_β ⊗ E_β K_β⁻¹ g_β (groups: Fᵀ(L⁻¹ g_β)).
      const rhs = new Float64Array(N);
      for (let j = 0; j < N; j++) rhs[j] = -grad[j]!;
      const gB = Float64Array.from(grad.subarray(N, N + blocks * B));
      const ft = new Float64Array(d);
      for (let blk = 0; blk < blocks; blk++) {
        if (blk < pr.n) {
          samples.solve(blk, gB, blk * B);
          samples.times(blk, gB, blk * B, ft);
        } else {
          lowerSolve(chols[blk - pr.n]!, gB, blk * B);
          // Fᵀ(L⁻¹ g_β), each entry summed over k in increasing order (F's rows contiguous)
          ft.fill(0);
          for (let k = 0; k < B; k++) {
            const gk = gB[blk * B + k]!;
            const fo = (blk - pr.n) * B * d + k * d;
            for (let a = 0; a < d; a++) ft[a] += F[fo + a]! * gk;
          }
        }
        const gs = pr.blockGroups[blk]!;
        const ss = pr.blockSigns[blk]!;
        for (let a = 0; a < d; a++)
          for (let x = 0; x < gs.length; x++) rhs[gs[x]! * d + a] += ss[x]! * ft[a]!;
      }
      solveS(rhs);
      const step = new Float64Array(grad.length);
      step.set(rhs);
      // Δ_β = −K_β⁻¹(g_β + E_βᵀ (m_βᵀ ⊗ I) Δu) (groups: L⁻ᵀ(−L⁻¹g_β − F (m_βᵀ ⊗ I) Δu)).
      const sums = blockSums(pr, step);
      for (let blk = 0; blk < blocks; blk++) {
        const o = N + blk * B;
        if (blk < pr.n) {
          for (let k = 0; k < B; k++) step[o + k] = -grad[o + k]!;
          samples.subtractTransposed(blk, sums, blk * d, step, o);
          samples.solve(blk, step, o);
          continue;
        }
        const fo = (blk - pr.n) * B * d;
        for (let k = 0; k < B; k++) {
          let t = -gB[blk * B + k]!;
          for (let a = 0; a < d; a++) t -= F[fo + k * d + a]! * sums[blk * d + a]!;
          step[o + k] = t;
        }
        upperSolve(chols[blk - pr.n]!, step, o);
      }
      return step;
    },
  };
}

/**
 * The sample blocks in closed form. Sample n's local variables (t_n, b_n) enter through t_n ≥ 0
 * (weight w₀, local part e₀), the hinge row (w₁; local l = (1, −ε, …, −ε), u part h = y_n x_n) and
 * b_nj ± z_nj ≥ 0 (w±_j; local e_{1+j}, u part ∓e_j). So K = Δ + w₁ l lᵀ with Δ = diag(w₀, s_j),
 * s_j = w+_j + w−_j; E = G + w₁ h lᵀ with G e_{1+j} = g_j e_j, g_j = w−_j − w+_j; C = w₁ h hᵀ +
 * diag(s_j). Sherman–Morrison (K⁻¹ = Δ⁻¹ − c q qᵀ, q = Δ⁻¹l, c = w₁/(1 + w₁ lᵀq)) gives the block's
 * Schur complement C − E K⁻¹ Eᵀ = diag(4 w+_j w−_j / s_j) + c v vᵀ with v = h − Gq: O(d²) per
 * sample where the generic elimination (a (f + 1)³ factorization, digits: 65³) dominated every
 * step, and without the cancellation of s_j − g_j²/s_j when one of b_j ± z_j is active (its weight
 * grows without bound). Solves with K use its factorization L̄ D̄ L̄ᵀ as a rank-one update of Δ
 * instead of that formula, which cancels where w₁ l lᵀ covers a tiny w₀ (iris and breast_cancer
 * stalled at gaps 4e-5 and 5e-4 with it; the test checks residuals at w₀ = 1e-12, w₁ = 1e14).
 */
export function sampleBlocks(pr: Program, w: Float64Array) {
  const { n, d, B, rows: R } = pr;
  const L = B - 1;
  const f = d - 1;
  // Δ and q = Δ⁻¹l of the sample at hand (the methods need only what is kept below)
  const delta = new Float64Array(B);
  const q = new Float64Array(B);
  const g = new Float64Array(n * L);
  const diag = new Float64Array(n * L);
  const v = new Float64Array(n * d);
  const c = new Float64Array(n);
  const dbar = new Float64Array(n * B);
  const betaC = new Float64Array(n * B);
  for (let k = 0; k < n; k++) {
    const hr = pr.hingeRow[k]!;
    const w1 = w[hr]!;
    delta[0] = w[pr.tRow[k]!]!;
    for (let j = 0; j < L; j++) {
      const wp = w[pr.zPlus[k * f + j]!]!;
      const wm = w[pr.zMinus[k * f + j]!]!;
      delta[1 + j] = wp + wm;
      g[k * L + j] = wm - wp;
      diag[k * L + j] = (4 * wp * wm) / (wp + wm);
    }
    let beta = 0;
    for (let e = R.lStart[hr]!; e < R.lStart[hr + 1]!; e++) {
      const a = R.lIdx[e]!;
      q[a] = R.lVal[e]! / delta[a]!;
      beta += R.lVal[e]! * q[a]!;
    }
    c[k] = w1 / (1 + w1 * beta);
    // K = L̄ D̄ L̄ᵀ with L̄_ij = l_i β_j (i > j): the rank-one update of Δ's factorization (Gill,
    // Golub, Murray & Saunders 1974, method C1; stable for a positive update), so that solves with
    // K do not cancel where w₁ l lᵀ covers a tiny Δ entry (t_n ≥ 0 inactive: w₀ → 0)
    let t = 1 / w1;
    for (let e = R.lStart[hr]!, j = 0; j < B; j++, e++) {
      const p = R.lVal[e]!;
      const dj = delta[j]!;
      const next = t + (p * p) / dj;
      dbar[k * B + j] = (dj * next) / t;
      betaC[k * B + j] = p / (dj * next);
      t = next;
    }
    for (let e = R.uStart[hr]!; e < R.uStart[hr + 1]!; e++) v[k * d + R.uIdx[e]!] = R.uVal[e]!;
    for (let j = 0; j < L; j++) v[k * d + j] -= g[k * L + j]! * q[1 + j]!;
  }
  /** h·x over the hinge row's u part, or l·y over its local part. */
  const hingeDot = (k: number, x: Float64Array, xo: number, local: boolean) => {
    const hr = pr.hingeRow[k]!;
    const [start, idx, val] = local ? [R.lStart, R.lIdx, R.lVal] : [R.uStart, R.uIdx, R.uVal];
    let t = 0;
    for (let e = start[hr]!; e < start[hr + 1]!; e++) t += val[e]! * x[xo + idx[e]!]!;
    return t;
  };
  return {
    /** D = C − E K⁻¹ Eᵀ of sample k (d × d). */
    schur(k: number, D: Float64Array): void {
      for (let a = 0; a < d; a++) {
        const ca = c[k]! * v[k * d + a]!;
        for (let b = 0; b < d; b++) D[a * d + b] = ca * v[k * d + b]!;
      }
      for (let j = 0; j < L; j++) D[j * d + j] += diag[k * L + j]!;
    },
    /** y ← K⁻¹ y on the slice y[o, o + B). */
    solve(k: number, y: Float64Array, o: number): void {
      const hr = pr.hingeRow[k]!;
      const l0 = R.lStart[hr]!;
      // forward: u_i = y_i − l_i Σ_{j<i} β_j u_j, y_i = u_i / d̄_i (the hinge row's local part is
      // l_0..l_{B−1} in this order: `buildProgram`)
      let run = 0;
      for (let e = 0; e < B; e++) {
        const u = y[o + e]! - R.lVal[l0 + e]! * run;
        run += betaC[k * B + e]! * u;
        y[o + e] = u / dbar[k * B + e]!;
      }
      // backward: x_i = y_i − β_i Σ_{j>i} l_j x_j
      run = 0;
      for (let e = B - 1; e >= 0; e--) {
        const i = o + e;
        y[i] = y[i]! - betaC[k * B + e]! * run;
        run += R.lVal[l0 + e]! * y[i]!;
      }
    },
    /** out (d) = E y for y = y[o, o + B). */
    times(k: number, y: Float64Array, o: number, out: Float64Array): void {
      out.fill(0);
      const hr = pr.hingeRow[k]!;
      const ly = hingeDot(k, y, o, true);
      for (let e = R.uStart[hr]!; e < R.uStart[hr + 1]!; e++)
        out[R.uIdx[e]!] = w[hr]! * R.uVal[e]! * ly;
      for (let j = 0; j < L; j++) out[j] += g[k * L + j]! * y[o + 1 + j]!;
    },
    /** y[o, o + B) −= Eᵀ s for s = s[so, so + d). */
    subtractTransposed(k: number, s: Float64Array, so: number, y: Float64Array, o: number): void {
      const hr = pr.hingeRow[k]!;
      const hs = w[hr]! * hingeDot(k, s, so, false);
      for (let e = R.lStart[hr]!; e < R.lStart[hr + 1]!; e++) y[o + R.lIdx[e]!] -= R.lVal[e]! * hs;
      for (let j = 0; j < L; j++) y[o + 1 + j] -= g[k * L + j]! * s[so + j]!;
    },
  };
}

/** Whether rows c and c′ have the same local part (indices and values). */
function sameLocalPart(R: Rows, c: number, c2: number): boolean {
  const n = R.lStart[c + 1]! - R.lStart[c]!;
  if (R.lStart[c2 + 1]! - R.lStart[c2]! !== n) return false;
  for (let e = 0; e < n; e++) {
    const x = R.lStart[c]! + e;
    const y = R.lStart[c2]! + e;
    if (R.lIdx[x] !== R.lIdx[y] || R.lVal[x] !== R.lVal[y]) return false;
  }
  return true;
}

/** Σ_c g_c a_c in the layout of v (the blocks' u parts summed into the groups they see). */
function rowsTransposed(pr: Program, g: Float64Array): Float64Array {
  const { N, B, d, blocks, rows: R } = pr;
  const out = new Float64Array(N + blocks * B);
  const gu = new Float64Array(blocks * d);
  for (let c = 0; c < R.count; c++) {
    const gc = g[c]!;
    if (gc === 0) continue;
    const blk = R.block[c]!;
    for (let e = R.uStart[c]!; e < R.uStart[c + 1]!; e++)
      gu[blk * d + R.uIdx[e]!] += gc * R.uVal[e]!;
    const lo = N + blk * B;
    for (let e = R.lStart[c]!; e < R.lStart[c + 1]!; e++) out[lo + R.lIdx[e]!] += gc * R.lVal[e]!;
  }
  for (let blk = 0; blk < blocks; blk++) {
    const gs = pr.blockGroups[blk]!;
    const ss = pr.blockSigns[blk]!;
    for (let x = 0; x < gs.length; x++)
      for (let a = 0; a < d; a++) out[gs[x]! * d + a] += ss[x]! * gu[blk * d + a]!;
  }
  return out;
}

/** The patterns whose gates are strictly inside their robust cones, and their indices. */
function interiorPatterns(p: ConvexProblem, eps: number): { kept: number[]; patterns: Patterns } {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const slack = robustSlacks(p, eps, p.patterns.gates, P);
  const kept: number[] = [];
  for (let i = 0; i < P; i++) {
    let m = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      let zero = true;
      for (let j = 0; j < d; j++) if (p.X.data[k * d + j] !== 0) zero = false;
      if (!(zero && eps === 0)) m = Math.min(m, slack[i * n + k]!);
    }
    if (m > 0) kept.push(i);
  }
  const masks = new Uint8Array(kept.length * n);
  const gates = new Float64Array(kept.length * d);
  kept.forEach((i, a) => {
    masks.set(p.patterns.masks.subarray(i * n, i * n + n), a * n);
    gates.set(p.patterns.gates.subarray(i * d, i * d + d), a * d);
  });
  return { kept, patterns: { count: kept.length, masks, gates } };
}

/**
 * Strictly feasible start: v_i = w_i = g_i/‖g_i‖ (zero fit), b_n = 1 and a_g = |u_g| + half the
 * cone rows' room, and t_n, r_g on the central path at μ0 given those: t_n solves
 * 1 = μ0 (1/t + 1/(t − c)) (its rows t ≥ 0 and t ≥ c = 1 + ε Σ_j b_nj) and r_g solves
 * λ = μ0 r/(r² − ‖u_g‖²), the first entry of ζ_g = μ0 x_g⁻¹.
 */
function startingPoint(q: ConvexProblem, pr: Program, eps: number, mu0: number): Float64Array {
  const { rows: n, cols: d } = q.X;
  const P = q.patterns.count;
  const f = d - 1;
  const v = new Float64Array(pr.N + pr.blocks * pr.B);
  for (let g = 0; g < pr.G; g++) {
    const gate = q.patterns.gates.subarray((g % P) * d, (g % P) * d + d);
    const s = 1 / norm2(gate);
    for (let j = 0; j < d; j++) v[g * d + j] = s * gate[j]!;
  }
  const slack = robustSlacks(q, eps, v);
  const c = 1 + eps * (pr.B - 1);
  for (let k = 0; k < n; k++) {
    const o = pr.N + k * pr.B;
    for (let j = 0; j < pr.B - 1; j++) v[o + 1 + j] = 1;
    v[o] = (c + 2 * mu0 + Math.sqrt(c * c + 4 * mu0 * mu0)) / 2;
  }
  const lambda = q.lambda;
  for (let g = 0; g < pr.G; g++) {
    const o = pr.N + (n + g) * pr.B;
    const uu = norm2(v, g * d, d) ** 2;
    v[o] = (mu0 + Math.sqrt(mu0 * mu0 + 4 * lambda * lambda * uu)) / (2 * lambda);
    let m = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) if (pr.coneRow[g * n + k]! >= 0) m = Math.min(m, slack[g * n + k]!);
    const delta = eps > 0 ? m / (2 * eps * f) : 0;
    for (let j = 0; j < pr.B - 1; j++) v[o + 1 + j] = Math.abs(v[g * d + j]!) + delta;
  }
  return v;
}

/**
 * Flops allowed for one Newton step's factorization, (2Pd)³/3 for the 2Pd × 2Pd Schur complement:
 * iris (d = 5) keeps its 200 draws (N = 2000, ~1 s per step here).
 */
export const ROBUST_NEWTON_BUDGET = 3e9;

/**
 * The default number of robust pattern draws: the largest P ≤ 200 (at least 8) whose Schur
 * complement costs at most ROBUST_NEWTON_BUDGET flops to factorize (iris: 200, synthetic: 173,
 * breast_cancer: 33, digits: 16); a 200-draw breast_cancer system (N = 12400)
 * would cost 6e11 flops per Newton step.
 */
export function defaultRobustPatternCount(d: number): number {
  let P = 200;
  while (P > 8 && (2 * P * d) ** 3 / 3 > ROBUST_NEWTON_BUDGET) P--;
  return P;
}

/** Dual candidate (θ, ξ, μ) from row multipliers, in the layout of `robustLowerBound` (reduced problem). */
function dualCandidate(pr: Program, z: Float64Array, n: number, f: number, eps: number) {
  const theta = Float64Array.from(pr.hingeRow, (c) => z[c]!);
  const xi = new Float64Array(n * f);
  if (eps > 0) for (let j = 0; j < n * f; j++) xi[j] = z[pr.zPlus[j]!]! - z[pr.zMinus[j]!]!;
  const mu = Float64Array.from(pr.coneRow, (c) => (c >= 0 ? z[c]! : 0));
  return { theta, xi, mu };
}

/** Robust hinge program by the primal–dual interior-point method, certified to `tol` (module comment). */
export function robustInteriorPoint(
  p: ConvexProblem,
  eps: number,
  opts: RobustIpmOptions = {},
): RobustIpmResult {
  validateRobustProblem(p, eps, "robustInteriorPoint");
  const t0 = performance.now();
  const { tol = 1e-6, maxIter = 400 } = opts;
  const { rows: n, cols: d } = p.X;
  const f = d - 1;
  const P = p.patterns.count;
  const { kept, patterns } = interiorPatterns(p, eps);
  // blocks of size b (d: weights, n: multipliers) of the kept patterns' v and w, back in place
  const expandBlocks = (xq: Float64Array, b: number) => {
    const x = new Float64Array(2 * P * b);
    const Q = kept.length;
    kept.forEach((i, a) => {
      x.set(xq.subarray(a * b, a * b + b), i * b);
      x.set(xq.subarray((Q + a) * b, (Q + a) * b + b), (P + i) * b);
    });
    return x;
  };
  const expand = (uq: Float64Array) => expandBlocks(uq, d);
  const expandMu = (mq: Float64Array) => expandBlocks(mq, n);
  const trace: TracePoint[] = [];
  const certify = (u: Float64Array, lower: number) => {
    const feasible = shiftIntoRobustCones(p, eps, u).u;
    const loss = worstCaseHinge(p, eps, feasible);
    const objective = loss + groupNorm(p, feasible);
    return { u: feasible, loss, objective, lower, relGap: (objective - lower) / objective };
  };
  if (kept.length === 0) {
    const u = new Float64Array(2 * P * d);
    const c = certify(
      u,
      robustLowerBound(p, eps, new Float64Array(n), undefined, new Float64Array(2 * P * n)),
    );
    return finish(c, false, 0);
  }
  const q: ConvexProblem = { ...p, patterns };
  const pr = buildProgram(q, eps);
  // μ0 = 1, the hinge's scale per sample (steps to 1e-6 on the docs' iris table + the CLI default:
  // μ0 = 0.03: 110, 0.1: 91 + 58, 0.3: 96, 1: 88 + 57; breast_cancer ε = 0.02, P = 20: 0.1: 64,
  // 1: 59; the usual μ0 = objective/degree of a fixed start left the dual so infeasible that the
  // iterates ran out to 1e15 before they turned).
  const mu0 = 1;
  const v = startingPoint(q, pr, eps, mu0);
  const rows = pr.rows.count;
  const G = pr.G;
  const m1 = d + 1;
  const degree = rows + G;
  let s = rowValues(pr, v, true);
  let x = coneParts(pr, v);
  const z = s.map((sc) => mu0 / sc);
  const zeta = new Float64Array(G * m1);
  for (let g = 0; g < G; g++) {
    const xg = x.subarray(g * m1, (g + 1) * m1);
    let det = xg[0]! * xg[0]!;
    for (let a = 1; a < m1; a++) det -= xg[a]! * xg[a]!;
    for (let a = 0; a < m1; a++) zeta[g * m1 + a] = ((a === 0 ? 1 : -1) * mu0 * xg[a]!) / det;
  }
  let iter = 0;
  let best: ReturnType<typeof certify> | undefined;
  let converged = false;
  while (iter < maxIter && !converged) {
    let gap = 0;
    for (let c = 0; c < rows; c++) gap += s[c]! * z[c]!;
    for (let j = 0; j < G * m1; j++) gap += x[j]! * zeta[j]!;
    const mu = gap / degree;
    const scalings = Array.from({ length: G }, (_, g) =>
      ntScaling(x.subarray(g * m1, (g + 1) * m1), zeta.subarray(g * m1, (g + 1) * m1)),
    );
    const coneH = new Float64Array(G * m1 * m1);
    scalings.forEach(({ Winv }, g) => {
      for (let a = 0; a < m1; a++)
        for (let b = 0; b < m1; b++) {
          let t = 0;
          for (let k = 0; k < m1; k++) t += Winv[a * m1 + k]! * Winv[k * m1 + b]!;
          coneH[g * m1 * m1 + a * m1 + b] = t;
        }
    });
    // λ_g ∘ λ_g, shared by every direction of this step
    const squares = scalings.map(({ lambda }) => jordan(lambda, lambda));
    let system: ReturnType<typeof newtonSystem>;
    try {
      system = newtonSystem(
        pr,
        z.map((zc, c) => zc / s[c]!),
        coneH,
      );
    } catch (e) {
      // the Newton matrix lost positive definiteness to rounding (non-finite entries): stop with
      // the best certified point so far, reported as not converged
      if (!(e instanceof Error && e.message.startsWith("cholesky:"))) throw e;
      break;
    }
    iter++;
    // Newton direction for complementarity targets: rows z_c s_c → t_c, cones λ∘(W⁻¹Δx + WΔζ) =
    // T_g − λ∘λ (Nesterov–Todd), i.e. Δζ = W⁻¹ρ − W⁻²Δx with ρ = λ \ (T_g − λ∘λ).
    const direction = (tRows: Float64Array, tCones: Float64Array) => {
      const grad = Float64Array.from(pr.cost);
      const pull = rowsTransposed(
        pr,
        tRows.map((tc, c) => tc / s[c]!),
      );
      for (let j = 0; j < grad.length; j++) grad[j]! -= pull[j]!;
      const rhos = scalings.map(({ lambda }, g) => {
        const target = tCones.slice(g * m1, (g + 1) * m1);
        return jordanSolve(
          lambda,
          target.map((tj, j) => tj - squares[g]![j]!),
        );
      });
      const coneRhs = new Float64Array(G * m1);
      rhos.forEach((rho, g) => {
        const wr = times(scalings[g]!.Winv, rho);
        for (let a = 0; a < m1; a++) coneRhs[g * m1 + a] = zeta[g * m1 + a]! + wr[a]!;
      });
      subtractCones(pr, grad, coneRhs);
      const dv = system.step(grad);
      const ds = rowValues(pr, dv, false);
      const dz = tRows.map((tc, c) => (tc - z[c]! * (s[c]! + ds[c]!)) / s[c]!);
      const dx = coneParts(pr, dv);
      const dzeta = new Float64Array(G * m1);
      rhos.forEach((rho, g) => {
        const { Winv } = scalings[g]!;
        const wdx = times(Winv, dx.subarray(g * m1, (g + 1) * m1));
        const t = times(
          Winv,
          rho.map((rj, j) => rj - wdx[j]!),
        );
        dzeta.set(t, g * m1);
      });
      return { dv, ds, dz, dx, dzeta };
    };
    const maxStep = (dir: ReturnType<typeof direction>, top: number) =>
      coneStep(
        zeta,
        dir.dzeta,
        m1,
        coneStep(x, dir.dx, m1, positiveStep(z, dir.dz, positiveStep(s, dir.ds, top))),
      );
    // Mehrotra predictor (targets 0), centring σ = (μ_aff/μ)³, corrector with the second-order terms
    const aff = direction(new Float64Array(rows), new Float64Array(G * m1));
    const aAff = maxStep(aff, 1);
    let gapAff = 0;
    for (let c = 0; c < rows; c++)
      gapAff += (s[c]! + aAff * aff.ds[c]!) * (z[c]! + aAff * aff.dz[c]!);
    for (let j = 0; j < G * m1; j++)
      gapAff += (x[j]! + aAff * aff.dx[j]!) * (zeta[j]! + aAff * aff.dzeta[j]!);
    const sigma = Math.min(1, Math.max(0, gapAff / gap) ** 3);
    const tRows = aff.ds.map((dsc, c) => sigma * mu - dsc * aff.dz[c]!);
    const tCones = new Float64Array(G * m1);
    scalings.forEach(({ W, Winv }, g) => {
      const a = times(Winv, aff.dx.subarray(g * m1, (g + 1) * m1));
      const b = times(W, aff.dzeta.subarray(g * m1, (g + 1) * m1));
      const ab = jordan(a, b);
      for (let j = 0; j < m1; j++) tCones[g * m1 + j] = (j === 0 ? sigma * mu : 0) - ab[j]!;
    });
    let dir = direction(tRows, tCones);
    let alpha = 0.99 * maxStep(dir, 1 / 0.99);
    // Gondzio's correctors on the rows' products, while they lengthen the step
    for (let k = 0; k < CENTRALITY_CORRECTORS && alpha < 1; k++) {
      const tg = centralityTargets(s, z, dir.ds, dir.dz, alpha, sigma, mu, tRows);
      const next = direction(tg, tCones);
      const a = 0.99 * maxStep(next, 1 / 0.99);
      if (a < 1.01 * alpha) break;
      [dir, alpha] = [next, a];
    }
    // no step representable, or rounding broke the direction: stop with the best certified point
    if (!(alpha > 1e-12) || !dir.dv.every(Number.isFinite)) break;
    for (let j = 0; j < v.length; j++) v[j]! += alpha * dir.dv[j]!;
    for (let c = 0; c < rows; c++) z[c]! += alpha * dir.dz[c]!;
    for (let j = 0; j < G * m1; j++) zeta[j]! += alpha * dir.dzeta[j]!;
    s = rowValues(pr, v, true);
    x = coneParts(pr, v);
    let obj = 0;
    for (let j = 0; j < v.length; j++) obj += pr.cost[j]! * v[j]!;
    trace.push({ iter, objective: obj });
    opts.onIter?.(iter, obj);
    // Any bound is global and any iterate feasible: keep the highest bound and the lowest objective.
    const cand = dualCandidate(pr, z, n, f, eps);
    const lower = robustLowerBound(p, eps, cand.theta, cand.xi, expandMu(cand.mu));
    const c = certify(expand(v.subarray(0, pr.N)), Math.max(lower, best?.lower ?? 0));
    if (!best || c.objective < best.objective) best = c;
    best.lower = c.lower;
    best.relGap = (best.objective - best.lower) / best.objective;
    Object.assign(trace[trace.length - 1]!, { relGap: best.relGap, primal: best.objective });
    // Certified; but groups the solution does not use are still ~μ, not 0: go on (to tol/30 at
    // most) until zeroing them keeps the gap within tol, so the network has only the used neurons.
    converged = best.relGap <= tol && (best.relGap <= tol / 30 || !hasTinyGroups(sparsify(best).u));
    // the path is exhausted to rounding
    if (degree * mu <= 1e-15 * best.objective) break;
  }
  return finish(best ?? certify(expand(v.subarray(0, pr.N)), 0), converged, iter);

  /** Largest group norm of u. */
  function topNorm(u: Float64Array): number {
    let top = 0;
    for (let g = 0; g < 2 * P; g++) top = Math.max(top, norm2(u, g * d, d));
    return top;
  }

  function hasTinyGroups(u: Float64Array): boolean {
    const top = topNorm(u);
    for (let g = 0; g < 2 * P; g++) {
      const r = norm2(u, g * d, d);
      if (r > 0 && r <= 1e-4 * top) return true;
    }
    return false;
  }

  /**
   * Interior iterates are never exactly 0: groups below 1e-8, 1e-6 or 1e-4 × the largest norm are
   * set to 0 (0 is in every cone) while the certified gap stays within max(tol, its value).
   */
  function sparsify(found: ReturnType<typeof certify>): ReturnType<typeof certify> {
    let c = found;
    const top = topNorm(found.u);
    for (const level of [1e-8, 1e-6, 1e-4]) {
      const u = Float64Array.from(found.u);
      for (let g = 0; g < 2 * P; g++)
        if (norm2(u, g * d, d) <= level * top) u.fill(0, g * d, g * d + d);
      const cand = certify(u, found.lower);
      if (cand.relGap <= Math.max(tol, found.relGap)) c = cand;
    }
    return c;
  }

  function finish(
    found: ReturnType<typeof certify>,
    conv: boolean,
    iterations: number,
  ): RobustIpmResult {
    const c = sparsify(found);
    return {
      u: c.u,
      objective: c.objective,
      worstCaseHinge: c.loss,
      lowerBound: c.lower,
      relGap: c.relGap,
      converged: conv,
      iterations,
      minSlack: minRobustSlack(p, eps, c.u),
      dropped: P - kept.length,
      trace,
      ms: performance.now() - t0,
    };
  }
}
