/**
 * Time to a certified relative duality gap of 1e-6 for the exact-program solvers (interior point on
 * a working set of patterns — the default —, the interior point on all patterns, ADMM, augmented
 * Lagrangian) on the shipped datasets at several λ = f·λ_max, squared loss, the CLI's default
 * patterns (`defaultPatternCount`, seed 0 as `critkit convex`). Prints the markdown table of
 * docs/convex.md (`npm run readme -- docs/convex.md` reruns it there).
 *
 *   npx tsx bench/convex-solvers.ts [--budget SECONDS] [--datasets iris,synthetic] [--fractions 0.5,0.1]
 *
 * A run that has not certified the target after the wall-clock budget (default 60 s) is stopped
 * and reported as "> budget (gap reached)". Timings depend on the machine and its load.
 */
import { admm } from "../src/convex/admm.js";
import { augmentedLagrangian } from "../src/convex/al.js";
import { interiorPoint } from "../src/convex/ipm.js";
import type { ConvexProblem } from "../src/convex/problem.js";
import type { SolveResult, SolverOptions } from "../src/convex/result.js";
import type { DatasetName } from "../src/data/datasets.js";
import { datasetProblem } from "./convex.js";

const TARGET = 1e-6;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const budgetMs = 1000 * Number(arg("--budget", "60"));
const datasets = arg("--datasets", "iris,synthetic,breast_cancer,digits").split(
  ",",
) as DatasetName[];
const fractions = arg("--fractions", "0.5,0.1,0.01").split(",").map(Number);

class OutOfTime extends Error {}

const solvers: Record<
  string,
  (p: ConvexProblem, o: SolverOptions) => SolveResult & { rounds?: number; active?: number[] }
> = {
  "ipm (default: working set)": (p, o) => interiorPoint(p, o),
  "ipm, all patterns": (p, o) => interiorPoint(p, { ...o, workingSet: false }),
  admm: (p, o) => admm(p, { ...o, maxIter: 10_000_000 }),
  al: (p, o) => augmentedLagrangian(p, { ...o, tol: TARGET, maxIter: 10_000_000 }),
};

/** Runs one solver with a wall-clock budget. */
function timed(name: string, p: ConvexProblem): string {
  const t0 = performance.now();
  try {
    const r = solvers[name]!(p, {
      tol: TARGET,
      onIter: () => {
        if (performance.now() - t0 > budgetMs) throw new OutOfTime();
      },
    });
    const set = r.rounds ? `, ${r.rounds} sets, last ${r.active?.length}` : "";
    if (r.converged)
      return `${(r.ms / 1000).toFixed(1)} s (${r.iterations} it${set}, gap ${r.certificate.relGap.toExponential(1)})`;
    return `not certified in ${r.iterations} it (gap ${r.certificate.relGap.toExponential(1)})`;
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
    return `> ${budgetMs / 1000} s`;
  }
}

const rows: string[] = [
  `| dataset (n, d, P) | λ / λ_max | ${Object.keys(solvers).join(" | ")} |`,
  `| --- | --- | ${Object.keys(solvers)
    .map(() => "---")
    .join(" | ")} |`,
];
for (const name of datasets) {
  for (const f of fractions) {
    const p = datasetProblem(name, f);
    const cells = Object.keys(solvers).map((s) => timed(s, p));
    const row = `| ${name} (${p.X.rows}, ${p.X.cols}, ${p.patterns.count}) | ${f} | ${cells.join(" | ")} |`;
    rows.push(row);
    process.stderr.write(`${row}\n`);
  }
}
process.stdout.write(`${rows.join("\n")}\n`);
