/**
 * Interior-point (log-barrier Newton) method for the convex program with a smooth loss
 * (Boyd & Vandenberghe 2004, §11.3; the group-lasso second-order cone eliminated in closed form).
 *
 * Barrier problem, for a weight τ that grows by `growth` whenever the iterate is centred:
 *
 *   min_u  Φ_τ(u) = τ ℓ(Fu) + Σ_g ψ_τ(‖u_g‖²) − Σ_g Σ_k log (G_g u_g)_k.
 *
 * ψ_τ is the SOC barrier min_t τλt − log(t² − ‖u_g‖²) minimized over t in closed form: with
 * c = τλ and q = √(1 + c² r), t* = (1 + q)/c and ψ_τ(r) = q − log(1 + q) (+ const), so
 * ∇ = 2ψ' u, ∇² = 2ψ' I + 4ψ'' u uᵀ with 2ψ' = c²/(1 + q), 4ψ'' = −c⁴/(q (1 + q)²). Partial
 * minimization keeps Φ convex and self-concordant, so damped Newton with backtracking converges.
 * Cone rows of a zero data row are identically 0 ≥ 0 and are left out of the barrier.
 *
 * Newton system (H + τ Fᵀ Λ F) Δ = −∇Φ, H = blockdiag(H_g) with
 * H_g = 2ψ'_g I + 4ψ''_g u_g u_gᵀ + Xᵀ diag(1/s_g²) X and Λ = ℓ''(Fu) diagonal. F couples the
 * groups only through the n predictions, so (Woodbury) with e = τΛFΔ:
 *
 *   ((τΛ)⁻¹ + Σ_i D_i X K_i Xᵀ D_i) e = Σ_i D_i X b_i,   Δ_g = H_g⁻¹ (r_g − σ_g Xᵀ D_i e),
 *
 * K_i = Σ_{g of pattern i} H_g⁻¹, b_i = Σ σ_g H_g⁻¹ r_g: per step 2P weighted Gram matrices
 * (n d² each), P updates of the n × n matrix on each pattern's active rows, one n × n Cholesky.
 *
 * Certificate (certificate.ts) at every step from θ = −∇ℓ(Fu) and the barrier's multipliers
 * μ = 1/(τ s); at a centred point (θ, μ) is dual feasible with gap m/τ (m barrier terms), and
 * the iterate is strictly cone-feasible, so no rounding is needed.
 */

import { InputError } from "../errors.js";
import { type Certificate, certificate } from "./certificate.js";
import {
  cholesky,
  cholSolve,
  gram,
  type Matrix,
  matrix,
  norm2,
  timesX,
  timesXt,
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
} from "./problem.js";
import { leastNormInCone, rowNorms2 } from "./recover.js";
import {
  markCertificate,
  type SolveResult,
  type SolverOptions,
  type TracePoint,
} from "./result.js";

export interface InteriorPointOptions extends SolverOptions {
  /** Factor by which τ grows once the Newton decrement is small (default 10). */
  growth?: number;
  /** Starting point (strictly cone-feasible for ReLU problems), e.g. the solution at a larger λ. */
  start?: Float64Array;
}

/** Barrier state at one point: activations, predictions, slacks. */
interface State {
  u: Float64Array;
  fu: Float64Array;
  /** Cone slacks G_g u_g (groups × n); empty for gated problems. */
  slack: Float64Array;
}

export function interiorPoint(p: ConvexProblem, opts: InteriorPointOptions = {}): SolveResult {
  validateProblem(p);
  if (!p.loss.curvature)
    throw new InputError(
      "solver",
      `the interior-point method needs a smooth loss, not ${p.loss.name} (use admm)`,
    );
  const t0 = performance.now();
  const { tol = 1e-6, maxIter = 200, growth = 10 } = opts;
  const live = liveRows(p);
  let st = evaluate(p, opts.start ?? initialPoint(p));
  const coneTerms = p.gated ? 0 : groupCount(p) * live.count;
  let tau = (coneTerms + 2 * groupCount(p)) / Math.max(objective(p, st), 1e-300);
  let z = multipliers(st, tau, live.mask);
  const trace: TracePoint[] = [];
  let best: { u: Float64Array; certificate: Certificate } | undefined;
  let iter = 0;
  let converged = false;
  let sigma = 0.1;
  while (iter < maxIter && !converged) {
    iter++;
    // Target μ = σ sᵀz/m on the cone rows, τ = 1/μ for the group barrier.
    if (coneTerms > 0) {
      let sz = 0;
      for (let j = 0; j < z.length; j++) sz += z[j]! * st.slack[j]!;
      tau = coneTerms / (sigma * sz);
    } else tau *= growth;
    const weights = z.map((v, j) => (v === 0 ? 0 : (tau * v) / st.slack[j]!));
    const step = newtonStep(p, st, tau, live.mask, weights);
    const dir = evaluate(p, step.delta);
    // Δz = μ/s − z − (z/s) GΔ.
    const dz = z.map((v, j) =>
      v === 0 ? 0 : 1 / (tau * st.slack[j]!) - v - (v / st.slack[j]!) * dir.slack[j]!,
    );
    let alpha = 1;
    for (let j = 0; j < z.length; j++) {
      if (z[j] === 0) continue;
      if (dir.slack[j]! < 0) alpha = Math.min(alpha, (-0.99 * st.slack[j]!) / dir.slack[j]!);
      if (dz[j]! < 0) alpha = Math.min(alpha, (-0.99 * z[j]!) / dz[j]!);
    }
    st = {
      u: st.u.map((v, j) => v + alpha * step.delta[j]!),
      fu: st.fu.map((v, k) => v + alpha * dir.fu[k]!),
      slack: st.slack.map((v, j) => v + alpha * dir.slack[j]!),
    };
    z = z.map((v, j) => v + alpha * dz[j]!);
    sigma = alpha > 0.8 ? 0.1 : alpha > 0.3 ? 0.3 : 0.6;
    trace.push({ iter, objective: objective(p, st) });
    opts.onIter?.(iter, trace[trace.length - 1]!.objective);
    const th = theta(p, st);
    const polished = p.gated ? z : polishMultipliers(p, th, z, st.slack);
    const cert = certificate(p, st.u, th, polished);
    markCertificate(trace, cert);
    if (!best || cert.relGap < best.certificate.relGap) best = { u: st.u, certificate: cert };
    converged = cert.relGap <= tol;
  }
  if (!best) throw new Error("interiorPoint: no iterations");
  return { ...best, iterations: iter, converged, trace, ms: performance.now() - t0 };
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
 * A strictly feasible start: every ReLU group at its pattern's gate (interior to its cone), scaled
 * so that the largest |x_k · u_g| is 1/(2P); gated groups at 0.
 */
function initialPoint(p: ConvexProblem): Float64Array {
  const { cols: d } = p.X;
  const P = p.patterns.count;
  const u = new Float64Array(groupCount(p) * d);
  if (p.gated) return u;
  const act = timesXt(p.X, p.patterns.gates, P);
  const n = p.X.rows;
  for (let i = 0; i < P; i++) {
    let big = 0;
    for (let k = 0; k < n; k++) big = Math.max(big, Math.abs(act[i * n + k]!));
    const scale = 1 / (2 * P * big);
    for (const g of [i, P + i])
      for (let j = 0; j < d; j++) u[g * d + j] = scale * p.patterns.gates[i * d + j]!;
  }
  return u;
}

function evaluate(p: ConvexProblem, u: Float64Array): State {
  const xu = groupActivations(p, u);
  const fu = predictFromActivations(p, xu);
  return { u, fu, slack: p.gated ? new Float64Array(0) : coneFromActivations(p, xu) };
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

/** 2ψ'(r) and 4ψ''(r) of the eliminated SOC barrier at r = ‖u_g‖², c = τλ. */
function socCurvature(c: number, r: number): { first: number; second: number } {
  const q = Math.sqrt(1 + c * c * r);
  return { first: (c * c) / (1 + q), second: -(c * c * c * c) / (q * (1 + q) * (1 + q)) };
}

interface Step {
  delta: Float64Array;
  grad: Float64Array;
  /** Newton decrement² = −∇Φᵀ Δ. */
  decrement2: number;
}

/** Newton direction of Φ_τ at st by the Woodbury reduction to an n × n system (see top). */
function newtonStep(
  p: ConvexProblem,
  st: State,
  tau: number,
  live: Uint8Array,
  weights: Float64Array,
): Step {
  const { rows: n, cols: d, data: x } = p.X;
  const P = p.patterns.count;
  const G = groupCount(p);
  const masks = p.patterns.masks;
  const c = tau * p.lambda;
  const dl = p.loss.grad(st.fu, p.y, new Float64Array(n));
  for (let k = 0; k < n; k++) dl[k] = tau * dl[k]!;
  const invSlack = st.slack.map((s, j) => (live[j % n] ? -1 / s : 0));
  const grad = adjoint(p, dl, p.gated ? undefined : invSlack);
  // Per-group Hessian blocks, factorized.
  const chol: Matrix[] = [];
  const H = matrix(d, d);
  for (let g = 0; g < G; g++) {
    const r = norm2(st.u, g * d, d) ** 2;
    const { first, second } = socCurvature(c, r);
    for (let j = 0; j < d; j++) grad[g * d + j] += first * st.u[g * d + j]!;
    if (p.gated) H.data.fill(0);
    else {
      gram(p.X, weights.subarray(g * n, g * n + n), H);
    }
    for (let a = 0; a < d; a++) {
      const ua = second * st.u[g * d + a]!;
      for (let b = 0; b < d; b++) H.data[a * d + b] += ua * st.u[g * d + b]!;
      H.data[a * d + a] += first;
    }
    chol.push(factor(H));
  }
  // y_g = H_g⁻¹ r_g with r = −∇Φ; b_i = Σ σ_g y_g; K_i = Σ H_g⁻¹.
  const y = grad.map((v) => -v);
  for (let g = 0; g < G; g++) cholSolve(chol[g]!, y, g * d);
  const b = new Float64Array(P * d);
  for (let g = 0; g < G; g++) {
    const sign = g < P ? 1 : -1;
    const i = g % P;
    for (let j = 0; j < d; j++) b[i * d + j] += sign * y[g * d + j]!;
  }
  // S = (τΛ)⁻¹ + Σ_i D_i X K_i Xᵀ D_i (lower triangle), rhs = Σ_i D_i X b_i.
  const lambdaDiag = p.loss.curvature!(st.fu, p.y, new Float64Array(n));
  const S = matrix(n, n);
  for (let k = 0; k < n; k++) S.data[k * n + k] = 1 / (tau * Math.max(lambdaDiag[k]!, 1e-200));
  const K = new Float64Array(d * d);
  const active = new Int32Array(n);
  let T = new Float64Array(0);
  for (let i = 0; i < P; i++) {
    K.fill(0);
    for (let g = i; g < G; g += P)
      for (let col = 0; col < d; col++) {
        const e = new Float64Array(d);
        e[col] = 1;
        cholSolve(chol[g]!, e);
        for (let a = 0; a < d; a++) K[a * d + col] += e[a]!;
      }
    let na = 0;
    for (let k = 0; k < n; k++) if (masks[i * n + k]) active[na++] = k;
    if (T.length < na * d) T = new Float64Array(n * d);
    // T = X_act K (rows of the active samples).
    for (let a = 0; a < na; a++) {
      const xo = active[a]! * d;
      for (let col = 0; col < d; col++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += x[xo + j]! * K[j * d + col]!;
        T[a * d + col] = s;
      }
    }
    for (let a = 0; a < na; a++) {
      const ka = active[a]!;
      const to = a * d;
      const so = ka * n;
      for (let bb = 0; bb <= a; bb++) {
        const xo = active[bb]! * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += T[to + j]! * x[xo + j]!;
        S.data[so + active[bb]!] += s;
      }
    }
  }
  for (let a = 0; a < n; a++)
    for (let bb = 0; bb < a; bb++) S.data[bb * n + a] = S.data[a * n + bb]!;
  const xb = timesXt(p.X, b, P);
  const e = new Float64Array(n);
  for (let i = 0; i < P; i++)
    for (let k = 0; k < n; k++) if (masks[i * n + k]) e[k] += xb[i * n + k]!;
  cholSolve(factor(S), e);
  // Δ_g = y_g − σ_g H_g⁻¹ Xᵀ D_i e.
  const masked = new Float64Array(P * n);
  for (let i = 0; i < P; i++)
    for (let k = 0; k < n; k++) if (masks[i * n + k]) masked[i * n + k] = e[k]!;
  const q = timesX(p.X, masked, P);
  const delta = y;
  const tmp = new Float64Array(d);
  for (let g = 0; g < G; g++) {
    const sign = g < P ? 1 : -1;
    tmp.set(q.subarray((g % P) * d, (g % P) * d + d));
    cholSolve(chol[g]!, tmp);
    for (let j = 0; j < d; j++) delta[g * d + j] -= sign * tmp[j]!;
  }
  let decrement2 = 0;
  for (let j = 0; j < delta.length; j++) decrement2 -= grad[j]! * delta[j]!;
  return { delta, grad, decrement2 };
}

/**
 * Cholesky factor of a symmetric positive definite Newton block, with 1e-13 × its largest diagonal
 * added to the diagonal: slacks of active cone rows approach 0, their weights 1/s² dwarf the rest
 * and rounding would otherwise make the block numerically indefinite (the step stays a descent
 * direction, its error is caught by the line search).
 */
function factor(A: Matrix): Matrix {
  const m = A.rows;
  let big = 0;
  for (let k = 0; k < m; k++) big = Math.max(big, A.data[k * m + k]!);
  for (let k = 0; k < m; k++) A.data[k * m + k] += 1e-13 * big;
  return cholesky(A);
}
