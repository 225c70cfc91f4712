/**
 * The robust-training table of docs/convex.md ("## Robust training"): iris versicolor vs virginica,
 * hinge loss, λ = 0.1, ε ∈ {0.05, 0.1, 0.2}. Pattern draw and PGD are the CLI's:
 * `critkit convex --dataset iris --robust --eps ε --lambda 0.1 --patterns 20` (seed 0: the first
 * `split()` of `new Rng(0)` draws `sampleRobustPatterns(X, 20, ε, ·)`, the second seeds `pgdAttack`
 * with its defaults); the standard network is `critkit convex --dataset iris --loss hinge
 * --lambda 0.1 --patterns 20 --eps ε` (same seed, `samplePatterns`). `robustIrisRow` builds one row;
 * test/convex/robust.test.ts checks the same rows against independent references.
 *
 *   npx tsx scripts/robust-iris.ts
 */
import { pathToFileURL } from "node:url";
import { pgdAttack } from "../src/convex/attack.js";
import { interiorPoint } from "../src/convex/ipm.js";
import { hinge } from "../src/convex/losses.js";
import { samplePatterns } from "../src/convex/patterns.js";
import type { ConvexProblem } from "../src/convex/problem.js";
import { recoverNetwork } from "../src/convex/recover.js";
import { robustTrain, sampleRobustPatterns } from "../src/convex/robust.js";
import { robustInteriorPoint } from "../src/convex/robust-ipm.js";
import { iris } from "../src/data/datasets.js";
import { Rng } from "../src/rng.js";

export const ROBUST_IRIS = { lambda: 0.1, draws: 20, seed: 0, eps: [0.05, 0.1, 0.2] } as const;

/** One row of the table, with the problems and solutions behind it (for the tests). */
export function robustIrisRow(eps: number) {
  const ds = iris();
  const base = { X: ds.X, y: ds.y, lambda: ROBUST_IRIS.lambda, loss: hinge, gated: false };
  const rng = new Rng(ROBUST_IRIS.seed);
  const problem: ConvexProblem = {
    ...base,
    patterns: sampleRobustPatterns(ds.X, ROBUST_IRIS.draws, eps, rng.split()),
  };
  const ipm = robustInteriorPoint(problem, eps);
  const net = recoverNetwork(problem, ipm.u);
  const attack = pgdAttack(net, ds.X, ds.y, eps, rng.split());
  const al = robustTrain(problem, eps);
  const stdRng = new Rng(ROBUST_IRIS.seed);
  const standardProblem: ConvexProblem = {
    ...base,
    patterns: samplePatterns(ds.X, ROBUST_IRIS.draws, stdRng.split()),
  };
  const standard = interiorPoint(standardProblem);
  const standardNet = recoverNetwork(standardProblem, standard.u);
  const standardAttack = pgdAttack(standardNet, ds.X, ds.y, eps, stdRng.split());
  return {
    eps,
    patterns: problem.patterns.count,
    ipm,
    al,
    attack,
    standardAttack,
    problem,
    net,
    standardNet,
    data: ds,
  };
}

export type RobustIrisRow = ReturnType<typeof robustIrisRow>;

const pct = (v: number) => `${Math.round(100 * v)}%`;

/** The table as printed by the docs' readme:run block. */
export function robustIrisTable(rows: RobustIrisRow[]): string {
  const header = [
    "ε",
    "P",
    "ipm: objective ≥ p* ≥ lower bound (gap), steps",
    "al: objective (gap)",
    "certificate = PGD hinge",
    "robust clean/PGD",
    "standard clean/PGD",
  ];
  const body = rows.map((r) => [
    String(r.eps),
    String(r.patterns),
    `${r.ipm.objective.toFixed(6)} ≥ ${r.ipm.lowerBound.toFixed(6)} (${r.ipm.relGap.toExponential(1)}), ${r.ipm.iterations}`,
    `${r.al.objective.toFixed(6)} (${r.al.relGap.toExponential(1)})`,
    `${r.ipm.worstCaseHinge.toFixed(6)} = ${r.attack.adversarialHinge.toFixed(6)}`,
    `${pct(r.attack.cleanAccuracy)}/${pct(r.attack.adversarialAccuracy)}`,
    `${pct(r.standardAttack.cleanAccuracy)}/${pct(r.standardAttack.adversarialAccuracy)}`,
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((b) => b[j]!.length)));
  return [header, ...body]
    .map((cells) =>
      cells
        .map((c, j) => c.padEnd(widths[j]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(
    `iris versicolor/virginica, hinge, λ = ${ROBUST_IRIS.lambda}; patterns: sampleRobustPatterns(X, ${ROBUST_IRIS.draws}, ε, new Rng(${ROBUST_IRIS.seed}).split()), the draw of critkit convex --robust --patterns ${ROBUST_IRIS.draws} --seed ${ROBUST_IRIS.seed}`,
  );
  console.log(robustIrisTable(ROBUST_IRIS.eps.map((eps) => robustIrisRow(eps))));
}
