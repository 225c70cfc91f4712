/**
 * The phase diagram off the main thread: log χ_J over the (σ_w², σ_b²) grid at the settings'
 * depth (critkit's `mlpPhaseDiagram` / `phaseDiagram`) and the critical line χ_J(q*) = 1
 * (`criticalLine`). Some settings take seconds (unbounded activations with a skip connection
 * carry q far beyond the interpolation table); the page replaces a busy worker rather than wait.
 */
import {
  criticalLine,
  linspace,
  mlpBlock,
  mlpPhaseDiagram,
  phaseDiagram,
  tabulated,
} from "../../src/index.js";
import { quadspace } from "../../src/theory/phase.js";
import { activationFor, type PhaseRequest, Q0, SIGMA_B2_RANGE, SIGMA_W2_RANGE } from "./model.js";

export interface PhaseResult {
  request: PhaseRequest;
  sigmaW2: Float64Array;
  sigmaB2: Float64Array;
  /** row-major [iB][iW] */
  logChi: Float64Array;
  phase: Uint8Array;
  line: { sigmaW2: number; sigmaB2: number }[];
  ms: number;
}

const scope = self as unknown as {
  onmessage: (e: MessageEvent<PhaseRequest>) => void;
  postMessage(m: PhaseResult): void;
};

scope.onmessage = (e) => {
  const r = e.data;
  const start = performance.now();
  const phi = activationFor(r.activation);
  const fast = tabulated(phi);
  const family = (sigmaW2: number, sigmaB2: number) =>
    mlpBlock({ activation: fast, sigmaW2, sigmaB2, layernorm: r.layernorm, mu: r.mu });
  const sw2 = linspace(...SIGMA_W2_RANGE, r.grid);
  const sb2 = linspace(...SIGMA_B2_RANGE, r.grid);
  const grid =
    r.layernorm === "none" && r.mu === 0
      ? mlpPhaseDiagram(phi, sw2, sb2, r.depth, Q0)
      : phaseDiagram(family, sw2, sb2, r.depth, Q0);
  // the continuous part (χ_J = 1); where q* jumps the order-to-chaos change is not a critical point
  const line = criticalLine(family, quadspace(...SIGMA_B2_RANGE, 12), Q0, SIGMA_W2_RANGE).filter(
    (p) => p.continuous,
  );
  scope.postMessage({
    request: r,
    sigmaW2: grid.sigmaW2,
    sigmaB2: grid.sigmaB2,
    logChi: grid.logChi,
    phase: grid.phase,
    line,
    ms: performance.now() - start,
  });
};
