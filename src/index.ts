/**
 * critkit's library API. Theory (float64, no tensor engine): activations, layer kernel maps,
 * recurrences, fixed points, critical points, phase diagrams. Finite networks (@jax-js/jax):
 * architectures from the same layers, the empirical APJN, the numerical criticality test.
 */

export { apjnEmpirical, apjnExact, apjnToOutput, jacobianExact } from "./diagnostics/apjn.js";
export { measureApjn, theoryApjn } from "./diagnostics/apjn-profile.js";
export { chiGrid } from "./diagnostics/chi-grid.js";
export { initSearch } from "./diagnostics/init-search.js";
export { MeasurePool } from "./diagnostics/parallel.js";
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
export { Rng, ZigguratRng } from "./rng.js";
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
