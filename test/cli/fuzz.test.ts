/**
 * Every command driven with generated hostile option values (extremes, NaN, ∞, negative numbers,
 * hex, huge sizes, long strings, bad output paths). Each run must end in one of two ways:
 *   exit 0 — numbers printed are finite, and any null in a JSON series is explained by a warning;
 *   exit 2 — exactly one stderr line naming an option the command has.
 * Never a stack trace, an internal error (exit 1), a hang, or a file left behind.
 *
 * FAST holds, per command, arguments that keep one run small; a new command is one more entry.
 * Hostile values replace or add to them (commander keeps the last value of an option).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, type Option } from "commander";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands/index.js";
import { runCli } from "./run-cli.js";

/** Small sizes per command; `costly`: its output paths are fuzzed with refused values only. */
const FAST: Record<string, { args: string[]; costly?: boolean }> = {
  demo: { args: [], costly: true },
  critical: { args: [] },
  phase: { args: ["--grid", "4", "--depth", "10"] },
  "apjn-theory": { args: ["--sigma-w2", "1.5", "--depth", "10"] },
  apjn: { args: ["--sigma-w2", "1.5", "--width", "8", "--depth", "4", "--seeds", "1"] },
  "init-search": {
    args: ["--width", "8", "--depth", "6", "--seeds", "2", "--inputs", "2", "--probes", "2"].concat(
      ["--tol", "0.5", "--max-seeds", "4", "--extrapolate", "none"],
    ),
  },
  "chi-grid": {
    args: ["--width", "8", "--depth", "4", "--grid", "2,2", "--probes", "2", "--threads", "0"],
  },
  "resnet-scaling": {
    args: ["--beta", "0.5", "--depths", "2,4", "--width", "8", "--seeds", "2", "--inputs", "1"],
  },
  sharpness: { args: ["--dataset", "iris", "--width", "4", "--depth", "1", "--steps", "3"] },
  ntk: { args: ["--samples", "4", "--width", "8", "--depth", "1"] },
  linearize: {
    args: ["--samples", "6", "--widths", "4,8", "--depth", "1", "--steps", "3", "--every", "1"],
  },
  twins: {
    args: ["--dataset", "iris", "--width", "4", "--depth", "1", "--pairs", "1"].concat([
      "--steps",
      "3",
      "--every",
      "1",
    ]),
  },
  convex: { args: ["--patterns", "5", "--max-iter", "20", "--sgd-steps", "50"] },
  // width 8, depth 4; the default --out report.html lands in the fuzz folder
  report: { args: ["--config", join(import.meta.dirname, "../../examples/report-tiny.yaml")] },
  sweep: {
    args: [join(import.meta.dirname, "../../examples/sweep-theory.yaml"), "--out", "sweep.jsonl"],
  },
  // nothing listens on port 1: a quick refusal, exit 2 naming --queue
  worker: { args: ["--queue", "redis://127.0.0.1:1", "--lock-duration", "1000"] },
  "coord-check": { args: ["--widths", "4,8", "--steps", "2", "--seeds", "1"] },
  train: { args: ["--width", "8", "--depth", "1", "--steps", "3", "--eval-every", "1"] },
  "transformer-grads": {
    args: ["--layers", "1", "--width", "8", "--heads", "2", "--seeds", "1", "--batch", "4"],
  },
  "transformer-warmup": {
    args: ["--ln", "pre", "--layers", "1", "--width", "8", "--heads", "2", "--lr", "1e-3"].concat([
      "--steps",
      "5",
      "--warmup",
      "0",
      "--batch-size",
      "16",
    ]),
  },
};

/** The registered commands and their options, read from the real program. */
function commandTable(): Map<string, Option[]> {
  const program = new Command("critkit");
  for (const register of commands) register(program);
  return new Map(program.commands.map((c) => [c.name(), c.options as Option[]]));
}
const table = commandTable();

let dir = "";
let cwd = "";
beforeAll(() => {
  cwd = process.cwd();
  dir = mkdtempSync(join(tmpdir(), "critkit-fuzz-"));
  mkdirSync(join(dir, "sub"));
  writeFileSync(join(dir, "afile"), "");
  process.chdir(dir); // default outputs (phase.svg, critkit-demo/) land here
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

const numbers = fc.oneof(
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    "0",
    "-0",
    "1e308",
    "1e-308",
    "5e-324",
    "1e300",
    "-1e300",
    "0x10",
    "1_0",
    "",
    " ",
    "1,",
    ",",
    "abc",
    "9".repeat(400),
    "1,1.0000001",
    "0,1e300",
    "1e-300,1e300",
    "2,1",
  ),
  fc.double().map(String),
  fc.integer({ min: -3, max: 12 }).map(String),
  fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.tuple(fc.double(), fc.double()).map(([a, b]) => `${a},${b}`),
);

/** Ordinary values, so that runs reach the computation too. */
const plausible = fc.constantFrom("1", "2", "0.5", "3", "1e-3", "100", "0.1,4");

const words = fc.constantFrom(
  "tanh",
  "relu",
  "gelu",
  "erf",
  "linear",
  "leaky_relu(2)",
  "tanh,relu",
  "mixer",
  "mlp",
  "pre",
  "post",
  "float64",
  "ntk",
  "iris",
  "fista",
  "hinge",
  "x".repeat(5000),
);

/** Output paths refused before any work (as a file and as a folder), and ones that work. */
const refusedPaths = () =>
  fc.constantFrom(
    "/proc/x.svg",
    "/sys/x.svg",
    "/nonexistent/x.svg",
    join(dir, "afile"),
    join(dir, "afile", "x.svg"),
    "",
  );
const badFiles = () => fc.oneof(refusedPaths(), fc.constantFrom(join(dir, "sub"), "x.pdf"));

function valueFor(command: string, option: Option): fc.Arbitrary<string> {
  if (option.long === "--out-dir" || option.long === "--checkpoint")
    return FAST[command]!.costly
      ? refusedPaths()
      : fc.oneof(refusedPaths(), fc.constant(join(dir, `out-${option.long.slice(2)}`)));
  if (option.long === "--out")
    return FAST[command]!.costly
      ? refusedPaths()
      : fc.oneof(badFiles(), fc.constant(join(dir, "sub", "ok.svg")));
  return fc.oneof(numbers, words, plausible);
}

/** A run: the command, its FAST arguments and 1–2 hostile options (flags included as such). */
const runs = fc.constantFrom(...Object.keys(FAST)).chain((command) => {
  const options = table.get(command)!.filter((o) => o.long !== "--help");
  const hasJson = options.some((o) => o.long === "--json");
  const one = fc
    .constantFrom(...options)
    .chain(
      (o): fc.Arbitrary<string[]> =>
        o.required || o.optional
          ? valueFor(command, o).map((v) => [o.long!, v])
          : fc.constant([o.long!]),
    );
  return fc
    .tuple(fc.array(one, { minLength: 1, maxLength: 2 }), fc.boolean())
    .map(([opts, json]) => ({
      command,
      args: [...FAST[command]!.args, ...opts.flat(), ...(json && hasJson ? ["--json"] : [])],
    }));
});

/** Every `--name` in a line. */
const optionsIn = (line: string) => line.match(/--[a-z0-9][a-z0-9-]*/g) ?? [];

/** Whether a JSON value holds a list mixing numbers and nulls (a partly lost series). */
function hasPartialSeries(v: unknown): boolean {
  if (Array.isArray(v)) {
    const nulls = v.some((x) => x === null);
    const nums = v.some((x) => typeof x === "number");
    return (nulls && nums) || v.some(hasPartialSeries);
  }
  return v !== null && typeof v === "object" && Object.values(v).some(hasPartialSeries);
}

/** Files under `root` that look like abandoned temporary outputs. */
function leftovers(root: string): string[] {
  const files = readdirSync(root, { recursive: true, encoding: "utf8" }) as string[];
  return files.filter((f) => /\.tmp$/.test(f));
}

describe("critkit under hostile input", () => {
  it("every FAST entry names a registered command, and every command has an entry", () => {
    expect(new Set(Object.keys(FAST))).toEqual(new Set(table.keys()));
  });

  it("exit 0 with finite or flagged values, or exit 2 with one line naming the command's option", async () => {
    await fc.assert(
      fc.asyncProperty(runs, async ({ command, args }) => {
        if (process.env.FUZZ_LOG)
          process.stderr.write(`fuzz run ${command} ${args.join(" ").slice(0, 200)}\n`);
        const r = await runCli(command, ...args);
        if (process.env.FUZZ_LOG) process.stderr.write(`fuzz exit ${r.code}\n`);
        const own = new Set(table.get(command)!.map((o) => o.long));
        const where = `critkit ${[command, ...args].join(" ").slice(0, 300)}\n${r.stderr.slice(0, 500)}`;
        expect(r.stderr, where).not.toMatch(/\n\s+at |internal error/);
        expect([0, 2], where).toContain(r.code);
        if (r.code === 2) {
          const lines = r.stderr.trim().split("\n");
          expect(lines, where).toHaveLength(1);
          expect(lines[0]!.length, where).toBeLessThanOrEqual(400);
          const named = optionsIn(lines[0]!);
          expect(named.length, where).toBeGreaterThan(0);
          expect(own.has(named[0]!), where).toBe(true);
        } else {
          for (const line of r.stderr.trim().split("\n").filter(Boolean))
            expect(line, where).toMatch(/^critkit: warning: /);
          if (args.includes("--json")) {
            const j = JSON.parse(r.stdout);
            if (hasPartialSeries(j)) expect(j.warnings?.length ?? 0, where).toBeGreaterThan(0);
          } else {
            expect(r.stdout, where).not.toMatch(/NaN|Infinity/);
          }
        }
        expect(leftovers(dir), where).toEqual([]);
      }),
      // fixed for CI; FUZZ_SEED / FUZZ_RUNS explore further
      {
        numRuns: Number(process.env.FUZZ_RUNS ?? 40),
        seed: Number(process.env.FUZZ_SEED ?? 20261205),
      },
    );
  });
});
