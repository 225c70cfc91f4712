/**
 * Barrier (interior-point) solver for the robust hinge program of robust.ts, certified by the
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
 * Method: primal log-barrier path following (Boyd & Vandenberghe 2004, §11.3): Newton's method with
 * backtracking on τ(Σt + λΣr) − Σ log(rows) − Σ_g log(r_g² − ‖u_g‖²), τ ×3 per stage (short
 * stages: with ×10 and more the damped Newton phase after each increase dominated). The Hessian
 * is block-arrow: every row touches u and at most one local block (sample n or group g), so the
 * local blocks ((f + 1) × (f + 1)) are eliminated and the Newton step solves the 2Pd × 2Pd Schur
 * complement in u by Cholesky (`cholesky`, with its pivot guard). After each stage the row
 * multipliers μ_c = (1 − a_cᵀΔ/s_c)/(τ s_c) (Δ the Newton step there) give (θ, ξ, μ) for
 * `robustLowerBound`; the certified relative gap is (objective(u) − bound)/objective(u), with the
 * objective evaluated exactly (`robustObjective`) at the iterate.
 *
 * Patterns whose gate is not strictly inside its robust cone (min_n slack ≤ 0, e.g. Gaussian gates
 * at ε > 0) get u = 0 and no variables (`dropped`); the bound is still computed on the whole program
 * (their μ = 0), so it stays valid and is only weaker if such a pattern's cone is not {0}.
 */
import { cholesky, type Matrix, matrix, norm2 } from "./linalg.js";
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
  /** Newton steps at most, all stages together (default 400). */
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

/** The barrier program on the kept patterns. */
interface Program {
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
  zPlus: Int32Array;
  zMinus: Int32Array;
  coneRow: Int32Array;
  n: number;
  G: number;
  cost: Float64Array;
}

function buildProgram(p: ConvexProblem, eps: number): Program {
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
    row(k, 0, [], [[0, 1]]);
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

/** SOC margins q_g = r_g² − ‖u_g‖². */
function socMargins(pr: Program, v: Float64Array): Float64Array {
  const q = new Float64Array(pr.G);
  for (let g = 0; g < pr.G; g++)
    q[g] = v[pr.N + (pr.n + g) * pr.B]! ** 2 - norm2(v, g * pr.d, pr.d) ** 2;
  return q;
}

/** Barrier value at v (+∞ outside the domain). */
function barrier(pr: Program, v: Float64Array, tau: number): number {
  const s = rowValues(pr, v, true);
  const q = socMargins(pr, v);
  let phi = 0;
  for (let j = 0; j < v.length; j++) phi += tau * pr.cost[j]! * v[j]!;
  for (const value of s) {
    if (!(value > 0)) return Number.POSITIVE_INFINITY;
    phi -= Math.log(value);
  }
  for (let g = 0; g < pr.G; g++) {
    if (!(q[g]! > 0) || !(v[pr.N + (pr.n + g) * pr.B]! > 0)) return Number.POSITIVE_INFINITY;
    phi -= Math.log(q[g]!);
  }
  return phi;
}

/**
 * Newton step −∇²φ⁻¹∇φ at v by block elimination; also returns the gradient. Block β's rows give
 * C (d × d, in its view of u), E (d × B) and K (B × B); with K = L Lᵀ and F = L⁻¹Eᵀ the Schur
 * complement gains (m_β m_βᵀ) ⊗ (C − FᵀF), m_β the block's signed group indicator.
 */
function newtonStep(
  pr: Program,
  v: Float64Array,
  tau: number,
): { step: Float64Array; grad: Float64Array } {
  const { N, B, d, blocks, rows: R } = pr;
  const s = rowValues(pr, v, true);
  const grad = Float64Array.from(pr.cost, (c) => tau * c);
  const C = new Float64Array(blocks * d * d);
  const E = new Float64Array(blocks * d * B);
  const K = new Float64Array(blocks * B * B);
  const gc = new Float64Array(blocks * d);
  for (let c = 0; c < R.count; c++) {
    const inv = 1 / s[c]!;
    const w = inv * inv;
    const blk = R.block[c]!;
    const lo = N + blk * B;
    const u0 = R.uStart[c]!;
    const u1 = R.uStart[c + 1]!;
    const l0 = R.lStart[c]!;
    const l1 = R.lStart[c + 1]!;
    for (let e = u0; e < u1; e++) {
      const a = R.uIdx[e]!;
      const va = w * R.uVal[e]!;
      gc[blk * d + a] -= inv * R.uVal[e]!;
      for (let f = u0; f < u1; f++) C[blk * d * d + a * d + R.uIdx[f]!] += va * R.uVal[f]!;
      for (let f = l0; f < l1; f++) E[blk * d * B + a * B + R.lIdx[f]!] += va * R.lVal[f]!;
    }
    for (let e = l0; e < l1; e++) {
      grad[lo + R.lIdx[e]!] -= inv * R.lVal[e]!;
      const wa = w * R.lVal[e]!;
      for (let f = l0; f < l1; f++) K[blk * B * B + R.lIdx[e]! * B + R.lIdx[f]!] += wa * R.lVal[f]!;
    }
  }
  for (let g = 0; g < pr.G; g++) {
    const blk = pr.n + g;
    const ri = N + blk * B;
    const r = v[ri]!;
    const q = r * r - norm2(v, g * d, d) ** 2;
    const q2 = q * q;
    grad[ri] -= (2 * r) / q;
    K[blk * B * B] += (4 * r * r) / q2 - 2 / q;
    for (let a = 0; a < d; a++) {
      const ua = v[g * d + a]!;
      gc[blk * d + a] += (2 * ua) / q;
      E[blk * d * B + a * B] += (-4 * r * ua) / q2;
      for (let b = 0; b < d; b++) C[blk * d * d + a * d + b] += (4 * ua * v[g * d + b]!) / q2;
      C[blk * d * d + a * d + a] += 2 / q;
    }
  }
  const S = new Float64Array(N * N);
  const chols: Matrix[] = [];
  const F = new Float64Array(blocks * B * d);
  const D = new Float64Array(d * d);
  for (let blk = 0; blk < blocks; blk++) {
    const Lb = cholesky(matrix(B, B, K.subarray(blk * B * B, (blk + 1) * B * B)), 1e-14);
    chols.push(Lb);
    const Fb = F.subarray(blk * B * d, (blk + 1) * B * d);
    // F = L⁻¹Eᵀ (B × d, row-major): column a is L⁻¹ E[a, :].
    const col = new Float64Array(B);
    for (let a = 0; a < d; a++) {
      for (let k = 0; k < B; k++) col[k] = E[blk * d * B + a * B + k]!;
      forward(Lb, col, 0);
      for (let k = 0; k < B; k++) Fb[k * d + a] = col[k]!;
    }
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        let sub = 0;
        for (let k = 0; k < B; k++) sub += Fb[k * d + a]! * Fb[k * d + b]!;
        D[a * d + b] = C[blk * d * d + a * d + b]! - sub;
      }
    const gs = pr.blockGroups[blk]!;
    const ss = pr.blockSigns[blk]!;
    for (let x = 0; x < gs.length; x++) {
      const go = gs[x]! * d;
      const gsx = ss[x]!;
      for (let z = 0; z < gs.length; z++) {
        const ho = gs[z]! * d;
        const sign = gsx * ss[z]!;
        for (let a = 0; a < d; a++) {
          const so = (go + a) * N + ho;
          for (let b = 0; b < d; b++) S[so + b] += sign * D[a * d + b]!;
        }
      }
      for (let a = 0; a < d; a++) grad[go + a] += gsx * gc[blk * d + a]!;
    }
  }
  // rhs = −g_u + Σ_β m_β ⊗ Fᵀ(L⁻¹ g_β).
  const rhs = new Float64Array(N);
  for (let j = 0; j < N; j++) rhs[j] = -grad[j]!;
  const gB = new Float64Array(blocks * B);
  for (let blk = 0; blk < blocks; blk++) {
    for (let k = 0; k < B; k++) gB[blk * B + k] = grad[N + blk * B + k]!;
    forward(chols[blk]!, gB, blk * B);
    const gs = pr.blockGroups[blk]!;
    const ss = pr.blockSigns[blk]!;
    for (let a = 0; a < d; a++) {
      let t = 0;
      for (let k = 0; k < B; k++) t += F[blk * B * d + k * d + a]! * gB[blk * B + k]!;
      for (let x = 0; x < gs.length; x++) rhs[gs[x]! * d + a] += ss[x]! * t;
    }
  }
  const LS = cholesky(matrix(N, N, S), 1e-14);
  forward(LS, rhs, 0);
  backward(LS, rhs, 0);
  const step = new Float64Array(v.length);
  step.set(rhs);
  // Δ_β = L⁻ᵀ(−L⁻¹g_β − F (m_βᵀ ⊗ I) Δu).
  const sums = blockSums(pr, step);
  for (let blk = 0; blk < blocks; blk++) {
    const o = N + blk * B;
    for (let k = 0; k < B; k++) {
      let t = -gB[blk * B + k]!;
      for (let a = 0; a < d; a++) t -= F[blk * B * d + k * d + a]! * sums[blk * d + a]!;
      step[o + k] = t;
    }
    backward(chols[blk]!, step, o);
  }
  return { step, grad };
}

/** L y = b in place on b[off, off + L.rows). */
function forward(L: Matrix, b: Float64Array, off: number): void {
  const m = L.rows;
  for (let i = 0; i < m; i++) {
    let s = b[off + i]!;
    for (let j = 0; j < i; j++) s -= L.data[i * m + j]! * b[off + j]!;
    b[off + i] = s / L.data[i * m + i]!;
  }
}

/** Lᵀ x = b in place on b[off, off + L.rows). */
function backward(L: Matrix, b: Float64Array, off: number): void {
  const m = L.rows;
  for (let i = m - 1; i >= 0; i--) {
    let s = b[off + i]!;
    for (let j = i + 1; j < m; j++) s -= L.data[j * m + i]! * b[off + j]!;
    b[off + i] = s / L.data[i * m + i]!;
  }
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

/** Strictly feasible start: v_i = w_i = g_i/‖g_i‖ (zero fit), locals with unit margins. */
function startingPoint(q: ConvexProblem, pr: Program, eps: number): Float64Array {
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
  for (let k = 0; k < n; k++) {
    const o = pr.N + k * pr.B;
    for (let j = 0; j < pr.B - 1; j++) v[o + 1 + j] = 1;
    v[o] = 2 + eps * (pr.B - 1);
  }
  for (let g = 0; g < pr.G; g++) {
    const o = pr.N + (n + g) * pr.B;
    v[o] = 2;
    let m = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) if (pr.coneRow[g * n + k]! >= 0) m = Math.min(m, slack[g * n + k]!);
    const delta = eps > 0 ? m / (2 * eps * f) : 0;
    for (let j = 0; j < pr.B - 1; j++) v[o + 1 + j] = Math.abs(v[g * d + j]!) + delta;
  }
  return v;
}

/** Dual candidate (θ, ξ, μ) from row multipliers, in the layout of `robustLowerBound` (reduced problem). */
function dualCandidate(pr: Program, z: Float64Array, n: number, f: number, eps: number) {
  const theta = Float64Array.from(pr.hingeRow, (c) => z[c]!);
  const xi = new Float64Array(n * f);
  if (eps > 0) for (let j = 0; j < n * f; j++) xi[j] = z[pr.zPlus[j]!]! - z[pr.zMinus[j]!]!;
  const mu = Float64Array.from(pr.coneRow, (c) => (c >= 0 ? z[c]! : 0));
  return { theta, xi, mu };
}

/** Robust hinge program by the barrier method, certified to `tol` (module comment). */
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
  let v = startingPoint(q, pr, eps);
  const m = pr.rows.count + 2 * pr.G;
  let objective0 = 0;
  for (let j = 0; j < v.length; j++) objective0 += pr.cost[j]! * v[j]!;
  let tau = m / objective0;
  let iter = 0;
  let best: ReturnType<typeof certify> | undefined;
  let converged = false;
  while (iter < maxIter && !converged) {
    // Centering: Newton with backtracking until the decrement λ²/2 ≤ 1e-2 (the bound uses the
    // corrected multipliers, so loose centering costs little; iris: 192 steps to 4e-7 vs 400 to 9e-6
    // with λ²/2 ≤ 1e-8 and τ ×10).
    let step: Float64Array;
    for (;;) {
      let ns: ReturnType<typeof newtonStep>;
      try {
        ns = newtonStep(pr, v, tau);
      } catch (e) {
        // the Newton matrix lost positive definiteness to rounding (non-finite entries): stop with
        // the best certified point so far, reported as not converged
        if (!(e instanceof Error && e.message.startsWith("cholesky:"))) throw e;
        return finish(best ?? certify(expand(v.subarray(0, pr.N)), 0), false, iter);
      }
      step = ns.step;
      let slope = 0;
      for (let j = 0; j < v.length; j++) slope += ns.grad[j]! * step[j]!;
      if (-slope / 2 <= 1e-2 || iter >= maxIter) break;
      iter++;
      const phi = barrier(pr, v, tau);
      let alpha = 1;
      let next = v;
      for (let tries = 0; tries < 60; tries++, alpha /= 2) {
        const cand = v.map((x, j) => x + alpha * step[j]!);
        if (barrier(pr, cand, tau) <= phi + 0.25 * alpha * slope) {
          next = cand;
          break;
        }
      }
      if (next === v) break; // no decrease representable: centered to rounding
      v = next;
      let obj = 0;
      for (let j = 0; j < v.length; j++) obj += pr.cost[j]! * v[j]!;
      trace.push({ iter, objective: obj });
      opts.onIter?.(iter, obj);
    }
    // Multipliers μ_c = (1 − a_cᵀΔ/s_c)/(τ s_c) and the plain 1/(τ s_c); the better bound counts.
    const s = rowValues(pr, v, true);
    const as = rowValues(pr, step, false);
    let lower = 0;
    for (const corrected of [false, true]) {
      const z = s.map((sc, c) => (corrected ? 1 - as[c]! / sc : 1) / (tau * sc));
      const cand = dualCandidate(pr, z, n, f, eps);
      lower = Math.max(lower, robustLowerBound(p, eps, cand.theta, cand.xi, expandMu(cand.mu)));
    }
    // Any bound is global and any iterate feasible: keep the highest bound and the lowest objective.
    const c = certify(expand(v.subarray(0, pr.N)), Math.max(lower, best?.lower ?? 0));
    if (!best || c.objective < best.objective) best = c;
    best.lower = c.lower;
    best.relGap = (best.objective - best.lower) / best.objective;
    const last = trace[trace.length - 1];
    if (last) Object.assign(last, { relGap: best.relGap, primal: best.objective });
    // Certified; but groups the solution does not use are still ~μ, not 0: go on (to tol/30 at
    // most) until zeroing them keeps the gap within tol, so the network has only the used neurons.
    converged = best.relGap <= tol && (best.relGap <= tol / 30 || !hasTinyGroups(sparsify(best).u));
    if (m / tau <= 1e-13 * best.objective) break; // the path is exhausted to rounding
    tau *= 3;
  }
  return finish(best!, converged, iter);

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
