/**
 * critkit's Node-only API (`import … from "critkit/node"`): what reads or writes files or starts
 * worker threads, kept out of the main entry so that it bundles for the browser unchanged.
 * The bundled datasets as training sets and splits; training checkpoints; a pool of worker
 * threads for coarse-grained parallel APJN measurements.
 */

export { relabel, type TaskName } from "./data/tasks.js";
export {
  oneHot,
  stratifiedSplit,
  type TrainingSet,
  trainingDatasetNames,
  trainingSet,
} from "./data/training.js";
export {
  hasCheckpoint,
  loadCheckpoint,
  type RunConfig,
  saveCheckpoint,
} from "./node/checkpoint.js";
export { MeasurePool } from "./node/parallel.js";
