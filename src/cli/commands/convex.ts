/**
 * `critkit convex`: train a two-layer ReLU network to global optimality through its convex
 * reformulation (ADMM on the exact cone-constrained program, or FISTA on the gated-ReLU
 * relaxation followed by conversion to ReLU), recover the network, certify it by duality, and
 * optionally compare with gradient descent from many random initializations. `--robust` trains
 * against ℓ∞ perturbations of radius --eps instead (hinge loss; src/convex/robust.ts).
 */
import type { Command } from "commander";
import { admm } from "../../convex/admm.js";
import { augmentedLagrangian } from "../../convex/al.js";
import { type AttackResult, pgdAttack } from "../../convex/attack.js";
import { fistaGated } from "../../convex/fista.js";
import { type GatedToRelu, gatedToRelu } from "../../convex/gated.js";
import { defaultPatternCount, interiorPoint, NEWTON_BUDGET } from "../../convex/ipm.js";
import { type LossName, losses } from "../../convex/losses.js";
import { type Network, networkObjective, networkOutput } from "../../convex/network.js";
import { lambdaPath, type PathSolver } from "../../convex/path.js";
import { samplePatterns } from "../../convex/patterns.js";
import {
  type ConvexProblem,
  coneViolation,
  convexObjective,
  lambdaMax,
} from "../../convex/problem.js";
import { coneDecomposition, recoverNetwork } from "../../convex/recover.js";
import type { SolveResult } from "../../convex/result.js";
import { robustTrain, sampleRobustPatterns } from "../../convex/robust.js";
import {
  defaultRobustPatternCount,
  ROBUST_NEWTON_BUDGET,
  robustInteriorPoint,
} from "../../convex/robust-ipm.js";
import { gdBaseline } from "../../convex/sgd.js";
import { type Dataset, datasetNames, loadDataset } from "../../data/datasets.js";
import { InputError } from "../../errors.js";
import { Rng } from "../../rng.js";
import { fields, int, num, oneOf } from "../options.js";
import { printJson, progress } from "../output.js";

interface RawOptions {
  dataset: string;
  solver?: string;
  patterns?: string;
  lambda?: string;
  lambdaFrac?: string;
  loss?: string;
  maxIter?: string;
  tol: string;
  admm: string;
  seed: string;
  sgdRuns: string;
  sgdSteps: string;
  robust?: boolean;
  eps: string;
  json?: boolean;
  lambdaPath?: string;
  workingSet: boolean;
}

/** Iteration budgets that reach the default --tol on the shipped datasets (docs/convex.md). */
const DEFAULT_MAX_ITER = { ipm: 300, admm: 100_000, al: 200_000, fista: 100_000 } as const;

/** Smallest λ of --lambda-path as a fraction of λ_max when neither --lambda nor --lambda-frac is given. */
const PATH_MIN_FRACTION = 1e-3;

/** A group is an active neuron when λ‖u_g‖ is above this fraction of the objective (`activeNeurons`). */
const ACTIVE_TOL = 1e-8;

/** Baseline (`--sgd-runs`): steps per run, Adam's peak step, widths as multiples of the convex network's neurons. */
const GD_STEPS = 10_000;
const GD_LR = 0.01;
const GD_WIDTHS = [1, 2, 4];

/** `--robust` iteration defaults: Newton steps of the interior point, FISTA iterations of the AL. */
const ROBUST_MAX_ITER = { ipm: 400, al: 20_000 };

/** λ above this multiple of λ_max is refused: the zero network is optimal from λ_max on. */
const LAMBDA_MAX_FACTOR = 1e6;

export function registerConvex(program: Command): void {
  program
    .command("convex")
    .description(
      "globally optimal two-layer ReLU training by convex reformulation (ADMM / FISTA), vs gradient descent",
    )
    .option("--dataset <name>", `one of ${datasetNames.join(", ")}`, "synthetic")
    .option(
      "--solver <name>",
      "ipm (interior point; the default), admm, al (augmented Lagrangian; smooth losses) — all solve the exact cone-constrained program — or fista (gated-ReLU relaxation + conversion; smooth losses); with --robust: ipm (default) or al",
    )
    .option(
      "--patterns <n>",
      `sampled activation directions (default: the largest P ≤ 200 whose interior-point Newton system costs ≤ ${NEWTON_BUDGET.toExponential(0)} flops by newtonCost; with --robust the largest P ≤ 200 whose 2Pd × 2Pd Schur complement costs ≤ ${ROBUST_NEWTON_BUDGET.toExponential(0)} flops)`,
    )
    .option(
      "--no-working-set",
      "ipm: solve on all patterns at once instead of a working set grown by pricing (the default when P > 20)",
    )
    .option("--lambda <x>", "weight decay λ (> 0); default --lambda-frac × λ_max")
    .option(
      "--lambda-frac <f>",
      "λ as a fraction of λ_max (the smallest λ with the zero network optimal), when --lambda is not given (default 0.1; with --lambda-path 1e-3)",
    )
    .option(
      "--loss <name>",
      "squared, logistic or hinge (classification losses need a binary dataset; default squared, hinge with --robust)",
    )
    .option(
      "--max-iter <n>",
      `solver iterations (defaults: ${Object.entries(DEFAULT_MAX_ITER)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ", ",
        )}; with --robust: ipm ${ROBUST_MAX_ITER.ipm} Newton steps, al ${ROBUST_MAX_ITER.al} FISTA iterations)`,
    )
    .option("--tol <x>", "relative duality gap to stop at (≤ 0.1)", "1e-6")
    .option(
      "--admm <beta,alpha,rho>",
      "ADMM split weight β, over-relaxation α, initial ρ (bench: 10,1.8,10)",
      "1,1,1",
    )
    .option("--seed <n>", "seed for patterns, synthetic data and SGD", "0")
    .option(
      "--sgd-runs <n>",
      "non-convex baseline: random initializations per width (m, 2m, 4m hidden units, m = the convex network's neurons), each trained by full-batch Adam with a cosine-decayed step",
      "0",
    )
    .option("--sgd-steps <n>", "full-batch steps per baseline run", String(GD_STEPS))
    .option(
      "--robust",
      "adversarially robust training against ℓ∞ perturbations of radius --eps (hinge loss, binary datasets)",
    )
    .option(
      "--eps <x>",
      "ℓ∞ radius of the PGD attack on the trained network (binary losses) and of --robust training",
      "0.05",
    )
    .option(
      "--lambda-path <k>",
      "solve at k ≥ 2 values of λ, log-spaced from λ_max down to --lambda (default 1e-3 λ_max), each warm-started from the previous, and report objective, gap, train accuracy and active neurons per λ (pick λ by validation)",
    )
    .option("--json", "print JSON")
    .action((raw: RawOptions) => runConvex(raw));
}

function runConvex(raw: RawOptions): void {
  const dataset = oneOf("--dataset", raw.dataset, datasetNames);
  const P = raw.patterns === undefined ? undefined : int("--patterns", raw.patterns, 1, 100_000);
  const lambdaOption =
    raw.lambda === undefined ? undefined : num("--lambda", raw.lambda, { minExclusive: 0 });
  const lambdaFrac = num("--lambda-frac", raw.lambdaFrac ?? "0.1", { minExclusive: 0 });
  const robust = raw.robust ?? false;
  const lossName: LossName = oneOf("--loss", raw.loss ?? (robust ? "hinge" : "squared"), [
    "squared",
    "logistic",
    "hinge",
  ] as const);
  const solver = oneOf("--solver", raw.solver ?? "ipm", ["ipm", "admm", "al", "fista"] as const);
  if (robust && solver !== "ipm" && solver !== "al")
    throw new InputError("--solver", `--robust is solved by ipm (default) or al, not ${solver}`);
  if (!robust && lossName === "hinge" && (solver === "al" || solver === "fista"))
    throw new InputError("--solver", `${solver} needs a smooth loss; use ipm or admm for hinge`);
  if (raw.workingSet === false && (robust || solver !== "ipm"))
    throw new InputError(
      "--no-working-set",
      `only the interior point solves on a working set (--solver ipm without --robust), not ${robust ? "--robust" : solver}`,
    );
  const maxIterDefault = robust
    ? ROBUST_MAX_ITER[solver as "ipm" | "al"]
    : DEFAULT_MAX_ITER[solver];
  const maxIter = int("--max-iter", raw.maxIter ?? maxIterDefault, 1, 10_000_000);
  // a relative duality gap above 1/10 certifies little: the bound could be off by 10%
  const tol = num("--tol", raw.tol, { minExclusive: 0, max: 0.1 });
  const seed = int("--seed", raw.seed, 0, 2 ** 32 - 1);
  const sgdRuns = int("--sgd-runs", raw.sgdRuns, 0, 10_000);
  const sgdSteps = int("--sgd-steps", raw.sgdSteps, 1, 10_000_000);
  const eps = num("--eps", raw.eps, { min: 0 });
  if (robust && lossName !== "hinge")
    throw new InputError("--loss", `--robust trains the worst-case hinge loss, not ${lossName}`);
  if (robust && !(eps > 0))
    throw new InputError("--eps", `--robust needs a radius > 0, got ${eps}`);
  const json = raw.json ?? false;
  const pathCount =
    raw.lambdaPath === undefined ? undefined : int("--lambda-path", raw.lambdaPath, 2, 200);
  if (pathCount !== undefined && robust)
    throw new InputError("--lambda-path", "the path solves the standard program, not --robust");
  if (pathCount !== undefined && sgdRuns > 0)
    throw new InputError(
      "--lambda-path",
      "the gradient-descent comparison (--sgd-runs) is at one λ, not along a path",
    );
  const admmFields = fields("--admm", raw.admm, ["beta", "alpha", "rho"]);
  const [beta, alpha, rho] = [
    num("--admm", admmFields[0], { minExclusive: 0 }),
    num("--admm", admmFields[1], { minExclusive: 0, max: 2 }),
    num("--admm", admmFields[2], { minExclusive: 0 }),
  ];

  const data = loadDataset(dataset, seed);
  const reach = featureReach(data);
  if (eps > reach)
    throw new InputError(
      "--eps",
      `must be ≤ ${reach.toPrecision(3)}, the largest |feature| of ${dataset} (an ℓ∞ ball that wide covers the whole data), got ${eps}`,
    );
  if (lossName !== "squared" && data.task !== "binary")
    throw new InputError(
      "--loss",
      `${lossName} needs a binary dataset; ${dataset} is a regression task`,
    );
  const rng = new Rng(seed);
  if (robust) {
    if (lambdaOption !== undefined && lambdaOption > 1e6)
      throw new InputError("--lambda", `must be ≤ 1e6 with --robust, got ${lambdaOption}`);
    const method = solver === "al" ? "al" : "ipm";
    runRobust(
      data,
      {
        P: P ?? defaultRobustPatternCount(data.X.cols),
        lambda: lambdaOption ?? 1e-3,
        eps,
        maxIter,
        tol,
        method,
        json,
      },
      rng,
    );
    return;
  }
  const patterns = samplePatterns(
    data.X,
    P ?? defaultPatternCount(data.X.rows, data.X.cols, lossName === "squared"),
    rng.split(),
  );
  const loss = losses[lossName];
  const atOne: ConvexProblem = { X: data.X, y: data.y, patterns, lambda: 1, loss, gated: false };
  const lmax = lambdaMax(atOne);
  const lambda = lambdaOption ?? lambdaFrac * lmax;
  // far above λ_max the zero network is optimal and the solvers' systems lose every digit
  if (lambda > LAMBDA_MAX_FACTOR * lmax)
    throw new InputError(
      lambdaOption === undefined ? "--lambda-frac" : "--lambda",
      `λ = ${lambda.toPrecision(4)} is above ${LAMBDA_MAX_FACTOR} × λ_max = ${(LAMBDA_MAX_FACTOR * lmax).toPrecision(4)}, where the zero network is already optimal`,
    );
  const relu: ConvexProblem = { ...atOne, lambda };

  if (pathCount !== undefined) {
    const smallest =
      lambdaOption ?? (raw.lambdaFrac === undefined ? PATH_MIN_FRACTION : lambdaFrac) * lmax;
    if (!(smallest < lmax))
      throw new InputError(
        lambdaOption === undefined ? "--lambda-frac" : "--lambda",
        `the smallest λ of --lambda-path must be below λ_max = ${lmax.toPrecision(6)}, got ${smallest.toPrecision(6)}`,
      );
    if (solver === "fista")
      throw new InputError("--solver", "--lambda-path solves the exact program (ipm, admm or al)");
    runPath(
      data,
      { ...atOne, lambda: smallest },
      {
        count: pathCount,
        solver,
        tol,
        tolText: raw.tol,
        maxIter,
        admm: { beta, alpha, rho },
        workingSet: raw.workingSet,
        json,
        maxIterDefault: raw.maxIter === undefined ? maxIterDefault : undefined,
      },
    );
    return;
  }
  const bar = progress(maxIter, `convex ${solver}`, json);
  const opts = { tol, maxIter, onIter: (i: number) => i % 10 === 0 && bar.tick(i) };
  const result: SolveResult & { rounds?: number; active?: number[] } =
    solver === "ipm"
      ? interiorPoint(relu, { ...opts, ...(raw.workingSet ? {} : { workingSet: false }) })
      : solver === "admm"
        ? admm(relu, { ...opts, beta, alpha, rho })
        : solver === "al"
          ? augmentedLagrangian(relu, opts)
          : fistaGated({ ...relu, gated: true }, opts);
  bar.stop();
  const stopped = result.converged
    ? undefined
    : `not converged: relative duality gap ${result.certificate.relGap.toExponential(2)} > --tol ${raw.tol} after ${result.iterations} ${solver} iterations (--max-iter ${maxIter}); raise --max-iter${raw.maxIter === undefined ? "" : ` (default ${maxIterDefault})`}`;
  // fista: the ReLU program on the gated solution's patterns, grown by pricing (gated.ts).
  const conversion = solver === "fista" ? convertGated(relu, result.u, tol, json) : undefined;
  const u =
    solver !== "fista"
      ? result.u
      : (conversion?.converted?.u ?? new Float64Array(2 * patterns.count * data.X.cols));
  const reluObjective = convexObjective(relu, u);
  const net = recoverNetwork(relu, u);
  const netObjective = networkObjective(net, data.X, data.y, loss, lambda);
  const accuracy = data.task === "binary" ? trainAccuracy(net, data) : undefined;
  const attack =
    lossName !== "squared" && eps > 0
      ? pgdAttack(net, data.X, data.y, eps, rng.split())
      : undefined;

  const sgd =
    sgdRuns > 0
      ? compareGd(
          relu,
          { neurons: net.m, convex: reluObjective, lower: result.certificate.dual },
          { runs: sgdRuns, steps: sgdSteps },
          rng.split(),
          json,
        )
      : undefined;
  const report = {
    ...datasetReport(data),
    solver,
    loss: lossName,
    lambda,
    lambdaMax: lmax,
    patterns: patterns.count,
    iterations: result.iterations,
    converged: result.converged,
    message: stopped,
    ms: Math.round(result.ms),
    solverObjective: result.certificate.primal,
    solverRelGap: result.certificate.relGap,
    // ipm on a working set: restricted solves and the final set's size
    workingSet:
      result.rounds !== undefined
        ? { rounds: result.rounds, patterns: result.active?.length ?? 0 }
        : undefined,
    // Weak duality: the dual value bounds the ReLU optimum from below (for fista through the
    // gated relaxation, whose optimum is itself ≤ the ReLU optimum).
    lowerBound: result.certificate.dual,
    reluObjective,
    reluRelGap: (reluObjective - result.certificate.dual) / reluObjective,
    coneViolation: coneViolation(relu, u),
    conversion: conversion && {
      gatedPatterns: conversion.converted?.gatedActive.length ?? 0,
      patterns: conversion.converted?.active.length ?? 0,
      pricedIn:
        conversion.converted?.active.filter((i) => !conversion.converted?.gatedActive.includes(i))
          .length ?? 0,
      solves: conversion.converted?.solves ?? 0,
      // certified on the whole program (the pricing multipliers cover the patterns left out)
      relGap: conversion.converted?.result.certificate.relGap ?? 0,
      coneDecompositionObjective: conversion.coneDecomposition,
      ms: Math.round(conversion.ms),
    },
    neurons: net.m,
    networkObjective: netObjective,
    trainAccuracy: accuracy,
    pgd: attack && pgdReport(attack, eps),
    trace: result.trace.filter(
      (_, i) => i % Math.max(1, Math.floor(result.trace.length / 50)) === 0,
    ),
    sgd,
  };
  if (json) {
    printJson(report);
    return;
  }
  const lines = [
    datasetLine(data),
    `${solver} on ${patterns.count} patterns${report.workingSet ? ` (working set: ${report.workingSet.rounds} restricted solves, last on ${report.workingSet.patterns} patterns)` : ""}, ${lossName} loss, λ=${lambda.toPrecision(6)} (${(lambda / lmax).toPrecision(3)} λ_max): ${result.iterations} iterations, ${report.ms} ms, converged=${result.converged}`,
    `solver objective ${result.certificate.primal.toPrecision(10)} (relative duality gap ${result.certificate.relGap.toExponential(2)})`,
    `optimum over these ${patterns.count} patterns bracketed: ${result.certificate.dual.toPrecision(10)} ≤ p* ≤ ${reluObjective.toPrecision(10)} (relative gap ${report.reluRelGap.toExponential(2)}${solver === "fista" ? "; lower bound from the gated relaxation" : ""}); a ReLU network free to use other patterns can only do better`,
    `ReLU network: ${net.m} neurons, objective ${netObjective.toPrecision(10)}${accuracy === undefined ? "" : `, train accuracy ${(100 * accuracy).toFixed(1)}%`}`,
  ];
  if (report.conversion)
    lines.push(
      `gated → ReLU: exact ReLU program started on the gated solution's ${report.conversion.gatedPatterns} patterns, ${report.conversion.patterns} in the final working set (${report.conversion.pricedIn} priced in; ${report.conversion.solves} interior-point solves, relative gap ${report.conversion.relGap.toExponential(2)} on all patterns, ${report.conversion.ms} ms); cone decomposition alone: ${report.conversion.coneDecompositionObjective.toPrecision(10)}`,
    );
  if (stopped) lines.push(stopped);
  if (attack) lines.push(pgdLine(attack, eps));
  if (sgd) {
    lines.push(
      `gradient descent (Adam, cosine-decayed step ${GD_LR}, ${sgdSteps} full-batch steps, ${sgdRuns} runs per width), objective relative to the convex one:`,
    );
    for (const w of sgd.widths)
      lines.push(
        `  ${w.hidden} hidden: best ${signedPercent(w.bestExcess)}, median ${signedPercent(w.medianExcess)}, ${(100 * w.fractionAboveConvex).toFixed(0)}% of runs above by >1%`,
      );
    if (sgd.belowLowerBound > 0)
      lines.push(
        `  ${sgd.belowLowerBound} runs below the lower bound: the sampled patterns restrict the convex program (raise --patterns)`,
      );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * `--lambda-path`: `lambdaPath` from λ_max down to p.lambda, one row per λ (objective and gap of
 * the certified point, active neurons, train accuracy of the recovered network, iterations, ms).
 */
function runPath(
  data: Dataset,
  p: ConvexProblem,
  o: {
    count: number;
    solver: PathSolver;
    tol: number;
    /** --tol as the user wrote it. */
    tolText: string;
    maxIter: number;
    admm: { beta: number; alpha: number; rho: number };
    /** false: the interior point on all patterns (--no-working-set). */
    workingSet: boolean;
    json: boolean;
    /** The default --max-iter when it was not given (for the not-converged message). */
    maxIterDefault: number | undefined;
  },
): void {
  const bar = progress(o.count, "convex λ path", o.json);
  const t0 = performance.now();
  const result = lambdaPath(p, {
    count: o.count,
    solver: o.solver,
    tol: o.tol,
    maxIter: o.maxIter,
    admm: o.admm,
    ...(o.workingSet ? {} : { workingSet: false }),
    activeTol: ACTIVE_TOL,
    onPoint: (j) => bar.tick(j + 1),
  });
  bar.stop();
  const path = result.points.map(({ lambda, lambdaFraction, result: r, activeNeurons }) => {
    const net = recoverNetwork({ ...p, lambda }, r.u);
    return {
      lambda,
      lambdaFraction,
      objective: r.certificate.primal,
      lowerBound: r.certificate.dual,
      relGap: r.certificate.relGap,
      converged: r.converged,
      activeNeurons,
      trainAccuracy: data.task === "binary" ? trainAccuracy(net, data) : undefined,
      iterations: r.iterations,
      ms: Math.round(r.ms),
    };
  });
  const stalled = path.filter((q) => !q.converged).length;
  const message =
    stalled === 0
      ? undefined
      : `not converged at ${stalled} of ${o.count} λ values: relative duality gap > --tol ${o.tolText} after --max-iter ${o.maxIter} ${o.solver} iterations; raise --max-iter${o.maxIterDefault === undefined ? "" : ` (default ${o.maxIterDefault})`}`;
  const report = {
    ...datasetReport(data),
    solver: o.solver,
    loss: p.loss.name,
    patterns: p.patterns.count,
    lambdaMax: result.lambdaMax,
    warmStart: result.warmStart,
    activeTol: ACTIVE_TOL,
    iterations: path.reduce((s, q) => s + q.iterations, 0),
    ms: Math.round(performance.now() - t0),
    message,
    path,
  };
  if (o.json) {
    printJson(report);
    return;
  }
  const lines = [
    datasetLine(data),
    `${o.solver}, ${p.loss.name} loss, ${p.patterns.count} patterns, λ_max = ${result.lambdaMax.toPrecision(6)}, warm-started; ${report.iterations} iterations, ${report.ms} ms in all`,
    "λ           λ/λ_max    objective      rel. gap  conv.  neurons  train acc.  iter.  ms",
    ...path.map((q) =>
      [
        q.lambda.toExponential(3).padEnd(10),
        q.lambdaFraction.toExponential(2).padEnd(9),
        q.objective.toPrecision(8).padEnd(13),
        q.relGap.toExponential(1).padEnd(8),
        (q.converged ? "yes" : "no").padEnd(5),
        String(q.activeNeurons).padEnd(7),
        (q.trainAccuracy === undefined ? "—" : `${(100 * q.trainAccuracy).toFixed(1)}%`).padEnd(10),
        String(q.iterations).padEnd(5),
        String(q.ms),
      ].join("  "),
    ),
  ];
  if (message) lines.push(message);
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** max |x_ij| over the features (the bias column excluded). */
function featureReach(data: Dataset): number {
  const { rows, cols, data: x } = data.X;
  let m = 0;
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols - 1; j++) m = Math.max(m, Math.abs(x[i * cols + j]!));
  return m;
}

const datasetReport = (data: Dataset) => ({
  dataset: data.name,
  description: data.description,
  n: data.X.rows,
  d: data.X.cols,
  biasColumn: true,
});

const datasetLine = (data: Dataset) =>
  `${data.name}: ${data.description}; n=${data.X.rows}, d=${data.X.cols} (incl. bias column)`;

const trainAccuracy = (net: Network, data: Dataset) =>
  networkOutput(net, data.X).filter((f, k) => Math.sign(f) === data.y[k]).length / data.X.rows;

const pgdReport = (attack: AttackResult, eps: number) => ({
  eps,
  cleanAccuracy: attack.cleanAccuracy,
  adversarialAccuracy: attack.adversarialAccuracy,
  cleanHinge: attack.cleanHinge,
  adversarialHinge: attack.adversarialHinge,
});

const pgdLine = (attack: AttackResult, eps: number) =>
  `PGD (ℓ∞, ε=${eps}): accuracy ${(100 * attack.cleanAccuracy).toFixed(1)}% clean → ${(100 * attack.adversarialAccuracy).toFixed(1)}% attacked`;

/**
 * `--robust`: the robust hinge program on patterns with robustly interior gates, its recovered
 * network, and PGD at the training radius. The worst-case hinge (certificate) bounds the PGD hinge.
 */
function runRobust(
  data: Dataset,
  o: {
    P: number;
    lambda: number;
    eps: number;
    maxIter: number;
    tol: number;
    method: "ipm" | "al";
    json: boolean;
  },
  rng: Rng,
): void {
  const patterns = sampleRobustPatterns(data.X, o.P, o.eps, rng.split());
  const p: ConvexProblem = {
    X: data.X,
    y: data.y,
    patterns,
    lambda: o.lambda,
    loss: losses.hinge,
    gated: false,
  };
  const bar = progress(o.maxIter, "convex robust", o.json);
  const onIter = (i: number) => (o.method === "ipm" || i % 10 === 0) && bar.tick(i);
  const stages = 20;
  const result =
    o.method === "ipm"
      ? robustInteriorPoint(p, o.eps, { tol: o.tol, maxIter: o.maxIter, onIter })
      : {
          converged: undefined,
          ...robustTrain(p, o.eps, {
            stages,
            innerIter: Math.max(1, Math.floor(o.maxIter / stages)),
            onIter,
          }),
        };
  bar.stop();
  const net = recoverNetwork(p, result.u);
  const attack = pgdAttack(net, data.X, data.y, o.eps, rng.split());
  const report = {
    ...datasetReport(data),
    solver: "robust",
    method: o.method,
    loss: "hinge",
    lambda: o.lambda,
    eps: o.eps,
    patterns: patterns.count,
    iterations: result.iterations,
    ms: Math.round(result.ms),
    robustObjective: result.objective,
    // Lower bound on the robust optimum over these patterns (robustLowerBound): a certified gap.
    lowerBound: result.lowerBound,
    relGap: result.relGap,
    ...(result.converged === undefined ? {} : { converged: result.converged }),
    // Exact worst case over the ε-box of the recovered network's hinge loss (patterns fixed there).
    certificate: result.worstCaseHinge,
    minSlack: result.minSlack,
    zeroedPatterns: "zeroed" in result ? result.zeroed : result.dropped,
    neurons: net.m,
    networkObjective: networkObjective(net, data.X, data.y, losses.hinge, o.lambda),
    trainAccuracy: trainAccuracy(net, data),
    pgd: pgdReport(attack, o.eps),
  };
  if (o.json) {
    printJson(report);
    return;
  }
  const lines = [
    datasetLine(data),
    `robust hinge (ℓ∞, ε=${o.eps}) on ${patterns.count} patterns, λ=${o.lambda}, ${o.method === "ipm" ? `interior point: ${result.iterations} Newton steps, converged=${result.converged}` : `augmented Lagrangian: ${result.iterations} iterations`}, ${report.ms} ms`,
    `robust objective ${result.objective.toPrecision(10)} ≥ p* ≥ ${result.lowerBound.toPrecision(10)} (relative gap ${result.relGap.toExponential(2)})${result.converged === false ? `: not converged to --tol ${o.tol}, raise --max-iter (${o.maxIter})` : ""}`,
    `worst-case hinge on the ε-box ${result.worstCaseHinge.toPrecision(10)} ≥ PGD hinge ${attack.adversarialHinge.toPrecision(10)}`,
    `ReLU network: ${net.m} neurons, clean objective ${report.networkObjective.toPrecision(10)}, train accuracy ${(100 * report.trainAccuracy).toFixed(1)}%`,
    pgdLine(attack, o.eps),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** `gatedToRelu` at the CLI's tolerance, with the plain cone decomposition's objective to compare. */
function convertGated(
  relu: ConvexProblem,
  w: Float64Array,
  tol: number,
  json: boolean,
): { converted: GatedToRelu | undefined; coneDecomposition: number; ms: number } {
  const bar = progress(1, "gated → ReLU", json);
  const t0 = performance.now();
  const converted = gatedToRelu(relu, w, { tol });
  const ms = performance.now() - t0;
  bar.stop();
  const coneDecompositionObjective = convexObjective(
    relu,
    coneDecomposition({ ...relu, gated: true }, w),
  );
  return { converted, coneDecomposition: coneDecompositionObjective, ms };
}

const signedPercent = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toPrecision(3)}%`;

/**
 * The non-convex baseline (`gdBaseline`): `runs` random initializations at each width m, 2m, 4m
 * (m = the convex network's neurons), objectives relative to the convex objective. With sampled
 * patterns the convex program is restricted, so a run may end below its lower bound (counted).
 */
function compareGd(
  p: ConvexProblem,
  ref: { neurons: number; convex: number; lower: number },
  o: { runs: number; steps: number },
  rng: Rng,
  json: boolean,
) {
  const m = Math.max(ref.neurons, 1);
  const bar = progress(o.runs * GD_WIDTHS.length, "gradient descent", json);
  const base = gdBaseline(p.X, p.y, p.loss, p.lambda, rng, {
    widths: GD_WIDTHS.map((k) => k * m),
    restarts: o.runs,
    steps: o.steps,
    lr: GD_LR,
    onRun: (done) => bar.tick(done),
  });
  bar.stop();
  const excess = (f: number) => (f - ref.convex) / ref.convex;
  return {
    method: "adam",
    lr: GD_LR,
    steps: o.steps,
    runs: o.runs,
    best: base.best,
    bestExcess: excess(base.best),
    belowLowerBound: base.widths.flatMap((w) => w.objectives).filter((f) => f < ref.lower).length,
    widths: base.widths.map((w) => ({
      hidden: w.hidden,
      best: w.best,
      median: w.median,
      bestExcess: excess(w.best),
      medianExcess: excess(w.median),
      objectives: w.objectives,
      fractionAboveConvex: w.objectives.filter((f) => f > ref.convex * 1.01).length / o.runs,
    })),
  };
}
