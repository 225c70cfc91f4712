/**
 * Augmented Lagrangian method for the exact cone-constrained program (the "AL" solver of Mishkin,
 * Kumar & Pilanci 2022, §4; Nocedal & Wright 2006, §17.4 for inequality constraints):
 *
 *   inner:  u ← argmin_u ℓ(Fu) + (ρ/2) ‖(γ/ρ − Gu)₊‖² + λ Σ_g ‖u_g‖   (FISTA with restarts, warm start)
 *   outer:  γ ← (γ − ρ G u)₊,
 *
 * where G stacks the cone maps (2D_i − I) X of every group. It is independent of the ADMM splitting
 * (no linear system, no split variables) and is used to compute reference optima p*. Certificate:
 * θ = −∇ℓ(Fu), μ = γ (a dual-feasible pair after the scaling of certificate.ts), evaluated at the
 * cone-shifted point. In practice that certificate is loose (γ carries the inexact inner solve's
 * error times ρ: relative gap 2.6e-4 after 30000 iterations on the AL test problem) while the primal
 * value converges much further (1.6e-11 above ADMM's 1e-14-certified optimum there, see
 * test/convex/solvers.test.ts).
 */
import { InputError } from "../errors.js";
import type { Certificate } from "./certificate.js";
import {
  fistaLoop,
  initialState,
  requireSmooth,
  restartMomentum,
  smoothPart,
  solveResult,
} from "./fista.js";
import {
  adjoint,
  type ConvexProblem,
  coneFromActivations,
  groupActivations,
  predictFromActivations,
} from "./problem.js";
import { certify, markCertificate, type SolveResult, type SolverOptions } from "./result.js";

export interface AugmentedLagrangianOptions extends SolverOptions {
  /** Initial penalty ρ (default 1); multiplied by 10 when the cone violation stalls. */
  rho?: number;
  /** FISTA iterations per outer step at most (default 2000). */
  innerIter?: number;
  /** Warm start of the primal weights (e.g. the solution at a larger λ); the multipliers start at 0. */
  start?: Float64Array;
}

/** Solves the ReLU (non-gated) program with a smooth loss; stops at relative duality gap ≤ tol. */
export function augmentedLagrangian(
  p: ConvexProblem,
  opts: AugmentedLagrangianOptions = {},
): SolveResult {
  requireSmooth(p);
  if (p.gated) throw new Error("augmentedLagrangian: the problem has no cone constraints");
  const t0 = performance.now();
  const { tol = 1e-10, maxIter = 200_000, innerIter = 2000 } = opts;
  let rho = opts.rho ?? 1;
  const n = p.X.rows;
  const gamma = new Float64Array(2 * p.patterns.count * n);
  const theta = new Float64Array(n);
  const state = initialState(p);
  if (opts.start) {
    if (opts.start.length !== state.u.length)
      throw new InputError("start", `needs ${state.u.length} entries, got ${opts.start.length}`);
    state.u.set(opts.start);
    state.y.set(opts.start);
  }
  let cert: { u: Float64Array; certificate: Certificate } | undefined;
  let violation = Number.POSITIVE_INFINITY;
  let stepTol = 1e-4;
  let converged = false;
  while (!converged && state.iter < maxIter) {
    // Smooth part ℓ(Fu) + (ρ/2)‖(γ/ρ − Gu)₊‖², gradient Fᵀ∇ℓ − Gᵀ(γ − ρGu)₊.
    const r = rho;
    fistaLoop(
      p,
      (u, grad, th) => {
        const xu = groupActivations(p, u);
        const fu = predictFromActivations(p, xu);
        const gu = coneFromActivations(p, xu);
        let value = p.loss.value(fu, p.y);
        for (let j = 0; j < gu.length; j++) {
          const m = Math.max(0, gamma[j]! - r * gu[j]!);
          value += (m * m) / (2 * r);
          gu[j] = -m;
        }
        if (grad || th) {
          const g = p.loss.grad(fu, p.y, new Float64Array(n));
          if (th) for (let k = 0; k < n; k++) th[k] = -g[k]!;
          if (grad) adjoint(p, g, gu, grad);
        }
        return value;
      },
      state,
      Math.min(innerIter, maxIter - state.iter),
      stepTol,
      opts.onIter,
    );
    const { worst, scale } = multiplierStep(
      gamma,
      coneFromActivations(p, groupActivations(p, state.u)),
      rho,
    );
    // Raise ρ while the violation stalls, but not once it is at rounding level: a huge ρ would
    // amplify the inner solver's error in the multiplier (and so in the certificate).
    if (worst > 0.25 * violation && worst > 1e-12 * scale) rho *= 10;
    violation = Math.min(violation, worst);
    stepTol = Math.max(1e-13, stepTol * 0.1);
    restartMomentum(state);
    smoothPart(p)(state.u, undefined, theta);
    cert = certify(p, state.u, theta, gamma);
    markCertificate(state.trace, cert.certificate);
    converged = cert.certificate.relGap <= tol;
  }
  if (!cert) throw new Error("augmentedLagrangian: no iterations");
  return solveResult(cert, state, converged, t0);
}

/**
 * The augmented-Lagrangian multiplier step for constraints c(u) ≥ 0: γ ← (γ − ρ c)₊ in place.
 * Returns the largest violation max_j(−c_j) and the scale max_j |c_j| it is judged against.
 */
export function multiplierStep(
  gamma: Float64Array,
  c: Float64Array,
  rho: number,
): { worst: number; scale: number } {
  let worst = 0;
  let scale = 0;
  for (let j = 0; j < c.length; j++) {
    gamma[j] = Math.max(0, gamma[j]! - rho * c[j]!);
    worst = Math.max(worst, -c[j]!);
    scale = Math.max(scale, Math.abs(c[j]!));
  }
  return { worst, scale };
}
