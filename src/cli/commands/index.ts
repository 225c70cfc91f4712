import type { Command } from "commander";
import { registerApjn } from "./apjn.js";
import { registerApjnTheory } from "./apjn-theory.js";
import { registerConvex } from "./convex.js";
import { registerCritical } from "./critical.js";
import { registerDemo } from "./demo.js";
import { registerInitSearch } from "./init-search.js";
import { registerNtk } from "./ntk.js";
import { registerPhase } from "./phase.js";
import { registerTrain } from "./train.js";

/** Every command of the CLI, in the order `critkit --help` lists them. */
export const commands: Array<(program: Command) => void> = [
  registerDemo,
  registerCritical,
  registerPhase,
  registerApjnTheory,
  registerApjn,
  registerInitSearch,
  registerConvex,
  registerTrain,
  registerNtk,
];
