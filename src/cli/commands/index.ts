import type { Command } from "commander";
import { registerApjn } from "./apjn.js";
import { registerApjnTheory } from "./apjn-theory.js";
import { registerChiGrid } from "./chi-grid.js";
import { registerConvex } from "./convex.js";
import { registerCoordCheck } from "./coord-check.js";
import { registerCritical } from "./critical.js";
import { registerDemo } from "./demo.js";
import { registerInitSearch } from "./init-search.js";
import { registerLinearize } from "./linearize.js";
import { registerNtk } from "./ntk.js";
import { registerPhase } from "./phase.js";
import { registerReport } from "./report.js";
import { registerResnetScaling } from "./resnet-scaling.js";
import { registerSharpness } from "./sharpness.js";
import { registerSweep } from "./sweep.js";
import { registerTrain } from "./train.js";
import { registerTransformer } from "./transformer.js";
import { registerTwins } from "./twins.js";
import { registerWorker } from "./worker.js";

/** Every command of the CLI, in the order `critkit --help` lists them. */
export const commands: Array<(program: Command) => void> = [
  registerDemo,
  registerCritical,
  registerPhase,
  registerApjnTheory,
  registerApjn,
  registerInitSearch,
  registerChiGrid,
  registerConvex,
  registerTrain,
  registerResnetScaling,
  registerTransformer,
  registerSharpness,
  registerTwins,
  registerNtk,
  registerLinearize,
  registerReport,
  registerSweep,
  registerWorker,
  registerCoordCheck,
];
