/**
 * Adversarially robust convex training of a two-layer ReLU network against ℓ∞ perturbations of
 * radius ε, hinge loss, labels ±1 (Bai, Gautam & Sojoudi 2022, "Efficient global optimization of
 * two-layer ReLU networks: quadratic-time algorithms and adversarial training").
 *
 * With patterns D_i (d_in ∈ {0, 1}) the robust cones
 *
 *   (2d_in − 1) x_nᵀ v_i ≥ ε ‖v_i‖₁,   (2d_in − 1) x_nᵀ w_i ≥ ε ‖w_i‖₁     for all n, i
 *
 * keep every pattern on the box x_n + δ, ‖δ‖∞ ≤ ε (ℓ1 norms and δ over the feature columns only,
 * the bias column last is not perturbed, as in attack.ts). The network is then linear on the box,
 * f(x_n + δ) = Σ_i d_in (x_n + δ)ᵀ(v_i − w_i), and its worst-case hinge loss is
 *
 *   Σ_n (1 − y_n Σ_i d_in x_nᵀ(v_i − w_i) + ε ‖z_n‖₁)₊,   z_n = Σ_i d_in (v_i − w_i)  (features only),
 *
 * the hinge summed over samples as in losses.ts. The robust program
 *
 *   min Σ_n (1 − y_n (Fu)_n + ε ‖z_n‖₁)₊ + λ Σ_i (‖v_i‖₂ + ‖w_i‖₂)   s.t. the robust cones
 *
 * is convex; at any feasible point its loss term is the exact worst case, over the ε-box, of the
 * hinge loss of the recovered network (`recoverNetwork`), given those patterns: a certificate.
 * For ε = 0 it is the standard hinge program.
 *
 * Solver (`robustTrain`): augmented Lagrangian on the robust cones (outer γ ← (γ − ρc)₊, as in
 * al.ts) with inner FISTA (`fistaLoop`) on a smoothed objective: every |t| in the hinge's ℓ1 term
 * and in the cones is replaced by its Huber function of width μ, and (t)₊ by (huber_μ(t) + t)/2;
 * μ shrinks by a constant factor per outer stage (Nesterov 2005 smoothing; Beck & Teboulle 2012).
 * The last iterate is made exactly feasible by `shiftIntoRobustCones`, and the exact objective of
 * that point is what is reported.
 */
import { InputError } from "../errors.js";
import type { Rng } from "../rng.js";
import { multiplierStep } from "./al.js";
import { fistaLoop, initialState, restartMomentum } from "./fista.js";
import { type Matrix, norm2, timesXt } from "./linalg.js";
import {
  adjoint,
  type ConvexProblem,
  coneFromActivations,
  groupActivations,
  groupCount,
  groupNorm,
  type Patterns,
  predictFromActivations,
  validateProblem,
} from "./problem.js";
import type { TracePoint } from "./result.js";

/** Huber function of width μ: t²/(2μ) for |t| < μ, |t| − μ/2 beyond (|t| for μ = 0); |t| − μ/2 ≤ it ≤ |t|. */
const huber = (t: number, mu: number) =>
  Math.abs(t) >= mu ? Math.abs(t) - mu / 2 : (t * t) / (2 * mu);
/** Its derivative, clip(t/μ, −1, 1) (sign t for μ = 0). */
const huberSlope = (t: number, mu: number) =>
  mu > 0 ? Math.min(1, Math.max(-1, t / mu)) : Math.sign(t);

/** Σ_j huber_μ(u_j) over u[off, off + len) (ℓ1 norm for μ = 0). */
function l1(u: Float64Array, off: number, len: number, mu: number): number {
  let s = 0;
  for (let j = 0; j < len; j++) s += huber(u[off + j]!, mu);
  return s;
}

/**
 * Robust cone slacks c[g, n] = (2d_in − 1) x_nᵀ u_g − ε ‖u_g‖₁ for the first `groups` groups of U
 * (group g belongs to pattern g mod P); with μ > 0 the ℓ1 norm is Huber-smoothed (c only grows).
 */
export function robustSlacks(
  p: ConvexProblem,
  eps: number,
  U: Float64Array,
  groups = groupCount(p),
  mu = 0,
): Float64Array {
  const { rows: n, cols: d } = p.X;
  const c = coneFromActivations(p, timesXt(p.X, U, groups), groups);
  for (let g = 0; g < groups; g++) {
    const r = eps * l1(U, g * d, d - 1, mu); // features only, not the bias
    for (let k = 0; k < n; k++) c[g * n + k] -= r;
  }
  return c;
}

/** Smallest robust cone slack over all groups and samples (≥ 0 iff u is robustly feasible). */
export const minRobustSlack = (p: ConvexProblem, eps: number, u: Float64Array) =>
  robustSlacks(p, eps, u).reduce((m, v) => Math.min(m, v), Number.POSITIVE_INFINITY);

/**
 * Worst-case margins t_n = 1 − y_n (Fu)_n + ε ‖z_n‖₁ (Huber-smoothed for μ > 0) and the
 * n × (d − 1) feature sums z_n = Σ_i d_in (v_i − w_i).
 */
function worstCaseMargins(p: ConvexProblem, eps: number, u: Float64Array, mu: number) {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const m = p.patterns.masks;
  const f = d - 1;
  const z = new Float64Array(n * f);
  for (let i = 0; i < P; i++)
    for (let k = 0; k < n; k++)
      if (m[i * n + k])
        for (let j = 0; j < f; j++) z[k * f + j] += u[i * d + j]! - u[(P + i) * d + j]!;
  const t = predictFromActivations(p, groupActivations(p, u));
  for (let k = 0; k < n; k++) t[k] = 1 - p.y[k]! * t[k]! + eps * l1(z, k * f, f, mu);
  return { t, z };
}

/** The certificate: Σ_n (1 − y_n (Fu)_n + ε ‖z_n‖₁)₊, the worst-case hinge loss on the ε-box. */
export const worstCaseHinge = (p: ConvexProblem, eps: number, u: Float64Array) =>
  worstCaseMargins(p, eps, u, 0).t.reduce((s, v) => s + Math.max(0, v), 0);

/** Robust objective: worst-case hinge + λ Σ_g ‖u_g‖₂ (cones not checked). */
export const robustObjective = (p: ConvexProblem, eps: number, u: Float64Array) =>
  worstCaseHinge(p, eps, u) + groupNorm(p, u);

/**
 * Lower bound on the robust program's optimum by weak duality (exactly computable). With
 * (t)₊ = max_{θ∈[0,1]} θt, θ ε‖z‖₁ ≥ ξᵀz for ‖ξ‖∞ ≤ εθ, cone multipliers μ ≥ 0 and
 * ε M_g ‖u_g‖₁ ≥ η_gᵀu_g for ‖η_g‖∞ ≤ ε M_g (M_g = Σ_n μ_gn, features only), every robustly
 * feasible u has objective ≥ Σ_n θ_n + Σ_g (h_gᵀu_g + λ‖u_g‖₂), where
 *
 *   h_g = Fᵀ(−θ∘y)_g + σ_g Σ_n d_in ξ_n − G_gᵀμ_g + η_g,
 *
 * so the dual is max Σ θ_n s.t. ‖h_g‖₂ ≤ λ. Any candidate (θ, ξ, μ) is made feasible by clipping
 * θ into [0, 1], ξ_n into [−εθ_n, εθ_n] and μ at 0, choosing η_g to minimize ‖h_g‖ (soft
 * thresholding of the feature coordinates at ε M_g) and scaling all by min(1, λ / max_g ‖h_g‖).
 * ξ is n × (d − 1), μ is 2P × n (as `robustSlacks`).
 */
export function robustLowerBound(
  p: ConvexProblem,
  eps: number,
  theta: Float64Array,
  xi: Float64Array | undefined,
  mu: Float64Array,
): number {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const masks = p.patterns.masks;
  const f = d - 1;
  const th = theta.map((v) => Math.min(1, Math.max(0, v)));
  const m = mu.map((v) => Math.max(0, v));
  const h = adjoint(
    p,
    th.map((v, k) => -v * p.y[k]!),
    m.map((v) => -v),
  );
  let worst = 0;
  for (let g = 0; g < 2 * P; g++) {
    const i = g % P;
    const sigma = g < P ? 1 : -1;
    let mass = 0;
    for (let k = 0; k < n; k++) mass += m[g * n + k]!;
    let sq = h[g * d + f]! ** 2;
    for (let j = 0; j < f; j++) {
      let v = h[g * d + j]!;
      if (xi && eps > 0)
        for (let k = 0; k < n; k++) {
          if (!masks[i * n + k]) continue;
          const r = eps * th[k]!;
          v += sigma * Math.min(r, Math.max(-r, xi[k * f + j]!));
        }
      const shrunk = Math.max(0, Math.abs(v) - eps * mass);
      sq += shrunk * shrunk;
    }
    worst = Math.max(worst, Math.sqrt(sq));
  }
  const t = worst > p.lambda ? p.lambda / worst : 1;
  let s = 0;
  for (let k = 0; k < n; k++) s += th[k]!;
  return t * s;
}

/**
 * The smoothed augmented Lagrangian's smooth part, for fistaLoop:
 *   Σ_n (huber_μ(t_n) + t_n)/2 + (1/2ρ) Σ_{g,n} (γ_gn − ρ c̃_gn)₊²,
 * c̃ the Huber-smoothed slacks. Gradient: with a_n = (huber_μ'(t_n) + 1)/2 and m = (γ − ρc̃)₊,
 *   Fᵀ(−a∘y) + Gᵀ(−m)  +  σ_g ε Σ_n d_in a_n huber_μ'(z_n)  +  ε (Σ_n m_gn) huber_μ'(u_g)
 * (the last two on the feature coordinates; σ = +1 for v, −1 for w).
 */
function smoothedLagrangian(
  p: ConvexProblem,
  eps: number,
  mu: number,
  rho: number,
  gamma: Float64Array,
) {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const masks = p.patterns.masks;
  const f = d - 1;
  return (u: Float64Array, grad?: Float64Array) => {
    const { t, z } = worstCaseMargins(p, eps, u, mu);
    const c = robustSlacks(p, eps, u, 2 * P, mu);
    let value = 0;
    for (let k = 0; k < n; k++) {
      value += (huber(t[k]!, mu) + t[k]!) / 2;
      t[k] = -p.y[k]! * ((huberSlope(t[k]!, mu) + 1) / 2); // becomes r = −a∘y
    }
    const mass = new Float64Array(2 * P);
    for (let j = 0; j < c.length; j++) {
      const m = Math.max(0, gamma[j]! - rho * c[j]!);
      value += (m * m) / (2 * rho);
      c[j] = -m;
      mass[Math.floor(j / n)] += m;
    }
    if (!grad) return value;
    adjoint(p, t, c, grad);
    for (let i = 0; i < P; i++) {
      const b = new Float64Array(f);
      for (let k = 0; k < n; k++) {
        if (!masks[i * n + k]) continue;
        const a = -p.y[k]! * t[k]!;
        for (let j = 0; j < f; j++) b[j] += a * huberSlope(z[k * f + j]!, mu);
      }
      for (const [g, sigma] of [
        [i, 1],
        [P + i, -1],
      ] as const)
        for (let j = 0; j < f; j++)
          grad[g * d + j] += eps * (sigma * b[j]! + mass[g]! * huberSlope(u[g * d + j]!, mu));
    }
    return value;
  };
}

/**
 * Exactly feasible point with the same predictions and worst-case margins: pattern i's pair is
 * shifted, (v_i, w_i) ← (v_i + s q, w_i + s q), along the candidate q ∈ {g_i, v_i, w_i} with the
 * largest normalized robust slack min_n c_n(q)/‖q‖ > 0. The slacks are superadditive,
 * c(u + s q) ≥ c(u) + s c(q), so s = max(0, −min c(v_i), −min c(w_i)) / min c(q) suffices.
 * A pair with no such candidate (e.g. a pattern whose robust cone is {0}) is set to zero.
 */
export function shiftIntoRobustCones(
  p: ConvexProblem,
  eps: number,
  u: Float64Array,
): { u: Float64Array; zeroed: number } {
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const out = Float64Array.from(u);
  const slack = robustSlacks(p, eps, out);
  const gateSlack = robustSlacks(p, eps, p.patterns.gates, P);
  const minRow = (c: Float64Array, row: number) => {
    let m = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) m = Math.min(m, c[row * n + k]!);
    return m;
  };
  let zeroed = 0;
  for (let i = 0; i < P; i++) {
    const need = Math.max(0, -minRow(slack, i), -minRow(slack, P + i));
    if (need === 0) continue;
    const candidates = [
      { q: p.patterns.gates.slice(i * d, i * d + d), c: minRow(gateSlack, i) },
      { q: out.slice(i * d, i * d + d), c: minRow(slack, i) },
      { q: out.slice((P + i) * d, (P + i) * d + d), c: minRow(slack, P + i) },
    ];
    let best: { q: Float64Array; c: number } | undefined;
    let bestRatio = 0;
    for (const cand of candidates) {
      const ratio = cand.c / norm2(cand.q);
      if (ratio > bestRatio) {
        bestRatio = ratio;
        best = cand;
      }
    }
    for (const g of [i, P + i])
      for (let j = 0; j < d; j++)
        out[g * d + j] = best ? out[g * d + j]! + (need / best.c) * best.q[j]! : 0;
    if (!best) zeroed++;
  }
  return { u: out, zeroed };
}

/**
 * Patterns whose robust cones are not {0}, for ε > 0: for a Gaussian feature direction a (bias
 * column excluded) the projections x_n·a are sorted and the bias b is placed, uniformly at random,
 * at the midpoint of one of the gaps of width > 2ε‖a‖₁ between them, or 2ε‖a‖₁ below the smallest
 * (all active; the end above would make every neuron inactive). The gate g = (a, b) then has
 * |x_nᵀg| > ε‖a‖₁ for every n: it lies in the interior of its pattern's robust cone. Gaussian gates
 * (`samplePatterns`) usually have a sample within ℓ∞ distance ε of their hyperplane (all 20 on iris
 * at ε = 0.05, tested), so they are not robustly interior. Duplicate patterns are dropped.
 */
export function sampleRobustPatterns(X: Matrix, count: number, eps: number, rng: Rng): Patterns {
  if (!(eps > 0) || !Number.isFinite(eps))
    throw new InputError("eps", `robust patterns need a radius > 0, got ${eps}`);
  const { rows: n, cols: d, data } = X;
  const seen = new Set<string>();
  const masks: number[] = [];
  const gates: number[] = [];
  for (let draw = 0; draw < count; draw++) {
    const a = rng.normals(d - 1);
    const width = 2 * eps * l1(a, 0, d - 1, 0);
    const xa = Array.from({ length: n }, (_, k) => {
      let s = 0;
      for (let j = 0; j < d - 1; j++) s += data[k * d + j]! * a[j]!;
      return s;
    });
    const sorted = [...xa].sort((s, t) => s - t);
    const cuts = [sorted[0]! - width];
    for (let k = 0; k + 1 < n; k++)
      if (sorted[k + 1]! - sorted[k]! > width) cuts.push((sorted[k]! + sorted[k + 1]!) / 2);
    const b = -cuts[Math.floor(rng.uniform() * cuts.length)]!;
    const mask = xa.map((s) => (s + b > 0 ? 1 : 0));
    const key = mask.join("");
    if (seen.has(key)) continue;
    seen.add(key);
    masks.push(...mask);
    gates.push(...a, b);
  }
  return { count: seen.size, masks: Uint8Array.from(masks), gates: Float64Array.from(gates) };
}

export interface RobustOptions {
  /** Outer (augmented-Lagrangian and smoothing) stages (default 20). */
  stages?: number;
  /** FISTA iterations per stage at most (default 1000). */
  innerIter?: number;
  /** Initial Huber width μ₀ (default 0.1), multiplied by `muFactor` (default 0.5) per stage. */
  mu?: number;
  muFactor?: number;
  /** Initial penalty ρ (default 1); ×10 when the smoothed cone violation stalls. */
  rho?: number;
  onIter?: (iter: number, objective: number) => void;
}

export interface RobustResult {
  /** Robustly feasible point (after `shiftIntoRobustCones`). */
  u: Float64Array;
  /** Robust objective at u: worstCaseHinge + λ Σ‖u_g‖. */
  objective: number;
  /** Worst-case hinge loss on the ε-box at u (the certificate for the recovered network). */
  worstCaseHinge: number;
  /** Lower bound on the robust optimum (`robustLowerBound` from the last stage's multipliers). */
  lowerBound: number;
  /** (objective − lowerBound) / objective: a certified relative gap. */
  relGap: number;
  /** Smallest robust cone slack at u (≥ 0 up to rounding). */
  minSlack: number;
  /** Largest smoothed cone violation of the last iterate before the shift. */
  violation: number;
  /** Pattern pairs set to zero by the shift. */
  zeroed: number;
  iterations: number;
  /** Smoothed objectives (FISTA iterates, cones not enforced). */
  trace: TracePoint[];
  ms: number;
}

/** The checks every robust solver makes: a valid hinge problem, not gated, and 0 ≤ ε < ∞. */
export function validateRobustProblem(p: ConvexProblem, eps: number, solver: string): void {
  validateProblem(p);
  if (p.loss.name !== "hinge")
    throw new InputError(
      "loss",
      `robust training is derived for the hinge loss, not ${p.loss.name}`,
    );
  if (!(eps >= 0) || !Number.isFinite(eps))
    throw new InputError("eps", `must be a finite number ≥ 0, got ${eps}`);
  if (p.gated) throw new Error(`${solver}: the robust program is not gated`);
}

/** Robust hinge training (program and solver in the module comment); ε ≥ 0. */
export function robustTrain(p: ConvexProblem, eps: number, opts: RobustOptions = {}): RobustResult {
  validateRobustProblem(p, eps, "robustTrain");
  const t0 = performance.now();
  const { stages = 20, innerIter = 1000, muFactor = 0.5 } = opts;
  let mu = opts.mu ?? 0.1;
  let rho = opts.rho ?? 1;
  const gamma = new Float64Array(2 * p.patterns.count * p.X.rows);
  const state = initialState(p);
  let violation = Number.POSITIVE_INFINITY;
  let lastMu = mu;
  for (let stage = 0; stage < stages; stage++) {
    lastMu = mu;
    fistaLoop(p, smoothedLagrangian(p, eps, mu, rho, gamma), state, innerIter, 1e-10, opts.onIter);
    const { worst, scale } = multiplierStep(
      gamma,
      robustSlacks(p, eps, state.u, 2 * p.patterns.count, mu),
      rho,
    );
    // Raise ρ while the violation stalls, but not once it is small against the slacks: the final
    // shift removes it at a cost of that order, and a huge ρ would stall FISTA.
    if (worst > 0.25 * violation && worst > 1e-6 * scale) rho *= 10;
    violation = worst;
    mu *= muFactor;
    restartMomentum(state);
  }
  const { u, zeroed } = shiftIntoRobustCones(p, eps, state.u);
  const loss = worstCaseHinge(p, eps, u);
  // Dual candidate from the last stage: θ = the smoothed hinge's slope, ξ = εθ·(smoothed sign z),
  // μ = the cone multipliers γ.
  const { t, z } = worstCaseMargins(p, eps, state.u, lastMu);
  const f = p.X.cols - 1;
  const theta = t.map((v) => (huberSlope(v, lastMu) + 1) / 2);
  const xi = z.map((v, j) => eps * theta[Math.floor(j / f)]! * huberSlope(v, lastMu));
  const objective = loss + groupNorm(p, u);
  const lowerBound = robustLowerBound(p, eps, theta, xi, gamma);
  return {
    u,
    objective,
    lowerBound,
    relGap: (objective - lowerBound) / objective,
    worstCaseHinge: loss,
    minSlack: minRobustSlack(p, eps, u),
    violation,
    zeroed,
    iterations: state.iter,
    trace: state.trace,
    ms: performance.now() - t0,
  };
}
