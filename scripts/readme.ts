/**
 * `npm run readme` regenerates every number in README.md (and docs/*.md) from the code:
 *
 * - a code fence right after `<!-- readme:run -->` holds `$ command` lines; each command runs in
 *   bash from the repository root (`npx critkit` is run as `node bin/critkit.js`, so build first:
 *   this script does) and the fence is rewritten as each `$ command` line followed by its output
 *   (stdout then stderr). `$ echo $?` prints the previous command's exit status.
 * - a table right after `<!-- readme:bench -->` is rewritten from bench/results.json, which
 *   `npm run bench` updates module by module (see bench/run.ts); `<!-- readme:bench convex.ts -->`
 *   keeps the rows of the bench modules named.
 *
 * `npm run readme -- --check` rewrites nothing and exits 1 when a block differs from what the
 * commands print now, ignoring wall-clock times (numbers followed by ms, s or min).
 * `npm run readme -- docs/convex.md` limits the run to the files named.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "../bench/types.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const RUN = "<!-- readme:run -->";
const BENCH = /^<!-- readme:bench((?: [\w.-]+)*) -->$/;

/** Runs one `$ command` line; returns its output with trailing blank lines removed. */
function runCommand(cmd: string, lastStatus: number): { out: string; status: number } {
  if (cmd.trim() === "echo $?") return { out: `${lastStatus}`, status: 0 };
  const shellCmd = cmd.replace(/(^|[|;&]\s*)npx critkit\b/g, "$1node bin/critkit.js");
  const r = spawnSync("bash", ["-c", shellCmd], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "0", COLUMNS: "100" },
    maxBuffer: 64 * 2 ** 20,
  });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.replace(/\s+$/, "");
  return { out, status: r.status ?? 1 };
}

/** The rewritten fence body for the `$` lines of an old one. */
function runBlock(body: string[]): string[] {
  const lines: string[] = [];
  let status = 0;
  for (const line of body.filter((l) => l.startsWith("$ "))) {
    const cmd = line.slice(2);
    process.stderr.write(`readme: ${cmd}\n`);
    const r = runCommand(cmd, status);
    status = r.status;
    if (lines.length) lines.push("");
    lines.push(line);
    if (r.out) lines.push(...r.out.split("\n"));
  }
  return lines;
}

interface Machine {
  date: string;
  cpu: string;
  cores: number;
}

interface BenchFile extends Machine {
  /** The machine of each module's rows (the file's own fields for a module without one). */
  machines?: Record<string, Machine>;
  rows: (BenchRow & { module: string })[];
}

/** "Measured …" for the rows shown: one machine, or each machine with the modules measured there. */
function measuredLine(file: BenchFile, modules: string[]): string {
  const text = (m: Machine) => `${m.date.slice(0, 10)} on ${m.cpu} (${m.cores} cores)`;
  const groups = new Map<string, string[]>();
  for (const m of modules) {
    const key = text(file.machines?.[m] ?? file);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  if (groups.size <= 1) return `Measured ${[...groups.keys()][0] ?? text(file)}.`;
  return `Measured ${[...groups].map(([key, ms]) => `${ms.join(", ")}: ${key}`).join("; ")}.`;
}

const fmtMs = (ms: number | undefined): string =>
  ms === undefined || !Number.isFinite(ms)
    ? "—"
    : ms >= 10_000
      ? `${(ms / 1000).toFixed(0)} s`
      : ms >= 1000
        ? `${(ms / 1000).toFixed(2)} s`
        : `${ms.toPrecision(3)} ms`;

/** A time, or a count with its unit (rows whose `unit` says they count something else). */
const fmtCell = (v: number | undefined, unit: string | undefined): string =>
  unit === undefined ? fmtMs(v) : v === undefined ? "—" : `${v} ${unit}`;

/** The benchmark table from bench/results.json (the rows of `modules` only, when given). */
function benchTable(modules: string[]): string[] {
  const file = JSON.parse(readFileSync(`${root}bench/results.json`, "utf8")) as BenchFile;
  const rows = modules.length ? file.rows.filter((r) => modules.includes(r.module)) : file.rows;
  return [
    "| benchmark | critkit | numpy | ratio | note |",
    "|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmtCell(r.ms, r.unit)} | ${fmtCell(r.referenceMs, r.unit)} | ${
          r.ratio === undefined || r.ratio === null ? "—" : r.ratio.toFixed(2)
        } | ${(r.note ?? "").replace(/\|/g, "\\|")} |`,
    ),
    "",
    measuredLine(file, [...new Set(rows.map((r) => r.module))]),
  ];
}

/** Rewrites the generated blocks of one markdown text. */
export function regenerate(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    out.push(line);
    if (line.trim() === RUN && lines[i + 1]?.startsWith("```")) {
      const end = lines.indexOf("```", i + 2);
      if (end < 0) throw new Error(`unclosed fence after line ${i + 1}`);
      out.push(lines[i + 1] ?? "```", ...runBlock(lines.slice(i + 2, end)), "```");
      i = end;
    } else if (BENCH.test(line.trim())) {
      const modules = BENCH.exec(line.trim())![1]!.split(" ").filter(Boolean);
      let end = i + 1;
      while (lines[end]?.startsWith("|")) end++;
      if (lines[end] === "" && lines[end + 1]?.startsWith("Measured ")) end += 2;
      out.push(...benchTable(modules));
      i = end - 1;
    }
  }
  return out.join("\n");
}

/** Texts equal up to wall-clock times. */
const withoutTimes = (s: string) => s.replace(/\d+(\.\d+)?(e[+-]?\d+)?\s?(ms|s|min)\b/g, "<time>");

function main(argv: string[]): number {
  const check = argv.includes("--check");
  const files = argv.filter((a) => !a.startsWith("--"));
  const build = spawnSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) return 1;
  let stale = 0;
  for (const f of files.length ? files : ["README.md"]) {
    const path = `${root}${f}`;
    const old = readFileSync(path, "utf8");
    const now = regenerate(old);
    if (check) {
      if (withoutTimes(old) !== withoutTimes(now)) {
        process.stderr.write(`readme: ${f} is stale (run npm run readme)\n`);
        stale++;
      }
    } else if (now !== old) {
      writeFileSync(path, now);
      process.stderr.write(`readme: rewrote ${f}\n`);
    }
  }
  return stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
