/**
 * critkit's library API. Theory (float64, no tensor engine): activations, layer kernel maps,
 * recurrences, fixed points, critical points, phase diagrams. Finite networks (@jax-js/jax):
 * architectures from the same layers, the empirical APJN, the numerical criticality test.
 * Training (src/train): optimizers, schedules, the training loop. Convex
 * (globally optimal) training of two-layer ReLU networks under the `convex` namespace.
 * Everything here also runs in a browser; what needs Node (files, worker threads) is in
 * `critkit/node` (src/node.ts).
 */

/** Convex training of two-layer ReLU networks: `import { convex } from "critkit"` (docs/convex.md). */
export * as convex from "./convex/index.js";
export { apjnEmpirical, apjnExact, apjnToOutput, jacobianExact } from "./diagnostics/apjn.js";
export { measureApjn, theoryApjn } from "./diagnostics/apjn-profile.js";
export { chiGrid } from "./diagnostics/chi-grid.js";
export { initSearch } from "./diagnostics/init-search.js";
export { linearizedModel } from "./diagnostics/linearize.js";
export {
  type SideBySideConfig,
  type SideBySideRecord,
  type SideBySideResult,
  trainSideBySide,
} from "./diagnostics/linearized-training.js";
export { type EmpiricalNtk, empiricalNtk, parameterJacobian } from "./diagnostics/ntk.js";
export { InputError } from "./errors.js";
export { loadJax, shutdownJax } from "./nets/jax.js";
export {
  act,
  dense,
  derivedJvp,
  type JaxParams,
  type Layer,
  layerJvp,
  layerNorm,
  mixerBlock,
  mlpBlock,
  perGroup,
  residual,
  scale,
  serial,
  sum,
  transposeGroups,
} from "./nets/layers/index.js";
export {
  createModel,
  LOSS_NAMES,
  type LossName,
  lossValue,
  type Model,
  mlpModel,
  modelBlocks,
  objective,
  valueAndGrad,
} from "./nets/model.js";
export {
  type Architecture,
  instantiate,
  mixerArchitecture,
  mlpArchitecture,
  sampleParams,
} from "./nets/network.js";
export { Rng, ZigguratRng } from "./rng.js";
export {
  ACTIVATION_NAMES,
  type Activation,
  activation,
  customActivation,
} from "./theory/activations.js";
export { criticalLine, criticalPoint } from "./theory/critical.js";
export { type SymmetricEigen, symmetricEigen } from "./theory/eigen.js";
export {
  type FixedPointInfo,
  type FixedPointSet,
  fixedPointQ,
  fixedPoints,
} from "./theory/fixed-points.js";
export {
  correlation,
  gaussianKernel,
  geometricMean,
  inputKernel,
  type Kernel,
  type KernelLayer,
} from "./theory/kernel.js";
export { type KernelGrams, kernelGrams, kernelThrough } from "./theory/kernel-gram.js";
export { linspace, mlpPhaseDiagram, PHASES, phaseDiagram } from "./theory/phase.js";
export { gpPosterior, gradientDescentMse } from "./theory/predict.js";
export {
  apjnFrom,
  depthScale,
  fitLine,
  fixedPoint,
  powerLawFit,
  propagate,
} from "./theory/recurrence.js";
export { tabulated } from "./theory/tabulate.js";
export {
  initialState,
  type TrainConfig,
  type TrainState,
  type TrainTask,
  train,
} from "./train/loop.js";
export { makeOptimizer, type Optimizer, type OptimizerConfig } from "./train/optimizers.js";
export { makeSchedule, type ScheduleConfig } from "./train/schedules.js";
