/**
 * Primal-dual interior-point method (Mehrotra predictor–corrector; Nocedal & Wright 2006, §14.2,
 * §19.3) for the ReLU program with a smooth or hinge loss, min ℓ(Fu) + λ Σ_g ‖u_g‖ s.t. s = Gu ≥ 0.
 *
 * Cone rows are treated primal-dual: multipliers z ≥ 0 with s ∘ z → target (μ = sᵀz/m, target
 * σμ plus Mehrotra's second-order correction, σ = (μ_aff/μ)³; then up to three of Gondzio's
 * centrality correctors (Gondzio 1996), which reuse the factorization and lengthen the step). The group
 * norms are treated by their second-order-cone barrier with the epigraph variable eliminated in closed
 * form: for c = τλ (τ = 1/(σμ)) and q = √(1 + c² r), min_t τλt − log(t² − r) is ψ_τ(r) = q − log(1 + q)
 * (+ const) at t = (1 + q)/c, so ∇ = 2ψ' u, ∇² = 2ψ' I + 4ψ'' u uᵀ with 2ψ' = c²/(1 + q),
 * 4ψ'' = −c⁴/(q (1 + q)²) (positive definite: the u-direction curvature is c²/(q (1 + q))).
 * Cone rows of a zero data row are identically 0 ≥ 0 and are left out.
 *
 * Newton matrix, scaled by τ: τ FᵀΛF + H, H = blockdiag(H_g),
 * H_g = ∇²ψ_τ(u_g) + τ Xᵀ diag(z_g/s_g) X, Λ = ℓ''(Fu) diagonal. F couples the groups only
 * through the n predictions, so (Woodbury) with e = τΛFΔ:
 *
 *   ((τΛ)⁻¹ + Σ_i D_i X K_i Xᵀ D_i) e = Σ_i D_i X b_i,   Δ_g = H_g⁻¹ (r_g − σ_g Xᵀ D_i e),
 *
 * K_i = Σ_{g of pattern i} H_g⁻¹, b_i = Σ σ_g H_g⁻¹ r_g: per iteration 2P weighted Gram matrices
 * (n d² each), P updates of the n × n matrix on each pattern's active rows (n_i² d), one n × n
 * Cholesky; predictor and corrector share the factorization.
 *
 * Every iterate is strictly cone-feasible (no rounding). Certificate (certificate.ts) from
 * θ = −∇ℓ(Fu) and per-group multipliers (`polishMultipliers`).
 *
 * Hinge loss: Σ_k max(0, m_k), m_k = 1 − y_k f_k, is the epigraph min Σ t_k s.t. t_k ≥ 0,
 * t_k − m_k ≥ 0, treated primal-dual like the cone rows (multipliers z1, z2 ≥ 0, z1 + z2 = 1,
 * Mehrotra targets for both products; `HingeState`). Eliminating Δt, Δz1, Δz2 per sample leaves the
 * same Newton system with Λ_k = w1 w2/(w1 + w2), w1 = z1/t, w2 = z2/(t − m), and a modified loss
 * gradient (`hingeTerms`); θ = y z2 lies in the hinge's dual domain.
 */
import { InputError } from "../errors.js";
import { CENTRALITY_CORRECTORS, centralityTargets } from "./centrality.js";
import { type Certificate, certificate } from "./certificate.js";
import { type Dual, INITIAL_SET, workingSetSolve } from "./columns.js";
import {
  addCholeskyInverse,
  cholesky,
  cholSolve,
  cholSolver,
  gram,
  lowerSolve,
  type Matrix,
  matrix,
  norm2,
  sumOfScatteredProducts,
  timesTransposed,
  timesX,
  timesXt,
  transpose,
  upperSolve,
} from "./linalg.js";
import {
  adjoint,
  type ConvexProblem,
  coneFromActivations,
  groupActivations,
  groupCount,
  groupNorm,
  predictFromActivations,
  validateProblem,
  withoutZeroColumns,
} from "./problem.js";
import { leastNormInCone, rowNorms2 } from "./recover.js";
import {
  markCertificate,
  type SolveResult,
  type SolverOptions,
  type TracePoint,
} from "./result.js";

export interface InteriorPointOptions extends SolverOptions {
  /** Woodbury form of the Newton system (default: the cheaper by `newtonCost`). */
  form?: "samples" | "weights";
  /**
   * Warm start: a cone-feasible point, e.g. the solution at a larger λ; it is moved 60 % of the
   * way to the default start (`interiorStart`, `START_BLEND`) to be strictly feasible.
   */
  start?: Float64Array;
  /**
   * Solve on a growing working set of patterns (`workingSetSolve`, columns.ts; default: when
   * P > 2 · INITIAL_SET): the optimum uses few patterns, and each Newton step's cost grows with P.
   */
  workingSet?: boolean;
  /** Called with each iterate's certified relative gap and dual pair; true ends the solve there. */
  stop?: (relGap: number, dual: Dual) => boolean;
}

/** Hinge epigraph variables t (t ≥ 0, t ≥ m) and their multipliers z1, z2 (one each per sample). */
interface HingeState {
  t: Float64Array;
  z1: Float64Array;
  z2: Float64Array;
}

/** Targets of the products z1 t and z2 (t − m). */
interface HingeTargets {
  t1: Float64Array;
  t2: Float64Array;
}

/** The hinge part of a direction: Δt, Δz1, Δz2. */
interface HingeStep {
  dt: Float64Array;
  dz1: Float64Array;
  dz2: Float64Array;
}

/** Barrier state at one point: activations, predictions, slacks. */
interface State {
  u: Float64Array;
  fu: Float64Array;
  /** Cone slacks G_g u_g (groups × n). */
  slack: Float64Array;
}

/**
 * The dual pair of the certificate comes with the result; with the working set, also its final
 * set of patterns and number of restricted solves.
 */
export type InteriorPointResult = SolveResult & { dual: Dual; active?: number[]; rounds?: number };

export function interiorPoint(
  p: ConvexProblem,
  opts: InteriorPointOptions = {},
): InteriorPointResult {
  validateProblem(p);
  // (checked here once: the working set and the zero-column reduction pass on starts they cut to size)
  if (opts.start && opts.start.length !== groupCount(p) * p.X.cols)
    throw new InputError(
      "start",
      `needs ${groupCount(p) * p.X.cols} entries, got ${opts.start.length}`,
    );
  const { workingSet = p.patterns.count > 2 * INITIAL_SET && !p.gated, ...rest } = opts;
  return workingSet ? workingSetSolve(p, allPatterns, rest) : allPatterns(p, rest);
}

/** The interior point on all of p's patterns. */
function allPatterns(p: ConvexProblem, opts: InteriorPointOptions): SolveResult & { dual: Dual } {
  const isHinge = p.loss.name === "hinge";
  if (!p.loss.curvature && !isHinge)
    throw new InputError(
      "solver",
      `the interior-point method needs a smooth loss or hinge, not ${p.loss.name} (use admm)`,
    );
  const t0 = performance.now();
  if (p.gated) throw new Error("interiorPoint: the gated relaxation is solved by fistaGated");
  // Zero columns only add directions whose sole curvature is the group barrier's (3 of digits' 65).
  const reduction = withoutZeroColumns(p);
  if (reduction) {
    const start = opts.start && reduction.restrict(opts.start);
    const r = allPatterns(reduction.reduced, { ...opts, start });
    return { ...r, u: reduction.expand(r.u), ms: performance.now() - t0 };
  }
  const { tol = 1e-6, maxIter = 200 } = opts;
  const live = liveRows(p);
  let st = evaluate(p, opts.start ? interiorStart(p, opts.start) : initialPoint(p));
  const coneTerms = groupCount(p) * live.count;
  const n = p.X.rows;
  const pairTerms = coneTerms + (isHinge ? 2 * n : 0);
  let tau = (pairTerms + 2 * groupCount(p)) / Math.max(objective(p, st), 1e-300);
  let z = multipliers(st, tau, live.mask);
  let hs = isHinge ? hingeStart(p, st) : undefined;
  const trace: TracePoint[] = [];
  let best: { u: Float64Array; certificate: Certificate; dual: Dual } | undefined;
  let iter = 0;
  let converged = false;
  let sigma = 1;
  while (iter < maxIter && !converged) {
    iter++;
    // Mehrotra predictor–corrector on the cone rows (μ = sᵀz/m); the group barrier ψ_τ is
    // linearized at τ = 1/(σ_prev μ) for both directions so they share one factorization.
    let sz = 0;
    for (let j = 0; j < z.length; j++) sz += z[j]! * st.slack[j]!;
    if (hs) sz += hingeProducts(p, st, hs, undefined, 0);
    const mu = sz / pairTerms;
    // Rounding floor: the central-path gap m μ is far below what the certificate can resolve;
    // further steps only drive τ to overflow.
    if ((pairTerms + 2 * groupCount(p)) * mu <= 1e-15 * objective(p, st)) break;
    tau = 1 / (sigma * mu);
    const weights = new Float64Array(z.length);
    for (let j = 0; j < z.length; j++) if (z[j] !== 0) weights[j] = (tau * z[j]!) / st.slack[j]!;
    let sys: ReturnType<typeof newtonSystem>;
    try {
      sys = newtonSystem(p, st, tau, weights, opts.form, hs && hingeCurvature(p, st, hs));
    } catch (e) {
      // the Newton matrix lost positive definiteness to rounding (ill-conditioned data): stop
      // with the best certified iterate so far, reported as not converged
      if (e instanceof NewtonBreakdown) break;
      throw e;
    }
    const zero = new Float64Array(z.length);
    const hZero: HingeTargets = { t1: new Float64Array(n), t2: new Float64Array(n) };
    const lossGrad = (tg: HingeTargets) => hs && hingeTerms(p, st, hs, tg).grad;
    const predictor = direction(
      p,
      st,
      z,
      sys.solve(barrierGradient(p, st, tau, zero, lossGrad(hZero))),
      zero,
    );
    const hPred = hs && hingeStep(p, st, hs, hZero, predictor.dfu);
    const aAff = Math.min(
      stepLength(st, z, predictor, 1),
      hs && hPred ? hingeStepLength(p, st, hs, hPred, predictor.dfu, 1) : 1,
    );
    let szAff = 0;
    for (let j = 0; j < z.length; j++)
      szAff += (st.slack[j]! + aAff * predictor.ds[j]!) * (z[j]! + aAff * predictor.dz[j]!);
    if (hs && hPred) szAff += hingeProducts(p, st, hs, { step: hPred, dfu: predictor.dfu }, aAff);
    sigma = Math.min(1, Math.max(1e-3, (szAff / sz) ** 3));
    const target = new Float64Array(z.length);
    for (let j = 0; j < z.length; j++)
      if (z[j] !== 0) target[j] = sigma * mu - predictor.ds[j]! * predictor.dz[j]!;
    const hTarget = hPred && hingeTargets(p, hPred, predictor.dfu, sigma * mu);
    // ψ's gradient at τ = 1/(σμ) would need a new factorization: keep τ, scale the target.
    const solveFor = (tg: Float64Array) => {
      const dir = direction(
        p,
        st,
        z,
        sys.solve(barrierGradient(p, st, tau, tg, hTarget && lossGrad(hTarget))),
        tg,
      );
      const hDir = hs && hTarget && hingeStep(p, st, hs, hTarget, dir.dfu);
      const a = Math.min(
        stepLength(st, z, dir, 0.99),
        hs && hDir ? hingeStepLength(p, st, hs, hDir, dir.dfu, 0.99) : 1,
      );
      return { dir, hDir, alpha: a, target: tg };
    };
    let step = solveFor(target);
    // Gondzio's centrality correctors: the factorization costs ~n³ and a solve ~n², so retarget the
    // products that the trial step α̃ = min(1, α + 0.2) would leave outside [0.1 σμ, 10 σμ] and keep
    // the corrected direction while it lengthens the step.
    for (let k = 0; k < CENTRALITY_CORRECTORS && step.alpha < 1; k++) {
      const { ds, dz } = step.dir;
      const tg = centralityTargets(st.slack, z, ds, dz, step.alpha, sigma, mu, step.target);
      const next = solveFor(tg);
      if (next.alpha < 1.01 * step.alpha) break;
      step = next;
    }
    const { dir: corrector, hDir: hCorr, alpha } = step;
    if (hs && hCorr)
      hs = {
        t: hs.t.map((v, k) => v + alpha * hCorr.dt[k]!),
        z1: hs.z1.map((v, k) => v + alpha * hCorr.dz1[k]!),
        z2: hs.z2.map((v, k) => v + alpha * hCorr.dz2[k]!),
      };
    st = {
      u: plus(st.u, alpha, corrector.du),
      fu: plus(st.fu, alpha, corrector.dfu),
      slack: plus(st.slack, alpha, corrector.ds),
    };
    z = plus(z, alpha, corrector.dz);
    trace.push({ iter, objective: objective(p, st) });
    opts.onIter?.(iter, trace[trace.length - 1]!.objective);
    const th = hs ? hs.z2.map((v, k) => p.y[k]! * v) : theta(p, st);
    let pair: Dual = { theta: th, mu: z };
    let cert = certificate(p, st.u, th, z);
    const tryPair = (candidate: Dual) => {
      const c = certificate(p, st.u, candidate.theta, candidate.mu);
      if (c.relGap < cert.relGap) [cert, pair] = [c, candidate];
    };
    // The multipliers are polished (per-group least squares, projections) only where that can
    // decide convergence: the central-path gap m μ is already below the tolerance.
    let gapEstimate = 0;
    for (let j = 0; j < z.length; j++) gapEstimate += z[j]! * st.slack[j]!;
    if (cert.relGap > tol && gapEstimate <= tol * cert.primal)
      tryPair({ theta: th, mu: polishMultipliers(p, th, z, st.slack) });
    // (only once the objective has settled: the fit needs the primal's margins and directions)
    const settled =
      iter > HINGE_POLISH_EVERY &&
      Math.abs(trace[iter - 1]!.objective - trace[iter - 1 - HINGE_POLISH_EVERY]!.objective) <=
        1e-4 * trace[iter - 1]!.objective;
    if (hs && cert.relGap > tol && iter % HINGE_POLISH_EVERY === 0 && settled)
      for (const delta of [1e-3, 1e-4]) {
        const dual = hingeDualFromPrimal(p, st, z, delta);
        if (dual) tryPair({ theta: dual[0], mu: polishMultipliers(p, dual[0], dual[1], st.slack) });
      }
    markCertificate(trace, cert);
    if (!best || cert.relGap < best.certificate.relGap)
      best = { u: st.u, certificate: cert, dual: pair };
    converged = cert.relGap <= tol;
    if (!converged && opts.stop?.(cert.relGap, pair)) break;
  }
  if (!best) throw new Error("interiorPoint: no iterations");
  return {
    ...sparsify(p, best, tol),
    dual: best.dual,
    iterations: iter,
    converged,
    trace,
    ms: performance.now() - t0,
  };
}

/** Hinge: every this many iterations the dual is also fitted to the primal (`hingeDualFromPrimal`). */
const HINGE_POLISH_EVERY = 5;

/**
 * Interior iterates are never exactly 0: groups below 1e-8, 1e-6 or 1e-4 × the largest group norm
 * (and, at λ ≥ λ_max, all of them) are set to 0 (0 lies in every cone). The sparsest candidate is
 * kept whose objective exceeds the iterate's by at most tol/10 (relative, rounding at least) and
 * whose certified relative gap stays ≤ max(tol, the iterate's), so the recovered network has only
 * the neurons the solution uses, certified as the iterate was. (Keeping only candidates that do not
 * raise the objective left 13 groups of ~1e-8 beside 5 real ones on iris, hinge, λ = 0.1 λ_max.) The
 * dual bound is unchanged.
 */
function sparsify(
  p: ConvexProblem,
  best: { u: Float64Array; certificate: Certificate },
  tol: number,
): { u: Float64Array; certificate: Certificate } {
  const d = p.X.cols;
  const G = groupCount(p);
  let top = 0;
  for (let g = 0; g < G; g++) top = Math.max(top, norm2(best.u, g * d, d));
  const { primal: p0, dual, relGap: gap0 } = best.certificate;
  const maxPrimal = p0 + Math.abs(p0) * Math.max(tol / 10, 1e-12);
  let out = best;
  for (const level of [1e-8, 1e-6, 1e-4, Number.POSITIVE_INFINITY]) {
    const u = Float64Array.from(best.u);
    for (let g = 0; g < G; g++) if (norm2(u, g * d, d) <= level * top) u.fill(0, g * d, g * d + d);
    const primal = objective(p, evaluate(p, u));
    const gap = primal - dual;
    const relGap = gap / Math.max(Math.abs(primal), 1e-300);
    if (!(primal <= maxPrimal && relGap <= Math.max(tol, gap0))) continue;
    out = { u, certificate: { ...best.certificate, primal, gap, relGap } };
  }
  return out;
}

/** a + α b (a new array). */
function plus(a: Float64Array, alpha: number, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let j = 0; j < a.length; j++) out[j] = a[j]! + alpha * b[j]!;
  return out;
}

/** A primal-dual direction: Δu and its images, and Δz = (target − z∘GΔu)/s − z for cone rows. */
interface Direction {
  du: Float64Array;
  dfu: Float64Array;
  ds: Float64Array;
  dz: Float64Array;
}

function direction(
  p: ConvexProblem,
  st: State,
  z: Float64Array,
  du: Float64Array,
  target: Float64Array,
): Direction {
  const img = evaluate(p, du);
  const dz = new Float64Array(z.length);
  for (let j = 0; j < z.length; j++) {
    const v = z[j]!;
    if (v !== 0) dz[j] = (target[j]! - v * img.slack[j]!) / st.slack[j]! - v;
  }
  return { du, dfu: img.fu, ds: img.slack, dz };
}

/** Hinge start: t = max(m, 0) + 1 (strictly inside both constraints), z1 = z2 = 1/2. */
function hingeStart(p: ConvexProblem, st: State): HingeState {
  const n = p.X.rows;
  const t = new Float64Array(n);
  for (let k = 0; k < n; k++) t[k] = Math.max(1 - p.y[k]! * st.fu[k]!, 0) + 1;
  return { t, z1: new Float64Array(n).fill(0.5), z2: new Float64Array(n).fill(0.5) };
}

/** Σ z1 t + z2 (t − m) at the point moved by α along `move` (α = 0: the current point). */
function hingeProducts(
  p: ConvexProblem,
  st: State,
  hs: HingeState,
  move: { step: HingeStep; dfu: Float64Array } | undefined,
  alpha: number,
): number {
  let s = 0;
  for (let k = 0; k < hs.t.length; k++) {
    const y = p.y[k]!;
    const dt = move ? alpha * move.step.dt[k]! : 0;
    const dm = move ? -alpha * y * move.dfu[k]! : 0;
    const t = hs.t[k]! + dt;
    const s2 = hs.t[k]! - (1 - y * st.fu[k]!) + dt - dm;
    s += (hs.z1[k]! + (move ? alpha * move.step.dz1[k]! : 0)) * t;
    s += (hs.z2[k]! + (move ? alpha * move.step.dz2[k]! : 0)) * s2;
  }
  return s;
}

/** Per sample: s1 = t, s2 = t − m, w1 = z1/s1, w2 = z2/s2. */
function hingeScales(p: ConvexProblem, st: State, hs: HingeState, k: number) {
  const s1 = hs.t[k]!;
  const s2 = s1 - (1 - p.y[k]! * st.fu[k]!);
  return { s1, s2, w1: hs.z1[k]! / s1, w2: hs.z2[k]! / s2 };
}

/** Λ_k = w1 w2/(w1 + w2). */
function hingeCurvature(p: ConvexProblem, st: State, hs: HingeState): Float64Array {
  return hs.t.map((_, k) => {
    const { w1, w2 } = hingeScales(p, st, hs, k);
    return (w1 * w2) / (w1 + w2);
  });
}

/**
 * The hinge's gradient term for targets (t1, t2) of z1 s1 and z2 s2: with e_i = t_i/s_i − z_i,
 * r = 1 − z1 − z2 and c = e1 + e2 − r, ∇ℓ is replaced by −y (z2 + e2 − w2 c/(w1 + w2)).
 */
function hingeTerms(
  p: ConvexProblem,
  st: State,
  hs: HingeState,
  target: HingeTargets,
): { grad: Float64Array } {
  const grad = hs.t.map((_, k) => {
    const { s1, s2, w1, w2 } = hingeScales(p, st, hs, k);
    const e1 = target.t1[k]! / s1 - hs.z1[k]!;
    const e2 = target.t2[k]! / s2 - hs.z2[k]!;
    const c = e1 + e2 - (1 - hs.z1[k]! - hs.z2[k]!);
    return -p.y[k]! * (hs.z2[k]! + e2 - (w2 * c) / (w1 + w2));
  });
  return { grad };
}

/** Δt = (c + w2 Δm)/(w1 + w2), Δz1 = e1 − w1 Δt, Δz2 = e2 − w2 (Δt − Δm), Δm = −y Δf. */
function hingeStep(
  p: ConvexProblem,
  st: State,
  hs: HingeState,
  target: HingeTargets,
  dfu: Float64Array,
): HingeStep {
  const n = hs.t.length;
  const out = { dt: new Float64Array(n), dz1: new Float64Array(n), dz2: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const { s1, s2, w1, w2 } = hingeScales(p, st, hs, k);
    const e1 = target.t1[k]! / s1 - hs.z1[k]!;
    const e2 = target.t2[k]! / s2 - hs.z2[k]!;
    const c = e1 + e2 - (1 - hs.z1[k]! - hs.z2[k]!);
    const dm = -p.y[k]! * dfu[k]!;
    const dt = (c + w2 * dm) / (w1 + w2);
    out.dt[k] = dt;
    out.dz1[k] = e1 - w1 * dt;
    out.dz2[k] = e2 - w2 * (dt - dm);
  }
  return out;
}

/** Mehrotra targets σμ − Δs Δz of the two hinge products from the predictor step. */
function hingeTargets(
  p: ConvexProblem,
  step: HingeStep,
  dfu: Float64Array,
  sigmaMu: number,
): HingeTargets {
  const t1 = step.dt.map((dt, k) => sigmaMu - dt * step.dz1[k]!);
  const t2 = step.dt.map((dt, k) => sigmaMu - (dt + p.y[k]! * dfu[k]!) * step.dz2[k]!);
  return { t1, t2 };
}

/** Largest α ≤ 1 keeping `keep` of t, t − m, z1 and z2. */
function hingeStepLength(
  p: ConvexProblem,
  st: State,
  hs: HingeState,
  step: HingeStep,
  dfu: Float64Array,
  keep: number,
): number {
  let alpha = 1;
  const limit = (v: number, dv: number) => {
    if (dv < 0) alpha = Math.min(alpha, (-keep * v) / dv);
  };
  for (let k = 0; k < hs.t.length; k++) {
    const { s1, s2 } = hingeScales(p, st, hs, k);
    limit(s1, step.dt[k]!);
    limit(s2, step.dt[k]! + p.y[k]! * dfu[k]!);
    limit(hs.z1[k]!, step.dz1[k]!);
    limit(hs.z2[k]!, step.dz2[k]!);
  }
  return alpha;
}

/** Largest α ≤ 1 keeping `keep` of every live slack and multiplier (fraction to the boundary). */
function stepLength(st: State, z: Float64Array, dir: Direction, keep: number): number {
  let alpha = 1;
  for (let j = 0; j < z.length; j++) {
    if (z[j] === 0) continue;
    if (dir.ds[j]! < 0) alpha = Math.min(alpha, (-keep * st.slack[j]!) / dir.ds[j]!);
    if (dir.dz[j]! < 0) alpha = Math.min(alpha, (-keep * z[j]!) / dir.dz[j]!);
  }
  return alpha;
}

/** Rows with x_k ≠ 0 (the others give identically zero cone slacks). */
function liveRows(p: ConvexProblem): { mask: Uint8Array; count: number } {
  const { rows: n, cols: d } = p.X;
  const mask = new Uint8Array(n);
  let count = 0;
  for (let k = 0; k < n; k++)
    if (norm2(p.X.data, k * d, d) > 0) {
      mask[k] = 1;
      count++;
    }
  return { mask, count };
}

/**
 * A strictly feasible start: every group at its pattern's gate (interior to its cone), scaled so
 * that the largest |x_k · u_g| is START_SCALE/(2P).
 */
function initialPoint(p: ConvexProblem): Float64Array {
  const { cols: d } = p.X;
  const P = p.patterns.count;
  const u = new Float64Array(groupCount(p) * d);
  const act = timesXt(p.X, p.patterns.gates, P);
  const n = p.X.rows;
  for (let i = 0; i < P; i++) {
    let big = 0;
    for (let k = 0; k < n; k++) big = Math.max(big, Math.abs(act[i * n + k]!));
    const scale = START_SCALE / (2 * P * big);
    for (const g of [i, P + i])
      for (let j = 0; j < d; j++) u[g * d + j] = scale * p.patterns.gates[i * d + j]!;
  }
  return u;
}

/**
 * Scale of `initialPoint`. Newton steps to a certified 1e-6 summed over 13 solves (iris, synthetic,
 * breast_cancer at the CLI's default patterns; squared at 0.1 λ_max on the working set and, iris and
 * synthetic, on all patterns; logistic and hinge at 0.1 λ_max; hinge at 0.01 λ_max on iris and
 * synthetic), by scale: 1: 886 (synthetic hinge at 0.01 λ_max not certified in 300); 3: 681; 5: 620;
 * 10: 574; 30: 602. (The start is far from the optimum either way; a larger one spends fewer steps
 * with short step lengths leaving the cone boundaries.)
 */
const START_SCALE = 10;

/**
 * Weight of `initialPoint` in a warm start. Measured over a 10-point λ path (λ_max … 1e-3 λ_max,
 * P = 50, tol 1e-6, Newton steps in total, cold → warm): w = 1e-3: iris 239 → 320; 0.05: 239 → 252;
 * 0.3: iris 239 → 212, synthetic 291 → 246; 0.5: iris 239 → 207, synthetic 291 → 225. A start on
 * the cone boundary leaves huge multipliers on its active rows; w = 0.5 recenters it. With the Gondzio
 * correctors (cold solves got shorter), over 6 points down to 0.01 λ_max (n = 30, P = 10, tol 1e-7,
 * seeds 1–4, squared and logistic; Newton steps warm/cold, cold 739 in all): w = 0.5: 669, one case
 * 95/94; 0.6: 657, every case fewer; 0.7: 675, two cases equal; 0.8: 660.
 */
const START_BLEND = 0.6;

/**
 * A warm start made strictly feasible: (1 − w) start + w initialPoint, w = START_BLEND. The start
 * (e.g. a solution at a larger λ) is cone-feasible but has zero slack on its active rows and on
 * every zeroed group; the convex combination with the strictly feasible `initialPoint` is strictly
 * feasible on every live row (cones are convex).
 */
function interiorStart(p: ConvexProblem, start: Float64Array): Float64Array {
  const w = START_BLEND;
  const init = initialPoint(p);
  return start.map((v, j) => (1 - w) * v + w * init[j]!);
}

function evaluate(p: ConvexProblem, u: Float64Array): State {
  const xu = groupActivations(p, u);
  const fu = predictFromActivations(p, xu);
  return { u, fu, slack: coneFromActivations(p, xu) };
}

const objective = (p: ConvexProblem, st: State) => p.loss.value(st.fu, p.y) + groupNorm(p, st.u);

/** θ = −∇ℓ(Fu). */
function theta(p: ConvexProblem, st: State): Float64Array {
  const g = p.loss.grad(st.fu, p.y, new Float64Array(st.fu.length));
  for (let k = 0; k < g.length; k++) g[k] = -g[k]!;
  return g;
}

/** The barrier's cone multipliers μ = 1/(τ s) (0 on dead rows). */
function multipliers(st: State, tau: number, live: Uint8Array): Float64Array {
  const n = live.length;
  return st.slack.map((s, j) => (live[j % n] ? 1 / (tau * s) : 0));
}

/**
 * Cone multipliers for the certificate: per group, the better (smaller ‖F_gᵀθ + G_gᵀμ_g‖) of the
 * iterate's z_g and the least-squares μ on the rows the iterate treats as active (z_k/s_k within
 * 1e-4 of the largest, at most 2d rows; negative entries dropped and re-solved). Any μ ≥ 0 gives a
 * valid bound; this one removes the dual residual that the interior-point step leaves, which
 * otherwise scales θ down through the worst group.
 */
function polishMultipliers(
  p: ConvexProblem,
  theta: Float64Array,
  z: Float64Array,
  slack: Float64Array,
): Float64Array {
  const { rows: n, cols: d, data: x } = p.X;
  const P = p.patterns.count;
  const G = groupCount(p);
  const base = adjoint(p, theta, undefined);
  const withZ = adjoint(p, theta, z);
  const out = Float64Array.from(z);
  const rowNorm2 = rowNorms2(p.X);
  for (let g = 0; g < G; g++) {
    const i = g % P;
    const sign = (k: number) => (p.patterns.masks[i * n + k] ? 1 : -1);
    let top = 0;
    for (let k = 0; k < n; k++)
      if (z[g * n + k]! > 0) top = Math.max(top, z[g * n + k]! / slack[g * n + k]!);
    if (top === 0) continue;
    let rows: number[] = [];
    for (let k = 0; k < n; k++) if (z[g * n + k]! / slack[g * n + k]! >= 1e-4 * top) rows.push(k);
    rows.sort((a, b) => z[g * n + b]! / slack[g * n + b]! - z[g * n + a]! / slack[g * n + a]!);
    rows = rows.slice(0, 2 * d);
    const c = base.subarray(g * d, g * d + d);
    for (let attempt = 0; attempt < 4 && rows.length > 0; attempt++) {
      // Normal equations (A_J A_Jᵀ) μ = −A_J c, rows a_k = sign_k x_k.
      const m = rows.length;
      const M = matrix(m, m);
      const rhs = new Float64Array(m);
      for (let a = 0; a < m; a++) {
        const ka = rows[a]!;
        for (let b2 = 0; b2 <= a; b2++) {
          const kb = rows[b2]!;
          let v = 0;
          for (let j = 0; j < d; j++) v += x[ka * d + j]! * x[kb * d + j]!;
          M.data[a * m + b2] = M.data[b2 * m + a] = sign(ka) * sign(kb) * v;
        }
        let v = 0;
        for (let j = 0; j < d; j++) v += x[ka * d + j]! * c[j]!;
        rhs[a] = -sign(ka) * v;
      }
      const mu = cholSolve(factor(M), rhs);
      const keep = rows.filter((_, a) => mu[a]! >= 0);
      if (keep.length < rows.length) {
        rows = keep;
        continue;
      }
      const r = Float64Array.from(c);
      rows.forEach((k, a) => {
        for (let j = 0; j < d; j++) r[j] += mu[a]! * sign(k) * x[k * d + j]!;
      });
      if (norm2(r) < norm2(withZ, g * d, d)) {
        out.fill(0, g * n, g * n + n);
        rows.forEach((k, a) => {
          out[g * n + k] = mu[a]!;
        });
      }
      break;
    }
    // Still outside the dual ball (typically a group at 0 whose ν_g is close to λ): the exact
    // projection of F_gᵀθ onto K_g by Hildreth's method, whose multipliers minimize the norm.
    const current = Float64Array.from(c);
    for (let k = 0; k < n; k++)
      if (out[g * n + k])
        for (let j = 0; j < d; j++) current[j] += out[g * n + k]! * sign(k) * x[k * d + j]!;
    if (norm2(current) <= p.lambda) continue;
    const b = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += x[k * d + j]! * c[j]!;
      b[k] = -sign(k) * v;
    }
    const proj = leastNormInCone(p, i, b, rowNorm2, 200, 10);
    const w = Float64Array.from(c, (v, j) => v + proj.z[j]!);
    if (norm2(w) < norm2(current)) out.set(proj.mu, g * n);
  }
  return out;
}

/**
 * Hinge loss: a dual candidate from the primal iterate, for when the epigraph multipliers lag
 * the primal (at small λ the iterates lose centrality and θ = y·z2 certifies only ~1e-5 while the
 * objective is within 1e-6). θ_k = y_k where the margin m_k = 1 − y_k f_k > δ, 0 where m_k < −δ;
 * on the margin (|m_k| ≤ δ) θ_k, and the multipliers of the nonzero groups' tight cone rows
 * (slack ≤ δ ‖u_g‖ ‖x_k‖), solve in least squares the stationarity of those groups,
 * F_gᵀθ + G_gᵀμ_g = λ u_g/‖u_g‖. The certificate then clips and scales (θ, μ) into the dual
 * domain, so the bound is valid whatever the fit. Returns [θ, μ] or null when the least-squares
 * system is too large (over 1500 unknowns) or singular.
 */
function hingeDualFromPrimal(
  p: ConvexProblem,
  st: State,
  z: Float64Array,
  delta: number,
): [Float64Array, Float64Array] | null {
  const { rows: n, cols: d, data: x } = p.X;
  const P = p.patterns.count;
  const G = groupCount(p);
  const m = p.patterns.masks;
  const theta = new Float64Array(n);
  const free: number[] = [];
  for (let k = 0; k < n; k++) {
    const margin = 1 - p.y[k]! * st.fu[k]!;
    if (margin > delta) theta[k] = p.y[k]!;
    else if (margin >= -delta) free.push(k);
  }
  const norms = Array.from({ length: G }, (_, g) => norm2(st.u, g * d, d));
  const top = Math.max(...norms);
  // groups below 1e-3 of the largest are left to the inequality ‖F_gᵀθ + G_gᵀμ_g‖ ≤ λ (their
  // directions are not yet resolved; as equalities they made the fit inconsistent)
  const active = norms.flatMap((v, g) => (v > 1e-3 * top ? [g] : []));
  const rowNorm = rowNorms2(p.X).map(Math.sqrt);
  const tight: [number, number][] = [];
  for (const g of active)
    for (let k = 0; k < n; k++)
      if (z[g * n + k] !== 0 && st.slack[g * n + k]! <= delta * norms[g]! * rowNorm[k]!)
        tight.push([g, k]);
  const unknowns = free.length + tight.length;
  if (unknowns === 0 || unknowns > 1500) return null;
  // columns of J (d rows per active group), as sparse (group, k, coefficient) lists
  const at = new Map(active.map((g, a) => [g, a]));
  const rows = d * active.length;
  const J = new Float64Array(rows * unknowns);
  free.forEach((k, c) => {
    for (const g of active) {
      if (!m[(g % P) * n + k]) continue;
      const sign = g < P ? 1 : -1;
      for (let j = 0; j < d; j++) J[(at.get(g)! * d + j) * unknowns + c] = sign * x[k * d + j]!;
    }
  });
  tight.forEach(([g, k], c0) => {
    const sign = m[(g % P) * n + k] ? 1 : -1;
    for (let j = 0; j < d; j++)
      J[(at.get(g)! * d + j) * unknowns + free.length + c0] = sign * x[k * d + j]!;
  });
  const fixed = adjoint(p, theta, undefined);
  const b = new Float64Array(rows);
  for (const g of active)
    for (let j = 0; j < d; j++)
      b[at.get(g)! * d + j] = (p.lambda * st.u[g * d + j]!) / norms[g]! - fixed[g * d + j]!;
  // normal equations with a small ridge (the least-norm solution where J is rank deficient)
  const A = matrix(unknowns, unknowns);
  const rhs = new Float64Array(unknowns);
  for (let r = 0; r < rows; r++) {
    const row = J.subarray(r * unknowns, (r + 1) * unknowns);
    for (let a = 0; a < unknowns; a++) {
      if (row[a] === 0) continue;
      rhs[a] += row[a]! * b[r]!;
      for (let c = 0; c <= a; c++) A.data[a * unknowns + c] += row[a]! * row[c]!;
    }
  }
  let trace = 0;
  for (let a = 0; a < unknowns; a++) trace += A.data[a * unknowns + a]!;
  for (let a = 0; a < unknowns; a++) {
    A.data[a * unknowns + a] += 1e-12 * (trace / unknowns) + 1e-300;
    for (let c = 0; c < a; c++) A.data[c * unknowns + a] = A.data[a * unknowns + c]!;
  }
  let sol: Float64Array;
  try {
    sol = cholSolve(cholesky(A, 1e-14), rhs);
  } catch {
    return null;
  }
  free.forEach((k, c) => {
    theta[k] = sol[c]!;
  });
  const mu = Float64Array.from(z);
  for (const g of active) mu.fill(0, g * n, g * n + n);
  tight.forEach(([g, k], c0) => {
    mu[g * n + k] = sol[free.length + c0]!;
  });
  return [theta, mu];
}

/** 2ψ'(r) and 4ψ''(r) of the eliminated SOC barrier at r = ‖u_g‖², c = τλ. */
function socCurvature(c: number, r: number): { first: number; second: number } {
  const q = Math.sqrt(1 + c * c * r);
  return { first: (c * c) / (1 + q), second: -(c * c * c * c) / (q * (1 + q) * (1 + q)) };
}

/**
 * Estimated floating-point operations of one Newton factorization with P patterns (each active on
 * about half the rows unless `active` counts are given), in the two forms of the Woodbury
 * reduction: over the n samples (n × n matrix) or over the P·d pattern weights (Pd × Pd matrix
 * K⁻¹ + τ FPᵀ Λ FP, whose FPᵀΛFP blocks Xᵀ D_i Λ D_j X are formed once for the squared loss).
 */
export function newtonCost(
  n: number,
  d: number,
  P: number,
  constantCurvature: boolean,
  active?: number[],
): { samples: number; weights: number; cheaper: "samples" | "weights" } {
  const grams = P * n * d * d;
  const squares = active
    ? active.reduce((acc, a) => acc + (a * a * d) / 2, 0)
    : (P * (n / 2) ** 2 * d) / 2;
  const samples = grams + squares + n ** 3 / 3;
  const weights =
    grams + (P * d) ** 3 / 3 + 2 * P * d ** 3 + (constantCurvature ? 0 : (P * P * n * d * d) / 4);
  return { samples, weights, cheaper: samples <= weights ? "samples" : "weights" };
}

/** Flops per Newton factorization that `defaultPatternCount` allows (about a second on one core). */
export const NEWTON_BUDGET = 5e8;

/**
 * The default number of sampled patterns: the largest P ≤ 200 (at least 8) whose Newton
 * factorization, in its cheaper form, costs at most NEWTON_BUDGET flops by `newtonCost`
 * (iris, synthetic, breast_cancer: 200; digits: 15 for the squared loss).
 */
export function defaultPatternCount(n: number, d: number, constantCurvature: boolean): number {
  let P = 200;
  while (P > 8) {
    const c = newtonCost(n, d, P, constantCurvature);
    if (Math.min(c.samples, c.weights) <= NEWTON_BUDGET) break;
    P--;
  }
  return P;
}

/** Xᵀ D_i D_j X for every pair of patterns (squared loss: the constant part of the weights form). */
const patternGrams = new WeakMap<ConvexProblem, Float64Array>();

function pairGrams(p: ConvexProblem, curvature: Float64Array | undefined): Float64Array {
  const cached = curvature ? undefined : patternGrams.get(p);
  if (cached) return cached;
  const { rows: n, cols: d } = p.X;
  const P = p.patterns.count;
  const m = p.patterns.masks;
  const N = P * d;
  const M = new Float64Array(N * N);
  const w = new Float64Array(n);
  const block = matrix(d, d);
  const Xt = transpose(p.X);
  for (let i = 0; i < P; i++)
    for (let j = 0; j <= i; j++) {
      for (let k = 0; k < n; k++) w[k] = m[i * n + k] && m[j * n + k] ? (curvature?.[k] ?? 1) : 0;
      gram(p.X, w, block, Xt);
      for (let a = 0; a < d; a++)
        for (let b = 0; b < d; b++) {
          M[(i * d + a) * N + j * d + b] = block.data[a * d + b]!;
          M[(j * d + b) * N + i * d + a] = block.data[a * d + b]!;
        }
    }
  if (!curvature) patternGrams.set(p, M);
  return M;
}

/**
 * The Newton matrix τFᵀΛF + H at a point (H_g = ∇²ψ_τ + Xᵀ diag(`weights`_g) X, weights = τz/s),
 * factorized by the cheaper form (`newtonCost`); `solve` maps a gradient to −(…)⁻¹ grad.
 *
 * Samples form (Woodbury over the n predictions): ((τΛ)⁻¹ + Σ_i D_i X K_i Xᵀ D_i) e = FP b with
 * K_i = H_{v_i}⁻¹ + H_{w_i}⁻¹. Weights form: in the variables (Δw_i, δ_i = Δv_i − Δw_i) the
 * Newton matrix is
 *
 *   [ S      H_v        ]    S_i = H_{v_i} + H_{w_i} (block diagonal),
 *   [ H_v    H_v + τT   ]    T = FPᵀΛFP (Pd × Pd, blocks Xᵀ D_i Λ D_j X),
 *
 * and its block Cholesky factorization eliminates the Δw_i first: L_i L_iᵀ = S_i, W_i = L_i⁻¹ H_{v_i},
 * then the Pd × Pd Schur complement τT + blockdiag(H_{v_i} − W_iᵀW_i) (the parallel sum
 * (H_v⁻¹ + H_w⁻¹)⁻¹ of each pattern, plus τT). This is Cholesky of the whole positive definite
 * matrix after a unit-triangular change of variables, so it is backward stable: no H_g is inverted.
 * (An earlier weights form inverted K_i = H_v⁻¹ + H_w⁻¹ explicitly; near the optimum, where the
 * weights of active rows reach 1e14, that double inversion lost every digit — digits, μ ≈ 2e-7:
 * Newton residual ‖Aδ + g‖/‖g‖ from 1e-9 to 1e2 in two iterations — and the iteration stalled.)
 */
export function newtonSystem(
  p: ConvexProblem,
  st: State,
  tau: number,
  weights: Float64Array,
  chosen?: "samples" | "weights",
  /** Λ in place of ℓ''(Fu) (the hinge's `hingeCurvature`). */
  curvature?: Float64Array,
): { solve(grad: Float64Array): Float64Array } {
  const { rows: n, cols: d, data: x } = p.X;
  const P = p.patterns.count;
  const G = groupCount(p);
  const masks = p.patterns.masks;
  const c = tau * p.lambda;
  const blocks = new Float64Array(G * d * d);
  const H = matrix(d, d);
  const Xt = transpose(p.X);
  for (let g = 0; g < G; g++) {
    const { first, second } = socCurvature(c, norm2(st.u, g * d, d) ** 2);
    gram(p.X, weights.subarray(g * n, g * n + n), H, Xt);
    for (let a = 0; a < d; a++) {
      const ua = second * st.u[g * d + a]!;
      for (let b = 0; b < d; b++) H.data[a * d + b] += ua * st.u[g * d + b]!;
      H.data[a * d + a] += first;
    }
    blocks.set(H.data, g * d * d);
  }
  const lambdaDiag = curvature ?? p.loss.curvature!(st.fu, p.y, new Float64Array(n));
  const constant = p.loss.name === "squared";
  const counts = Array.from({ length: P }, (_, i) => {
    let a = 0;
    for (let k = 0; k < n; k++) a += masks[i * n + k]!;
    return a;
  });
  const form = chosen ?? newtonCost(n, d, P, constant, counts).cheaper;
  const unit = new Float64Array(d);
  if (form === "samples") {
    const chol: Matrix[] = [];
    for (let g = 0; g < G; g++)
      chol.push(
        factor(matrix(d, d, Float64Array.from(blocks.subarray(g * d * d, (g + 1) * d * d)))),
      );
    // K_i = Σ_{g of pattern i} H_g⁻¹ (P blocks d × d).
    const K = new Float64Array(P * d * d);
    for (let i = 0; i < P; i++)
      for (let g = i; g < G; g += P) addCholeskyInverse(chol[g]!, K, i * d * d);
    // ((τΛ)⁻¹ + Σ_i D_i X K_i Xᵀ D_i) e = FP b. Per pattern: X_A (its active rows A, gathered),
    // T = X_A K_i, S[A, A] += T X_Aᵀ (lower half).
    const diagonal = Float64Array.from(lambdaDiag, (l) => 1 / (tau * Math.max(l, 1e-200)));
    const active = new Int32Array(n);
    const XA = new Float64Array(n * d);
    const T = new Float64Array(n * d);
    const S = sumOfScatteredProducts(n, d, diagonal, P, (i) => {
      let na = 0;
      for (let k = 0; k < n; k++) if (masks[i * n + k]) active[na++] = k;
      for (let a = 0; a < na; a++) XA.set(x.subarray(active[a]! * d, active[a]! * d + d), a * d);
      timesTransposed(XA, K.subarray(i * d * d, (i + 1) * d * d), na, d, d, T);
      return { A: T, B: XA, m: na, idx: active };
    });
    // (its lower triangle: all that `cholesky` reads; factorized in place)
    const solveS = cholSolver(factor(S, true));
    return refined((grad) => finish(grad, chol, (b) => solveS(predictPatterns(p, b))));
  }
  // Weights form: L_i = chol(H_v + H_w), W_i = L_i⁻¹ H_v, Schur τT + blockdiag(H_v − W_iᵀW_i).
  const N = P * d;
  const M = Float64Array.from(pairGrams(p, constant ? undefined : lambdaDiag));
  for (let j = 0; j < N * N; j++) M[j] = tau * M[j]!;
  const cholSum: Matrix[] = [];
  const W = new Float64Array(P * d * d);
  const sum = matrix(d, d);
  for (let i = 0; i < P; i++) {
    const hv = blocks.subarray(i * d * d, (i + 1) * d * d);
    const hw = blocks.subarray((P + i) * d * d, (P + i + 1) * d * d);
    for (let j = 0; j < d * d; j++) sum.data[j] = hv[j]! + hw[j]!;
    const L = factor(sum);
    cholSum.push(L);
    // W_i (row-major, column `col` = L⁻¹ h_v[:, col]).
    const Wi = W.subarray(i * d * d, (i + 1) * d * d);
    for (let col = 0; col < d; col++) {
      for (let a = 0; a < d; a++) unit[a] = hv[a * d + col]!;
      lowerSolve(L, unit);
      for (let a = 0; a < d; a++) Wi[a * d + col] = unit[a]!;
    }
    for (let a = 0; a < d; a++)
      for (let b = 0; b <= a; b++) {
        let v = 0;
        for (let j = 0; j < d; j++) v += Wi[j * d + a]! * Wi[j * d + b]!;
        const entry = hv[a * d + b]! - v;
        M[(i * d + a) * N + i * d + b] += entry;
        if (b < a) M[(i * d + b) * N + i * d + a] += entry;
      }
  }
  const cholM = factor(matrix(N, N, M));
  return refined((grad) => {
    // Forward: y_i = L_i⁻¹ r1_i (r1 = −(g_v + g_w)), rhs_i = −g_v − W_iᵀ y_i; M δ = rhs;
    // back: Δw_i = L_i⁻ᵀ (y_i − W_i δ_i), Δv_i = Δw_i + δ_i.
    const y = new Float64Array(N);
    const rhs = new Float64Array(N);
    for (let i = 0; i < P; i++) {
      const yi = y.subarray(i * d, i * d + d);
      for (let a = 0; a < d; a++) yi[a] = -(grad[i * d + a]! + grad[(P + i) * d + a]!);
      lowerSolve(cholSum[i]!, yi);
      const Wi = W.subarray(i * d * d, (i + 1) * d * d);
      for (let a = 0; a < d; a++) {
        let v = -grad[i * d + a]!;
        for (let j = 0; j < d; j++) v -= Wi[j * d + a]! * yi[j]!;
        rhs[i * d + a] = v;
      }
    }
    const delta = cholSolve(cholM, rhs);
    const out = new Float64Array(G * d);
    for (let i = 0; i < P; i++) {
      const Wi = W.subarray(i * d * d, (i + 1) * d * d);
      const dw = out.subarray((P + i) * d, (P + i + 1) * d);
      for (let a = 0; a < d; a++) {
        let v = y[i * d + a]!;
        for (let j = 0; j < d; j++) v -= Wi[a * d + j]! * delta[i * d + j]!;
        dw[a] = v;
      }
      upperSolve(cholSum[i]!, dw);
      for (let a = 0; a < d; a++) out[i * d + a] = dw[a]! + delta[i * d + a]!;
    }
    return out;
  });

  /**
   * One step of iterative refinement against the exact matrix (blocks H_g and τFᵀΛF applied by
   * products): the factorization is inexact where the guard raised a pivot, and an uncorrected
   * error there leaves the iteration at a point that is not stationary.
   */
  function refined(solveOnce: (grad: Float64Array) => Float64Array) {
    return {
      solve(grad: Float64Array): Float64Array {
        const delta = solveOnce(grad);
        const fd = predictFromActivations(p, groupActivations(p, delta));
        for (let k = 0; k < n; k++) fd[k] = tau * lambdaDiag[k]! * fd[k]!;
        const r = adjoint(p, fd, undefined);
        for (let g = 0; g < G; g++)
          for (let a = 0; a < d; a++) {
            let v = grad[g * d + a]!;
            for (let b = 0; b < d; b++) v += blocks[g * d * d + a * d + b]! * delta[g * d + b]!;
            r[g * d + a] += v;
          }
        const correction = solveOnce(r);
        for (let j = 0; j < delta.length; j++) delta[j] += correction[j]!;
        return delta;
      },
    };
  }

  /** Δ from grad: y = −H⁻¹ grad, b_i = Σ σ_g y_g, e = toE(b), Δ_g = y_g − σ_g H_g⁻¹ Xᵀ D_i e. */
  function finish(
    grad: Float64Array,
    chol: Matrix[],
    toE: (b: Float64Array) => Float64Array,
  ): Float64Array {
    const y = new Float64Array(grad.length);
    for (let j = 0; j < y.length; j++) y[j] = -grad[j]!;
    for (let g = 0; g < G; g++) cholSolve(chol[g]!, y, g * d);
    const b = new Float64Array(P * d);
    for (let g = 0; g < G; g++) {
      const sign = g < P ? 1 : -1;
      const i = g % P;
      for (let j = 0; j < d; j++) b[i * d + j] += sign * y[g * d + j]!;
    }
    const e = toE(b);
    const masked = new Float64Array(P * n);
    for (let i = 0; i < P; i++)
      for (let k = 0; k < n; k++) if (masks[i * n + k]) masked[i * n + k] = e[k]!;
    const q = timesX(p.X, masked, P);
    const tmp = new Float64Array(d);
    for (let g = 0; g < G; g++) {
      const sign = g < P ? 1 : -1;
      tmp.set(q.subarray((g % P) * d, (g % P) * d + d));
      cholSolve(chol[g]!, tmp);
      for (let j = 0; j < d; j++) y[g * d + j] -= sign * tmp[j]!;
    }
    return y;
  }
}

/** FP b = Σ_i D_i X b_i for pattern weights b (P × d). */
function predictPatterns(p: ConvexProblem, b: Float64Array): Float64Array {
  const { rows: n } = p.X;
  const P = p.patterns.count;
  const masks = p.patterns.masks;
  const xb = timesXt(p.X, b, P);
  const e = new Float64Array(n);
  for (let i = 0; i < P; i++)
    for (let k = 0; k < n; k++) if (masks[i * n + k]) e[k] += xb[i * n + k]!;
  return e;
}

/**
 * Gradient τFᵀ∇ℓ + ∇ψ_τ − τGᵀ(target/s) of the barrier problem whose cone rows aim at
 * s_k z_k = target_k (target = μ everywhere: Φ_τ with τ = 1/μ).
 */
function barrierGradient(
  p: ConvexProblem,
  st: State,
  tau: number,
  target: Float64Array,
  /** ∇ℓ(Fu) replaced (the hinge's `hingeTerms`). */
  lossGrad?: Float64Array,
): Float64Array {
  const { rows: n, cols: d } = p.X;
  const dl = lossGrad ? Float64Array.from(lossGrad) : p.loss.grad(st.fu, p.y, new Float64Array(n));
  for (let k = 0; k < n; k++) dl[k] = tau * dl[k]!;
  const cone = new Float64Array(target.length);
  for (let j = 0; j < cone.length; j++) cone[j] = (-tau * target[j]!) / st.slack[j]!;
  const grad = adjoint(p, dl, cone);
  const c = tau * p.lambda;
  for (let g = 0; g < groupCount(p); g++) {
    const { first } = socCurvature(c, norm2(st.u, g * d, d) ** 2);
    for (let j = 0; j < d; j++) grad[g * d + j] += first * st.u[g * d + j]!;
  }
  return grad;
}

/**
 * Cholesky factor of a symmetric positive definite Newton block: slacks of active cone rows
 * approach 0 and their weights 1/s² dwarf the rest, so rounding can make a pivot non-positive; such
 * pivots are raised to 1e-14 × the diagonal (`cholesky`'s guard); the step error is left to the
 * next iteration.
 */
function factor(A: Matrix, inPlace = false): Matrix {
  try {
    return cholesky(A, 1e-14, inPlace);
  } catch (e) {
    throw new NewtonBreakdown(String(e));
  }
}

/** The Newton matrix is not positive definite even with the pivot guard (non-finite entries). */
class NewtonBreakdown extends Error {}
