/**
 * Accelerated proximal gradient (FISTA, Beck & Teboulle 2009) with backtracking on the step and
 * function-value restarts (O'Donoghue & Candès 2015), for min h(u) + λ Σ_g ‖u_g‖ with smooth h.
 *
 * Used for the gated-ReLU relaxation, h(u) = ℓ(Fu) (Mishkin, Kumar & Pilanci 2022); the result is
 * converted to a ReLU network by `gatedToRelu` (gated.ts). Certificate: θ = −∇ℓ(Fu) (see certificate.ts).
 */

import { InputError } from "../errors.js";
import type { Certificate } from "./certificate.js";
import {
  adjoint,
  type ConvexProblem,
  groupActivations,
  groupCount,
  groupNorm,
  groupShrink,
  predictFromActivations,
  validateProblem,
} from "./problem.js";
import {
  certify,
  markCertificate,
  type SolveResult,
  type SolverOptions,
  type TracePoint,
} from "./result.js";

/** Value and gradient of the smooth part at u; `theta` receives −∇ℓ(Fu). */
type Smooth = (u: Float64Array, grad: Float64Array | undefined, theta?: Float64Array) => number;

export interface InnerState {
  u: Float64Array;
  /** Extrapolated point and momentum parameter, kept between calls. */
  y: Float64Array;
  t: number;
  /** Inverse step estimate (Lipschitz constant of ∇h). */
  L: number;
  iter: number;
  trace: TracePoint[];
}

/** Smooth part h(u) = ℓ(Fu) of the gated program. */
export function smoothPart(p: ConvexProblem): Smooth {
  return (u, grad, theta) => {
    const fu = predictFromActivations(p, groupActivations(p, u));
    const value = p.loss.value(fu, p.y);
    if (grad || theta) {
      const g = p.loss.grad(fu, p.y, new Float64Array(fu.length));
      if (theta) for (let k = 0; k < g.length; k++) theta[k] = -g[k]!;
      if (grad) adjoint(p, g, undefined, grad);
    }
    return value;
  };
}

/**
 * FISTA iterations on h + λΣ‖u_g‖ from state.u until the prox-gradient step is below `stepTol`
 * (relative) or `stop` says so (checked every `checkEvery` iterations) or maxIter is reached.
 */
export function fistaLoop(
  p: ConvexProblem,
  h: Smooth,
  state: InnerState,
  maxIter: number,
  stepTol: number,
  onIter?: (iter: number, objective: number) => void,
): void {
  const d = p.X.cols;
  let x = state.u;
  let fx = h(x, undefined) + groupNorm(p, x);
  let y = state.y;
  let t = state.t;
  const grad = new Float64Array(x.length);
  for (let k = 0; k < maxIter; k++) {
    const hy = h(y, grad);
    let xNew: Float64Array;
    let hNew: number;
    for (;;) {
      xNew = y.map((v, j) => v - grad[j]! / state.L);
      groupShrink(xNew, d, p.lambda / state.L);
      hNew = h(xNew, undefined);
      let lin = 0;
      let quad = 0;
      for (let j = 0; j < xNew.length; j++) {
        const dlt = xNew[j]! - y[j]!;
        lin += grad[j]! * dlt;
        quad += dlt * dlt;
      }
      if (hNew <= hy + lin + (state.L / 2) * quad + 1e-12 * Math.abs(hy)) break;
      state.L *= 2;
    }
    const fNew = hNew + groupNorm(p, xNew);
    state.iter++;
    if (fNew > fx && t > 1) {
      // Restart: drop the momentum and take a plain proximal step from x next time (a plain step,
      // t = 1, is always taken: it decreases f up to the rounding slack of the step test).
      y = Float64Array.from(x);
      t = 1;
      continue;
    }
    let step2 = 0;
    let size2 = 0;
    for (let j = 0; j < x.length; j++) {
      step2 += (xNew[j]! - x[j]!) ** 2;
      size2 += xNew[j]! ** 2;
    }
    const tNew = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = (t - 1) / tNew;
    y = xNew.map((v, j) => v + beta * (v - x[j]!));
    x = xNew;
    fx = fNew;
    t = tNew;
    state.L *= 0.95;
    state.trace.push({ iter: state.iter, objective: fx });
    onIter?.(state.iter, fx);
    if (step2 <= stepTol * stepTol * Math.max(size2, 1e-30)) break;
  }
  state.u = x;
  state.y = y;
  state.t = t;
}

export function initialState(p: ConvexProblem): InnerState {
  const u = new Float64Array(groupCount(p) * p.X.cols);
  return { u, y: Float64Array.from(u), t: 1, L: 1, iter: 0, trace: [] };
}

export function requireSmooth(p: ConvexProblem): void {
  validateProblem(p);
  if (!p.loss.smooth)
    throw new InputError("solver", `FISTA needs a smooth loss, not ${p.loss.name} (use ADMM)`);
}

/** Gated-ReLU relaxation by FISTA with restarts; stops at relative duality gap ≤ tol. */
export function fistaGated(p: ConvexProblem, opts: SolverOptions = {}): SolveResult {
  requireSmooth(p);
  if (!p.gated) throw new Error("fistaGated: problem must be gated");
  const t0 = performance.now();
  const { tol = 1e-6, maxIter = 20000, checkEvery = 20 } = opts;
  const h = smoothPart(p);
  const state = initialState(p);
  const theta = new Float64Array(p.X.rows);
  let cert: { u: Float64Array; certificate: Certificate };
  let converged = false;
  do {
    fistaLoop(p, h, state, checkEvery, 0, opts.onIter);
    h(state.u, undefined, theta);
    cert = certify(p, state.u, theta);
    markCertificate(state.trace, cert.certificate);
    converged = cert.certificate.relGap <= tol;
  } while (!converged && state.iter < maxIter);
  return solveResult(cert, state, converged, t0);
}

/** The result of a FISTA-based solver whose last certificate is `cert`, started at time t0. */
export function solveResult(
  cert: { u: Float64Array; certificate: Certificate },
  state: InnerState,
  converged: boolean,
  t0: number,
): SolveResult {
  return {
    ...cert,
    iterations: state.iter,
    converged,
    trace: state.trace,
    ms: performance.now() - t0,
  };
}

/** Restarts FISTA's momentum at the current iterate (after a change of the objective). */
export function restartMomentum(state: InnerState): void {
  state.y = Float64Array.from(state.u);
  state.t = 1;
}
