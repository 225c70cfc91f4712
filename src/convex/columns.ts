/**
 * Column generation over activation patterns. At λ of interest the ReLU program's optimum uses few
 * of its P patterns (iris, synthetic, breast_cancer at the CLI default λ = 0.1 λ_max: 5, 10 and 6 of
 * 193–200), so it is solved on a working set S of patterns and S is grown by pricing: with (θ, μ)
 * the restricted solve's dual certificate, pattern i ∉ S can lower the objective iff its dual
 * constraint min_{μ≥0} ‖σ XᵀD_iθ + A_iᵀμ‖ ≤ λ fails for σ = +1 (group u_i) or −1 (group v_i), A_i
 * the rows (2D_i − I)X of its cone K_i; by Moreau's decomposition that minimum is
 * ‖Π_{K_i}(σ XᵀD_iθ)‖ (projection by Hildreth's method, `leastNormInCone`), and the projection's
 * multipliers are the μ_g that the certificate of the whole program needs for the groups left out.
 * Every restricted point is a point of the whole program (zero weights off S), so the certificate
 * of the embedded point against (θ, μ) is a certificate of the whole program: the working set is
 * only a way to get there, never an approximation.
 */
import { type Certificate, certificate } from "./certificate.js";
import { norm2 } from "./linalg.js";
import { adjoint, type ConvexProblem, type Patterns, zeroPrices } from "./problem.js";
import { leastNormInCone, rowNorms2 } from "./recover.js";
import type { SolveResult, SolverOptions, TracePoint } from "./result.js";

/** The patterns `keep` of `patterns`, in that order. */
export function subsetPatterns(patterns: Patterns, keep: number[], n: number, d: number): Patterns {
  const masks = new Uint8Array(keep.length * n);
  const gates = new Float64Array(keep.length * d);
  keep.forEach((i, j) => {
    masks.set(patterns.masks.subarray(i * n, i * n + n), j * n);
    gates.set(patterns.gates.subarray(i * d, i * d + d), j * d);
  });
  return { count: keep.length, masks, gates };
}

/** The ReLU program on the patterns `keep` only. */
export const restrictTo = (p: ConvexProblem, keep: number[]): ConvexProblem => ({
  ...p,
  gated: false,
  patterns: subsetPatterns(p.patterns, keep, p.X.rows, p.X.cols),
});

/**
 * Maps per-group rows between the whole program (2P groups: u_i then v_i) and the restricted one
 * on `keep` (2S groups in the same order): `embed` fills zeros off `keep`, `restrict` drops them.
 * `width` is the length of one group's row (d for weights, n for cone multipliers).
 */
export const embed = (P: number, keep: number[], sub: Float64Array, width: number) =>
  moveGroups(P, keep, sub, width, true);

export const restrict = (P: number, keep: number[], full: Float64Array, width: number) =>
  moveGroups(P, keep, full, width, false);

/** Group rows of `src` copied to the whole program's places (`toWhole`) or to the restricted ones. */
function moveGroups(
  P: number,
  keep: number[],
  src: Float64Array,
  width: number,
  toWhole: boolean,
): Float64Array {
  const S = keep.length;
  const out = new Float64Array(2 * (toWhole ? P : S) * width);
  keep.forEach((i, j) => {
    for (const [whole, sub] of [
      [i, j],
      [P + i, S + j],
    ] as const) {
      const [from, to] = toWhole ? [sub, whole] : [whole, sub];
      out.set(src.subarray(from * width, (from + 1) * width), to * width);
    }
  });
  return out;
}

/**
 * Prices of the patterns of p at θ: max over σ = ±1 of ‖Π_{K_i}(σ XᵀD_iθ)‖ / λ (> 1: the pattern
 * can lower the ReLU objective), with the projection multipliers μ (2P × n, group u_i for σ = +1,
 * v_i for σ = −1). Patterns in `skip` are left at price 0, μ = 0. `lazy`: a group with
 * ‖σ XᵀD_iθ‖ ≤ λ is not projected (the projection is no longer: price ≤ 1, μ = 0 certifies it),
 * and a projection stops once ‖σ XᵀD_iθ + A_iᵀμ‖ ≤ (1 − LAZY_MARGIN) λ (any μ ≥ 0 bounds the
 * price from above, and certifies the group): the price is then an upper bound below 1.
 */
export function priceGroups(
  p: ConvexProblem,
  theta: Float64Array,
  { skip, sweeps = 50, lazy = true }: { skip?: Set<number>; sweeps?: number; lazy?: boolean } = {},
): { prices: Float64Array; mu: Float64Array } {
  const { rows: n, cols: d, data: x } = p.X;
  const P = p.patterns.count;
  const h = adjoint({ ...p, gated: true }, theta, undefined);
  const rowNorm2 = rowNorms2(p.X);
  const prices = new Float64Array(P);
  const mu = new Float64Array(2 * P * n);
  for (let i = 0; i < P; i++) {
    if (skip?.has(i)) continue;
    for (const sigma of [1, -1]) {
      const hi = h.subarray(i * d, i * d + d).map((v) => sigma * v);
      const plain = norm2(hi, 0, d) / p.lambda;
      if (lazy && plain <= 1) {
        prices[i] = Math.max(prices[i]!, plain);
        continue;
      }
      // b_k = −a_k·h: Π_K(h) = h + z with z the least-norm solution of a_k·z ≥ b_k.
      const b = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        let a = 0;
        for (let j = 0; j < d; j++) a += x[k * d + j]! * hi[j]!;
        b[k] = -(p.patterns.masks[i * n + k] ? a : -a);
      }
      const bound = (1 - LAZY_MARGIN) * p.lambda;
      const proj = leastNormInCone(
        p,
        i,
        b,
        rowNorm2,
        sweeps,
        10,
        lazy ? (z) => shiftedNorm(hi, z) <= bound : undefined,
      );
      for (let j = 0; j < d; j++) hi[j] = hi[j]! + proj.z[j]!;
      prices[i] = Math.max(prices[i]!, norm2(hi, 0, d) / p.lambda);
      mu.set(proj.mu, (sigma === 1 ? i : P + i) * n);
    }
  }
  return { prices, mu };
}

/** ‖h + z‖. */
function shiftedNorm(h: Float64Array, z: Float64Array): number {
  let s = 0;
  for (let j = 0; j < h.length; j++) s += (h[j]! + z[j]!) ** 2;
  return Math.sqrt(s);
}

/** Relative margin below 1 at which a lazy projection stops (`priceGroups`). */
const LAZY_MARGIN = 1e-3;

/** `priceGroups`' prices, every group projected. */
export const patternPrices = (p: ConvexProblem, theta: Float64Array): Float64Array =>
  priceGroups(p, theta, { lazy: false }).prices;

/** The dual pair (θ, μ) a certificate was computed from (μ: groups × n cone multipliers). */
export interface Dual {
  theta: Float64Array;
  mu: Float64Array;
}

/**
 * A restricted solver: its result carries the dual pair its certificate used; `stop` (called with
 * each certified gap and its dual pair) may end it early.
 */
export type RestrictedSolver = (
  q: ConvexProblem,
  opts: SolverOptions & {
    start?: Float64Array;
    stop?: (relGap: number, dual: Dual) => boolean;
  },
) => SolveResult & { dual: Dual };

export interface WorkingSetOptions extends SolverOptions {
  /** A point of the whole program to start from (its non-zero patterns join the first set). */
  start?: Float64Array;
  /** Patterns of the first working set (default `INITIAL_SET`, the best priced at u = 0). */
  initial?: number;
  /** A pattern joins when its price exceeds 1 + this (default 1e-6). */
  priceTol?: number;
  /** Pricing rounds after the first solve (default: until none violates or maxIter is spent). */
  rounds?: number;
}

/** Size of the first working set (patterns with the largest ‖XᵀD_iθ₀‖, θ₀ = −∇ℓ(0)). */
export const INITIAL_SET = 10;

/**
 * A restricted solve is priced once when its certified gap first reaches this, and ended there if
 * some pattern violates (the set changes, so solving it further would be wasted); otherwise it
 * goes on to the tolerance. Newton steps to a certified 1e-6 summed over 9 solves (squared at
 * 0.1 λ_max: n = 1000 of bench/convex.ts and iris, breast_cancer, synthetic, digits at the CLI's
 * defaults; logistic and hinge on iris and synthetic), by value: 1e-2: 354 (n = 1000: 58 in 4
 * rounds); 3e-2: 337; 1e-1: 318 (46 in 3); 3e-1: 301 (45 in 3); 1: 336 (80 in 10: a dual that
 * loose prices in patterns the optimum does not use). Over 8 logistic solves at 0.01 and 0.001
 * λ_max (iris and synthetic, P = 50 and 200): 1e-2: 599, 1e-1: 507. The hinge's restricted duals
 * are poor until its objective settles (`hingeDualFromPrimal`): on the same 8 settings 1e-1 left 3
 * solves uncertified in 300 steps (1e-2: 3, but not synthetic P = 200 at 0.01 λ_max) and took
 * 1521 steps against 1278. So 1e-1 for smooth losses (a margin from the edge at 1), 1e-2 for hinge.
 */
const roundTol = (p: ConvexProblem) => (p.loss.name === "hinge" ? 1e-2 : 1e-1);

/**
 * Between rounds, patterns whose larger group norm is below this fraction of the largest leave the
 * set (pricing brings them back if they are needed; once back, they stay). n = 1000, d = 50, P = 100 (bench/convex.ts):
 * the third round had 36 patterns, the optimum uses 22; pruned, the last round took 12 Newton steps
 * on 23 patterns.
 */
const PRUNE = 1e-2;

/**
 * The program solved on a growing working set of patterns (`solve` on each restricted program,
 * warm-started from the previous solution), certified on the whole program after each solve. At
 * most max(INITIAL_SET, |S|) of the most violating patterns join per round, so a poor early θ does
 * not pull in every pattern. `maxIter` bounds the solver iterations of all rounds together.
 * Returns the whole program's point, certificate and the rounds' concatenated trace, plus the
 * final working set.
 */
export function workingSetSolve(
  p: ConvexProblem,
  solve: RestrictedSolver,
  opts: WorkingSetOptions = {},
): SolveResult & { dual: Dual; active: number[]; rounds: number } {
  const t0 = performance.now();
  const {
    tol = 1e-6,
    maxIter = 200,
    priceTol = 1e-6,
    rounds: most = Number.POSITIVE_INFINITY,
    onIter,
    initial = INITIAL_SET,
    start: from,
    ...solverOpts
  } = opts;
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  let active = firstSet(p, initial, from);
  let start = from && restrict(P, active, from, d);
  const trace: TracePoint[] = [];
  let iterations = 0;
  let rounds = 0;
  let best: { u: Float64Array; certificate: Certificate; dual: Dual } | undefined;
  let again = false;
  const left = new Set<number>();
  for (;;) {
    rounds++;
    const done = iterations;
    const inSet = new Set(active);
    let priced = active.length === P || again;
    let stopped = false;
    let early: { theta: Float64Array; prices: Float64Array; mu: Float64Array } | undefined;
    const r = solve(restrictTo(p, active), {
      ...solverOpts,
      tol,
      maxIter: maxIter - done,
      start,
      onIter: onIter && ((i, objective) => onIter(done + i, objective)),
      stop: (gap, dual) => {
        if (priced || gap > roundTol(p)) return false;
        priced = true;
        early = { theta: dual.theta, ...priceGroups(p, dual.theta, { skip: inSet }) };
        stopped = early.prices.some((v) => v > 1 + priceTol);
        return stopped;
      },
    });
    iterations += r.iterations;
    for (const t of r.trace) trace.push({ ...t, iter: t.iter + done });
    const u = embed(P, active, r.u, d);
    // (the solve's best iterate is usually the one the stop priced)
    const { prices, mu } =
      early?.theta === r.dual.theta ? early : priceGroups(p, r.dual.theta, { skip: inSet });
    // pricing leaves the set's groups at 0, the embedding everything else
    const restricted = embed(P, active, r.dual.mu, n);
    for (let j = 0; j < mu.length; j++) mu[j] += restricted[j]!;
    const cert = certificate(p, u, r.dual.theta, mu);
    if (!best || cert.relGap < best.certificate.relGap)
      best = { u, certificate: cert, dual: { theta: r.dual.theta, mu } };
    const converged = cert.relGap <= tol;
    const out = [...prices.keys()].filter((i) => prices[i]! > 1);
    out.sort((a, b) => prices[b]! - prices[a]!);
    // marginal prices (1, 1 + priceTol] join only when the restricted solve converged and nothing
    // else is left to decide the gap
    const violators = out.filter((i) => prices[i]! > 1 + priceTol);
    const joining = (violators.length > 0 || !r.converged ? violators : out).slice(
      0,
      Math.max(INITIAL_SET, active.length),
    );
    // a solve ended early whose final dual prices nothing in is solved again, to the tolerance
    again = stopped && joining.length === 0;
    if (converged || iterations >= maxIter || rounds > most || (joining.length === 0 && !again))
      return {
        ...best,
        iterations,
        converged,
        trace,
        ms: performance.now() - t0,
        active,
        rounds,
      };
    const size = (i: number) => patternSize(u, P, i, d);
    const top = Math.max(...active.map(size));
    // a pattern leaves at most once, so the set cannot cycle (on degenerate programs, e.g. all
    // patterns of 12 points, near-duplicate patterns took turns and 30 rounds did not converge)
    const kept = active.filter((i) => size(i) >= PRUNE * top || left.has(i));
    for (const i of active) if (!kept.includes(i)) left.add(i);
    active = [...kept, ...joining];
    start = restrict(P, active, u, d);
  }
}

/** The patterns non-zero in `start` and then the best priced at u = 0 (`zeroPrices`), `size` in all (at least). */
function firstSet(p: ConvexProblem, size: number, start?: Float64Array): number[] {
  const P = p.patterns.count;
  const used = new Set<number>();
  if (start) for (let i = 0; i < P; i++) if (patternSize(start, P, i, p.X.cols) > 0) used.add(i);
  const score = zeroPrices(p);
  for (const i of [...score.keys()].sort((a, b) => score[b]! - score[a]!)) {
    if (used.size >= size) break;
    used.add(i);
  }
  return [...used].sort((a, b) => a - b);
}

/** The larger of pattern i's two group norms in u (2P groups of length d). */
const patternSize = (u: Float64Array, P: number, i: number, d: number) =>
  Math.max(norm2(u, i * d, d), norm2(u, (P + i) * d, d));
