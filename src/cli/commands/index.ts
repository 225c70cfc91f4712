import type { Command } from "commander";

/** Every command of the CLI, in the order `critkit --help` lists them. */
export const commands: Array<(program: Command) => void> = [];
