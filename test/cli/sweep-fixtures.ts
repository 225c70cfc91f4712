/** Sweep files and results-file readers shared by the sweep tests (threads and --queue). */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One line of a sweep's JSONL results. */
export interface Line {
  point: Record<string, unknown>;
  key: string;
  result?: Record<string, unknown>;
  error?: string;
  seconds: number;
}

export const lines = (out: string): Line[] =>
  readFileSync(out, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

export const byKey = (ls: Line[]) => new Map(ls.map((l) => [l.key, l.result ?? l.error]));

/** Six fast theory points. */
export const THEORY = `command: apjn-theory
base: { activation: tanh, depth: 12 }
grid:
  sigma_w2: [0.5, 1.5, 2.5]
  sigma-b2: [0, 0.05]
`;

/** Twelve points of ≈ 0.3 s each on one thread: slow enough to interrupt mid-sweep. */
export const SLOW = `command: critical
base: { activation: gelu }
grid: { sigma_b2: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12] }
`;

/** A sweep file `name` holding `text` in a new folder under `parent`, and a results path beside it. */
export function sweepFile(
  parent: string,
  text: string,
  name = "sweep.yaml",
): { file: string; out: string } {
  const d = mkdtempSync(join(parent, "sweep-"));
  writeFileSync(join(d, name), text);
  return { file: join(d, name), out: join(d, "results.jsonl") };
}
