/** Convex training of two-layer ReLU networks (Pilanci & Ergen 2020) and its non-convex baseline. */
export { type AdmmOptions, type AdmmResult, type AdmmState, admm } from "./admm.js";
export { type AugmentedLagrangianOptions, augmentedLagrangian } from "./al.js";
export { type Certificate, certificate } from "./certificate.js";
export {
  INITIAL_SET,
  patternPrices,
  subsetPatterns,
  type WorkingSetOptions,
  workingSetSolve,
} from "./columns.js";
export { fistaGated } from "./fista.js";
export { type GatedToRelu, type GatedToReluOptions, gatedToRelu } from "./gated.js";
export {
  defaultPatternCount,
  type InteriorPointOptions,
  type InteriorPointResult,
  interiorPoint,
  newtonCost,
} from "./ipm.js";
export { type Matrix, matrix } from "./linalg.js";
export { type Loss, type LossName, losses } from "./losses.js";
export { type Network, networkObjective, networkOutput } from "./network.js";
export {
  activeNeurons,
  type LambdaPath,
  type LambdaPathOptions,
  lambdaPath,
  logGrid,
  type PathPoint,
  type PathSolver,
} from "./path.js";
export { enumeratePatterns, samplePatterns } from "./patterns.js";
export {
  type ConvexProblem,
  coneViolation,
  convexObjective,
  lambdaMax,
  type Patterns,
} from "./problem.js";
export { coneDecomposition, recoverNetwork, shiftIntoCones } from "./recover.js";
export type { SolveResult, SolverOptions, TracePoint } from "./result.js";
export {
  type RobustOptions,
  type RobustResult,
  robustLowerBound,
  robustObjective,
  robustTrain,
  sampleRobustPatterns,
  shiftIntoRobustCones,
  worstCaseHinge,
} from "./robust.js";
export {
  type RobustIpmOptions,
  type RobustIpmResult,
  robustInteriorPoint,
} from "./robust-ipm.js";
export {
  type GdBaselineOptions,
  type GdMethod,
  type GdOptions,
  gdBaseline,
  trainGd,
} from "./sgd.js";
export { AdmmSystem } from "./system.js";
