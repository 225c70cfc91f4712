/**
 * `npm run bench` (= `tsx bench/run.ts [name...]`): runs every bench module below, prints one table
 * (name, critkit ms, numpy reference ms, ratio = ms / ref — below 1 means critkit is faster — and a
 * note) and writes the rows to .bench/latest.json (git-ignored). The rows of the modules that ran
 * also replace those modules' rows in bench/results.json (committed), from which `npm run readme`
 * builds the README's benchmark table, so the table is always a measured one.
 *
 * Modules are imported dynamically: one whose file does not exist yet is skipped with a note, one
 * that throws is reported and makes the exit status 1, the others still run.
 * Optional arguments keep only the modules whose name contains one of them: `npm run bench -- theory`.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import type { BenchModule, BenchRow } from "./types.js";

/** Bench modules, relative to this folder; each exports `run(): Promise<BenchRow[]>`. */
export const MODULES = [
  "theory.ts",
  "apjn.ts",
  "init-search.ts",
  "chi-grid.ts",
  "convex.ts",
  "train.ts",
  "transformer.ts",
  "hvp.ts",
  "ntk.ts",
];

/** Where and when a module's rows were measured (bench/results.json's `machines`). */
export interface Machine {
  date: string;
  cpu: string;
  cores: number;
}

export interface BenchReport {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  rows: (BenchRow & { module: string })[];
  skipped: { module: string; reason: string }[];
  failed: { module: string; error: string }[];
  /** In bench/results.json only: the machine of each module's rows. */
  machines?: Record<string, Machine>;
}

const fmt = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v) ? "—" : v >= 100 ? v.toFixed(0) : v.toFixed(digits);

/** The table as text (columns padded; the note column is left unpadded). */
export function formatTable(rows: BenchRow[]): string {
  const head = ["name", "ms", "numpy ms", "ratio", "note"];
  const body = rows.map((r) => [
    r.name,
    fmt(r.ms),
    fmt(r.referenceMs),
    fmt(r.ratio, 2),
    r.note ?? "",
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((s, i) => (i === 0 ? s.padEnd(w[i]!) : i === c.length - 1 ? s : s.padStart(w[i]!)))
      .join("  ")
      .trimEnd();
  return [
    line(head),
    w.map((n, i) => (i === 4 ? "-".repeat(4) : "-".repeat(n))).join("  "),
    ...body.map(line),
  ].join("\n");
}

/** Fills `ratio` from ms / referenceMs when the module left it out. */
export function withRatio(r: BenchRow): BenchRow {
  if (
    r.ratio === undefined &&
    r.referenceMs !== undefined &&
    r.referenceMs > 0 &&
    Number.isFinite(r.ms)
  ) {
    return { ...r, ratio: r.ms / r.referenceMs };
  }
  return r;
}

async function main(argv: string[]): Promise<number> {
  const wanted = argv.filter((a) => !a.startsWith("-"));
  const report: BenchReport = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    rows: [],
    skipped: [],
    failed: [],
  };
  for (const mod of MODULES) {
    if (wanted.length && !wanted.some((w) => mod.includes(w))) continue;
    const url = new URL(`./${mod}`, import.meta.url);
    if (!existsSync(fileURLToPath(url))) {
      console.log(`bench: skipping ${mod} (file does not exist yet)`);
      report.skipped.push({ module: mod, reason: "file does not exist" });
      continue;
    }
    const t0 = performance.now();
    try {
      const m = (await import(url.href)) as Partial<BenchModule>;
      if (typeof m.run !== "function") throw new Error("does not export run()");
      const rows = (await m.run()).map(withRatio);
      for (const r of rows) report.rows.push({ module: mod, ...r });
      console.log(
        `bench: ${mod}: ${rows.length} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (e) {
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      console.log(`bench: ${mod} FAILED: ${msg.split("\n")[0]}`);
      report.failed.push({ module: mod, error: msg });
    }
  }
  console.log(`\n${report.cpu} (${report.cores} cores), node ${report.node}\n`);
  console.log(formatTable(report.rows));
  console.log("\nratio = critkit ms / numpy ms (< 1: critkit faster)");
  const dir = fileURLToPath(new URL("../.bench/", import.meta.url));
  await mkdir(dir, { recursive: true });
  const out = `${dir}latest.json`;
  // JSON has no NaN/Infinity: write them as null.
  await writeFile(
    out,
    `${JSON.stringify(report, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  console.log(`wrote ${out}`);
  await mergeResults(report);
  return report.failed.length ? 1 : 0;
}

/** Replaces, in bench/results.json, the rows of every module that produced rows in this run. */
async function mergeResults(report: BenchReport): Promise<void> {
  const path = fileURLToPath(new URL("./results.json", import.meta.url));
  const ran = new Set(report.rows.map((r) => r.module));
  if (!ran.size) return;
  const old: Partial<BenchReport> & Pick<BenchReport, "rows"> = existsSync(path)
    ? (JSON.parse(await readFile(path, "utf8")) as BenchReport)
    : { rows: [] };
  const rows = [...old.rows.filter((r) => !ran.has(r.module)), ...report.rows].sort(
    (a, b) => MODULES.indexOf(a.module) - MODULES.indexOf(b.module),
  );
  // the machine each module's rows were measured on (modules not rerun keep theirs; a file written
  // before this record existed gets its top-level machine for them)
  const here: Machine = { date: report.date, cpu: report.cpu, cores: report.cores };
  const before: Machine | undefined =
    old.date && old.cpu && old.cores
      ? { date: old.date, cpu: old.cpu, cores: old.cores }
      : undefined;
  const machines: Record<string, Machine> = {};
  for (const m of new Set(rows.map((r) => r.module))) {
    const kept = ran.has(m) ? here : (old.machines?.[m] ?? before);
    if (kept) machines[m] = { date: kept.date, cpu: kept.cpu, cores: kept.cores };
  }
  const merged = {
    date: report.date,
    node: report.node,
    cpu: report.cpu,
    cores: report.cores,
    machines,
    rows,
  };
  await writeFile(
    path,
    `${JSON.stringify(merged, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  console.log(`updated ${path}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
