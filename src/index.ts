/**
 * critkit's library API. Theory (float64, no tensor engine): activations, layer kernel maps,
 * recurrences, fixed points, critical points, phase diagrams. Finite networks (@jax-js/jax):
 * architectures from the same layers, the empirical APJN, the numerical criticality test. Convex
 * (globally optimal) training of two-layer ReLU networks under the `convex` namespace.
 */

/** Convex training of two-layer ReLU networks: `import { convex } from "critkit"` (docs/convex.md). */
export * as convex from "./convex/index.js";
export { apjnEmpirical, apjnExact, apjnToOutput, jacobianExact } from "./diagnostics/apjn.js";
export { measureApjn, theoryApjn } from "./diagnostics/apjn-profile.js";
export { initSearch } from "./diagnostics/init-search.js";
export { InputError } from "./errors.js";
export { loadJax, shutdownJax } from "./nets/jax.js";
export {
  type Architecture,
  instantiate,
  mixerArchitecture,
  mlpArchitecture,
  sampleParams,
} from "./nets/network.js";
export {
  act,
  dense,
  type Layer,
  layerNorm,
  mixerBlock,
  mlpBlock,
  residual,
  scale,
  serial,
  sum,
} from "./nets/stax.js";
export { Rng } from "./rng.js";
export {
  ACTIVATION_NAMES,
  type Activation,
  activation,
  customActivation,
} from "./theory/activations.js";
export { criticalLine, criticalPoint } from "./theory/critical.js";
export { correlation, gaussianKernel, type Kernel, type KernelLayer } from "./theory/kernel.js";
export { linspace, mlpPhaseDiagram, PHASES, phaseDiagram } from "./theory/phase.js";
export {
  apjnFrom,
  depthScale,
  fitLine,
  fixedPoint,
  fixedPointQ,
  powerLawFit,
  propagate,
} from "./theory/recurrence.js";
export { tabulated } from "./theory/tabulate.js";
