/**
 * Sweep files (`critkit sweep`): one command, its base options, a grid and seeds, validated with
 * zod and expanded into points (the Cartesian product, the last grid key varying fastest, seeds
 * innermost); each point keyed by a hash of the command and its full settings (base + point), so
 * a results file can be resumed and a foreign one recognized.
 */
import { createHash } from "node:crypto";
import { readFileSync, truncateSync } from "node:fs";
import { extname } from "node:path";
import type { Command, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError, shown } from "../errors.js";

/** The commands a sweep can run: each maps its options to the same result as the command. */
export const SWEEP_COMMANDS = ["apjn-theory", "critical", "apjn"] as const;
export type SweepCommand = (typeof SWEEP_COMMANDS)[number];

/** The most points one sweep file may expand to (each is one line of the results file). */
const MAX_POINTS = 100_000;

/** Options a sweep point never sets: outputs and printing belong to the sweep itself. */
const NOT_SWEPT = new Set(["--out", "--json", "--help"]);

const scalar = z.union([z.number(), z.string(), z.boolean()]);
type Scalar = z.infer<typeof scalar>;

const sweepSchema = z
  .object({
    command: z.enum(SWEEP_COMMANDS),
    base: z.record(z.string(), scalar).default({}),
    grid: z.record(z.string(), z.array(scalar).min(1, "needs at least one value")).default({}),
    seeds: z.array(z.number().int().min(0)).min(1, "needs at least one seed").optional(),
  })
  .strict();

/** One point of a sweep: its own values (grid and seed), the command's options, its key. */
export interface SweepPoint {
  /** the values that vary (grid keys and `seed`), as in the sweep file */
  point: Record<string, Scalar>;
  /** commander's options object for the command: defaults, base and point (flags' camelCase) */
  options: Record<string, unknown>;
  key: string;
}

export interface Sweep {
  command: SweepCommand;
  points: SweepPoint[];
}

/** A field path as `grid.sigma_w2[1]`. */
function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** The sweep file's text parsed as JSON (.json) or YAML (.yaml, .yml); InputError naming it. */
function readSweepFile(file: string): unknown {
  const ext = extname(file).toLowerCase();
  if (![".json", ".yaml", ".yml"].includes(ext))
    throw new InputError(file, `a sweep file must end in .yaml, .yml or .json`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(file, `cannot read the sweep file (${(e as NodeJS.ErrnoException).code})`);
  }
  try {
    return ext === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const first = (e as Error).message.split("\n")[0];
    throw new InputError(file, `not valid ${ext === ".json" ? "JSON" : "YAML"}: ${first}`);
  }
}

/** `sigma_w2` or `sigma-w2` → the command's option `--sigma-w2`, or InputError at `path`. */
function optionFor(cmd: Command, file: string, path: string, name: string): Option {
  const long = `--${name.replace(/_/g, "-")}`;
  const opt = (cmd.options as Option[]).find((o) => o.long === long);
  if (!opt || NOT_SWEPT.has(long))
    throw new InputError(
      file,
      `${path}: ${cmd.name()} has no option ${opt ? `to sweep in ${long}` : long}`,
    );
  return opt;
}

/** A sweep value as commander would hold it: a flag's boolean, otherwise its text. */
function optionValue(opt: Option, value: Scalar, file: string, path: string): unknown {
  const isFlag = !opt.required && !opt.optional;
  if (isFlag !== (typeof value === "boolean"))
    throw new InputError(
      file,
      `${path}: ${opt.long} ${isFlag ? "is a flag: true or false" : "takes a value, not true/false"}, got ${shown(value)}`,
    );
  return isFlag ? (value ? true : undefined) : String(value);
}

/** A stable key of a point: the command and every setting of base and point, in name order. */
export function pointKey(command: string, settings: Record<string, Scalar>): string {
  const sorted = Object.keys(settings)
    .sort()
    .map((k) => [k, settings[k]]);
  return createHash("sha256")
    .update(JSON.stringify([command, sorted]))
    .digest("hex")
    .slice(0, 16);
}

/**
 * Reads, validates and expands the sweep file `file` for the program's commands. Every error
 * (unreadable file, a field of the wrong type, an option the command lacks, a required option
 * missing) is an InputError naming the file and the field path, before anything runs.
 */
export function loadSweep(file: string, program: Command): Sweep {
  const r = sweepSchema.safeParse(readSweepFile(file));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = fieldPath(issue.path);
    throw new InputError(file, `${path || "(top level)"}: ${issue.message}`);
  }
  const { command, base, grid, seeds } = r.data;
  const cmd = program.commands.find((c) => c.name() === command)!;
  const norm = (k: string) => k.replace(/-/g, "_");
  const defaults: Record<string, unknown> = {};
  for (const o of cmd.options as Option[])
    if (o.defaultValue !== undefined) defaults[o.attributeName()] = o.defaultValue;
  const baseOptions: Record<string, unknown> = {};
  const settled = new Map<string, string>(); // normalized name → where it is set
  const baseSettings: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(base)) {
    const opt = optionFor(cmd, file, `base.${k}`, k);
    if (settled.has(norm(k))) throw new InputError(file, `base.${k}: set twice`);
    settled.set(norm(k), `base.${k}`);
    baseOptions[opt.attributeName()] = optionValue(opt, v, file, `base.${k}`);
    baseSettings[norm(k)] = v;
  }
  const axes: Array<{ name: string; opt: Option; values: Scalar[] }> = [];
  for (const [k, values] of Object.entries(grid)) {
    const opt = optionFor(cmd, file, `grid.${k}`, k);
    const before = settled.get(norm(k));
    if (before) throw new InputError(file, `grid.${k}: also set in ${before}`);
    settled.set(norm(k), `grid.${k}`);
    for (const [i, v] of values.entries()) optionValue(opt, v, file, `grid.${k}[${i}]`);
    axes.push({ name: norm(k), opt, values });
  }
  if (seeds) {
    const opt = (cmd.options as Option[]).find((o) => o.long === "--seed");
    if (!opt) throw new InputError(file, `seeds: ${command} has no option --seed`);
    const before = settled.get("seed");
    if (before) throw new InputError(file, `seeds: the seed is also set in ${before}`);
    axes.push({ name: "seed", opt, values: seeds });
  }
  for (const o of cmd.options as Option[])
    if (o.mandatory && !settled.has(o.long!.slice(2).replace(/-/g, "_")))
      throw new InputError(file, `base: ${command} needs ${o.long} (in base or grid)`);

  const size = axes.reduce((n, a) => n * a.values.length, 1);
  if (size > MAX_POINTS)
    throw new InputError(file, `grid: ${size} points (with the seeds), more than ${MAX_POINTS}`);
  const points: SweepPoint[] = [];
  const seen = new Set<string>();
  const visit = (axis: number, point: Record<string, Scalar>, options: Record<string, unknown>) => {
    if (axis === axes.length) {
      const key = pointKey(command, { ...baseSettings, ...point });
      if (!seen.has(key)) points.push({ point: { ...point }, options: { ...options }, key });
      seen.add(key);
      return;
    }
    const { name, opt, values } = axes[axis]!;
    for (const v of values)
      visit(
        axis + 1,
        { ...point, [name]: v },
        { ...options, [opt.attributeName()]: optionValue(opt, v, file, name) },
      );
  };
  visit(0, {}, { ...defaults, ...baseOptions });
  return { command, points };
}

/** A point for a worker thread: plain data (structured clone). */
export interface PointTask {
  command: SweepCommand;
  options: Record<string, unknown>;
}

/** A point's outcome: its result, or its error (an InputError's field apart), and its time. */
export type PointOutcome = (
  | { result: unknown }
  | { error: { message: string; field?: string; input: boolean } }
) & { seconds: number };

/**
 * Runs one point with the same function as its command (loaded on first use, so a thread only
 * loads what its command needs; `seconds` excludes the loading). Never throws: a failure is the
 * outcome's `error`.
 */
export async function runPoint(task: PointTask): Promise<PointOutcome> {
  let start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  try {
    const run = await resultFunction(task.command);
    start = performance.now();
    return { result: await run(task.options), seconds: seconds() };
  } catch (e) {
    const input = e instanceof InputError;
    const error = input
      ? { message: e.detail, field: e.field, input }
      : { message: (e as Error).message, input };
    return { error, seconds: seconds() };
  }
}

/** The result function of a command, its module loaded on first use. */
async function resultFunction(
  command: SweepCommand,
): Promise<(o: Record<string, unknown>) => unknown> {
  if (command === "apjn-theory")
    return (await import("./commands/apjn-theory.js")).apjnTheoryResult;
  if (command === "critical") {
    const { criticalReport } = await import("./commands/critical.js");
    return (o) => criticalReport(o).result;
  }
  return (await import("./commands/apjn.js")).apjnResult;
}
/**
 * The keys already in the results file `out` (none when it does not exist). Every complete line
 * must be a result of this sweep (its key one of `keys`), else InputError on --out and the file
 * is left as it is; a last line without its newline (a run killed mid-write) is cut off.
 */
export function finishedKeys(out: string, keys: ReadonlySet<string>): Set<string> {
  let text: string;
  try {
    text = readFileSync(out, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return new Set();
    throw e;
  }
  const end = text.lastIndexOf("\n") + 1;
  const done = new Set<string>();
  text
    .slice(0, end)
    .split("\n")
    .slice(0, -1)
    .forEach((line, i) => {
      let key: unknown;
      try {
        key = (JSON.parse(line) as { key?: unknown }).key;
      } catch {
        key = undefined;
      }
      if (typeof key !== "string")
        throw new InputError("--out", `${out}: line ${i + 1} is not a sweep result`);
      if (!keys.has(key))
        throw new InputError(
          "--out",
          `${out} holds results of another sweep (line ${i + 1}: no point of this sweep has key ${key}; another command or base settings): choose another --out`,
        );
      done.add(key);
    });
  if (end < text.length) truncateSync(out, Buffer.byteLength(text.slice(0, end)));
  return done;
}
