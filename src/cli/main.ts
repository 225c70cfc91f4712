/**
 * The `critkit` command line. Each command lives in ./commands and registers itself here.
 * Errors a user can fix print one line naming the option and exit with code 2.
 */
import { Command, CommanderError } from "commander";
import { InputError } from "../errors.js";
import { commands } from "./commands/index.js";

export async function main(argv: string[]): Promise<number> {
  if (!process.stdout.listeners("error").includes(exitOnClosedPipe))
    process.stdout.on("error", exitOnClosedPipe);
  const program = new Command("critkit")
    .description(
      "Criticality and trainability diagnostics for deep networks, from wide-network theory to finite networks.",
    )
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(`${oneLine(s.trimEnd())}\n`) });
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its one-line message (or help/version).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof InputError) {
      process.stderr.write(`critkit: ${oneLine(`${flagOf(program, e.field)}: ${e.detail}`)}\n`);
      return 2;
    }
    const io = ioFailure(e);
    if (io) {
      process.stderr.write(`critkit: ${io}\n`);
      return 1;
    }
    process.stderr.write(`critkit: internal error: ${(e as Error).message}\n`);
    if (process.env.CRITKIT_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

/**
 * The command-line flag of a library field: sigmaW2 → --sigma-w2 when some command has that
 * option; other fields (already flags, or not options, e.g. "architecture") stay as they are.
 */
export function flagOf(program: Command, field: string): string {
  const flag = `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const known = program.commands.some((c) => c.options.some((o) => o.long === flag));
  return !field.startsWith("-") && known ? flag : field;
}

/** A message on one line of at most 400 characters. */
function oneLine(message: string): string {
  const s = message.replace(/\s*\n\s*/g, " ");
  return s.length > 400 ? `${s.slice(0, 399)}…` : s;
}

/** A failed read or write of the system (full disk, closed pipe, I/O error) as one line, or null. */
function ioFailure(e: unknown): string | null {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== "string" || typeof err.syscall !== "string") return null;
  const what = err.path ? ` ${err.path}` : "";
  return `cannot ${err.syscall}${what}: ${err.code}`;
}

/**
 * stdout fails: `critkit … | head` closes it early (EPIPE: stop quietly, exit 0); a full device
 * (ENOSPC) or another I/O error prints one line on stderr and exits 1, never a stack trace.
 */
function exitOnClosedPipe(e: NodeJS.ErrnoException): void {
  if (e.code === "EPIPE") process.exit(0);
  process.stderr.write(`critkit: cannot write to stdout: ${e.code ?? e.message}\n`);
  process.exit(1);
}
