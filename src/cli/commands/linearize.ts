/**
 * `critkit linearize`: an MLP (NTK parametrization) and its linearization around the same θ0
 * trained side by side by full-batch gradient descent on the MSE loss, at one or more widths:
 * train/test loss of both, their function-space distance on the test inputs, the parameter
 * distance from θ0 and the change of the empirical NTK, with a plot of the distances per width.
 */
import type { Command } from "commander";
import { relabel } from "../../data/tasks.js";
import {
  type TrainingDatasetName,
  type TrainingSet,
  trainingDatasetNames,
  trainingSet,
} from "../../data/training.js";
import {
  type SideBySideRecord,
  taskRanking,
  trainSideBySide,
} from "../../diagnostics/linearized-training.js";
import { InputError } from "../../errors.js";
import { shutdownJax } from "../../nets/jax.js";
import { mlpModel } from "../../nets/model.js";
import { PLOT_EXTENSIONS, writePlot } from "../../node/plot-files.js";
import { lineSpec, stackSpecs } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { int, num, oneOf } from "../options.js";
import { checkOutputFile, printJson, progress, warn } from "../output.js";

interface RawOptions {
  dataset: string;
  samples: string;
  arch: string;
  widths?: string;
  width?: string;
  depth: string;
  activation: string;
  sigmaW2: string;
  sigmaB2: string;
  lr: string;
  steps: string;
  every: string;
  kernelSamples: string;
  task: string;
  seed: string;
  out?: string;
  json?: boolean;
}

export function registerLinearize(program: Command): void {
  program
    .command("linearize")
    .description(
      "train an MLP and its linearization around θ0 side by side (NTK parametrization, GD on MSE)",
    )
    .option("--dataset <name>", `one of ${trainingDatasetNames.join(", ")}`, "iris")
    .option("--samples <n>", "training samples (spread evenly over the training split)", "32")
    .option("--arch <name>", "architecture (mlp)", "mlp")
    .option("--widths <list>", "hidden widths, comma-separated", "64,256,1024")
    .option("--width <n>", "one hidden width (instead of --widths)")
    .option("--depth <n>", "hidden layers", "2")
    .option("--activation <name>", "activation of the hidden layers", "relu")
    .option("--sigma-w2 <v>", "σ_w²", "2")
    .option("--sigma-b2 <v>", "σ_b²", "0.1")
    .option("--lr <x>", "learning rate η of gradient descent (> 0)", "0.5")
    .option("--steps <n>", "gradient-descent steps", "200")
    .option("--every <n>", "steps between measurements", "20")
    .option("--kernel-samples <n>", "training inputs on which the empirical NTK is measured", "4")
    .option(
      "--task <list>",
      "labels on the same inputs: class | ovr:<c> | parity:<k> | random; several (comma-separated, one width) are ranked",
      "class",
    )
    .option("--seed <n>", "seed of the split and of θ0", "0")
    .option("--out <file>", "plot of the distances per width (.svg or .png)")
    .option("--json", "print JSON")
    .action((raw: RawOptions) => runLinearize(raw));
}

/** `m` training rows spread evenly over the split (so every class keeps its share). */
function spreadTrainRows(data: TrainingSet, m: number): TrainingSet {
  const { n, x, y, labels } = data.train;
  const rows = Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
  const pick = (v: Float64Array, d: number) => {
    const out = new Float64Array(m * d);
    rows.forEach((r, i) => {
      out.set(v.subarray(r * d, (r + 1) * d), i * d);
    });
    return out;
  };
  return {
    ...data,
    train: {
      n: m,
      x: pick(x, data.inputDim),
      y: pick(y, data.outputDim),
      ...(labels ? { labels: Int32Array.from(rows, (r) => labels[r]!) } : {}),
    },
  };
}

function parseWidths(raw: RawOptions): number[] {
  if (raw.width !== undefined) return [int("--width", raw.width, 1, 4096)];
  const parts = String(raw.widths).split(",");
  if (parts.length > 8) throw new InputError("--widths", `at most 8 widths, got ${parts.length}`);
  return parts.map((p) => int("--widths", p, 1, 4096));
}

async function runLinearize(raw: RawOptions): Promise<void> {
  const dataset = oneOf("--dataset", raw.dataset, trainingDatasetNames) as TrainingDatasetName;
  const samples = int("--samples", raw.samples, 2, 2000);
  const arch = oneOf("--arch", raw.arch, ["mlp"] as const);
  const widths = parseWidths(raw);
  const depth = int("--depth", raw.depth, 1, 20);
  const phi = activation(raw.activation, "--activation");
  const sigmaW2 = num("--sigma-w2", raw.sigmaW2, { minExclusive: 0, max: 1e3 });
  const sigmaB2 = num("--sigma-b2", raw.sigmaB2, { min: 0, max: 1e3 });
  const lr = num("--lr", raw.lr, { minExclusive: 0, max: 1e3 });
  const steps = int("--steps", raw.steps, 1, 1_000_000);
  const every = int("--every", raw.every, 1, 1_000_000);
  const seed = int("--seed", raw.seed, 0, 2 ** 31 - 1);
  const kernelSamples = int("--kernel-samples", raw.kernelSamples, 1, 64);
  const json = raw.json ?? false;
  const out =
    raw.out === undefined ? undefined : checkOutputFile("--out", raw.out, PLOT_EXTENSIONS);
  const full = trainingSet(dataset, { seed });
  if (samples > full.train.n)
    throw new InputError(
      "--samples",
      `${dataset} has ${full.train.n} training rows, got ${samples}`,
    );
  if (kernelSamples > samples)
    throw new InputError(
      "--kernel-samples",
      `must be ≤ --samples (${samples}), got ${kernelSamples}`,
    );
  const tasks = String(raw.task).split(",");
  if (tasks.length > 8) throw new InputError("--task", `at most 8 tasks, got ${tasks.length}`);
  if (new Set(tasks).size < tasks.length) throw new InputError("--task", "a task is listed twice");
  if (tasks.length > 1 && widths.length > 1)
    throw new InputError("--task", "ranking several tasks needs one width (--width)");
  const spread = spreadTrainRows(full, samples);
  const sets = tasks.map((t) => relabel(spread, t, seed));
  const data = sets[0]!;

  const runs: Array<{ task: string; width: number; records: SideBySideRecord[] }> = [];
  const bar = progress(widths.length * tasks.length, "linearize", json);
  try {
    for (const [t, set] of sets.entries())
      for (const width of widths) {
        const model = await mlpModel({
          inputDim: set.inputDim,
          width,
          depth,
          outputDim: set.outputDim,
          activation: phi,
          sigmaW2,
          sigmaB2,
          loss: "mse",
          parametrization: "ntk",
        });
        const r = await trainSideBySide(model, set, { steps, lr, every, seed, kernelSamples });
        runs.push({ task: tasks[t]!, width, records: r.records });
        bar.tick(runs.length);
      }
  } finally {
    bar.stop();
    await shutdownJax();
  }

  const ranked = tasks.length > 1;
  /** what tells one run from another: the task when tasks are ranked, else the width */
  const tag = (r: { task: string; width: number }) => (ranked ? r.task : `N = ${r.width}`);
  const warnings: string[] = [];
  for (const run of runs) {
    const { records } = run;
    const losses = (r: SideBySideRecord) => [
      r.realTrainLoss,
      r.realTestLoss,
      r.linearTrainLoss,
      r.linearTestLoss,
    ];
    const diverged = records.find((r) => !losses(r).every(Number.isFinite));
    const distances = (r: SideBySideRecord) => [
      r.functionDistance,
      r.paramDistance,
      r.linearParamDistance,
      r.kernelChange,
      r.kernelAlignment,
    ];
    const undefinedRatio = records.find((r) => !distances(r).every(Number.isFinite));
    if (diverged)
      warn(
        warnings,
        `${tag(run)}: the losses are not finite from step ${diverged.step} on (gradient descent diverged; lower --lr): values are null there`,
      );
    else if (undefinedRatio)
      warn(
        warnings,
        `${tag(run)}: a relative distance or the alignment is undefined at step ${undefinedRatio.step} (its reference norm ‖f‖, ‖θ0‖ or ‖Θ‖ is 0): it is null there`,
      );
  }
  const finals = runs.map((r) => r.records.at(-1)!);
  const exponents =
    widths.length < 2
      ? null
      : {
          function_distance: logSlope(
            widths,
            finals.map((r) => r.functionDistance),
          ),
          param_distance: logSlope(
            widths,
            finals.map((r) => r.paramDistance),
          ),
          kernel_change: logSlope(
            widths,
            finals.map((r) => r.kernelChange),
          ),
        };
  if (exponents && !Object.values(exponents).every(Number.isFinite))
    warn(
      warnings,
      "width_exponent: a slope is null (it needs two different widths and final distances that are positive and finite)",
    );
  const result = {
    dataset,
    dataset_description: full.description,
    n_train: data.train.n,
    n_test: data.test.n,
    arch,
    depth,
    activation: phi.name,
    sigma_w2: sigmaW2,
    sigma_b2: sigmaB2,
    parametrization: "ntk",
    loss: "mse",
    optimizer: "gd",
    lr,
    steps,
    every,
    kernel_samples: kernelSamples,
    seed,
    widths,
    /** log-log slope of the final distances over the widths (≈ −1/2 in the linear regime) */
    width_exponent: exponents,
    ranking: ranked ? taskRanking(runs) : null,
    runs: runs.map(({ task, width, records }) => ({
      task,
      width,
      step: records.map((r) => r.step),
      real_train_loss: records.map((r) => r.realTrainLoss),
      real_test_loss: records.map((r) => r.realTestLoss),
      linear_train_loss: records.map((r) => r.linearTrainLoss),
      linear_test_loss: records.map((r) => r.linearTestLoss),
      real_test_accuracy: records.map((r) => r.realTestAccuracy),
      linear_test_accuracy: records.map((r) => r.linearTestAccuracy),
      function_distance: records.map((r) => r.functionDistance),
      param_distance: records.map((r) => r.paramDistance),
      linear_param_distance: records.map((r) => r.linearParamDistance),
      kernel_change: records.map((r) => r.kernelChange),
      kernel_alignment: records.map((r) => r.kernelAlignment),
    })),
    warnings,
  };
  if (out !== undefined) {
    // distances are 0 at step 0 by construction: the log axis starts at the first measurement
    const later = runs.map((run) => ({
      ...run,
      records: run.records.filter((r) => r.step > 0),
    }));
    const curve = (
      name: string,
      records: SideBySideRecord[],
      y: (r: SideBySideRecord) => number,
    ) => ({
      name,
      x: records.map((r) => r.step),
      y: records.map(y),
    });
    const losses = runs.flatMap((run) => [
      curve(`real, ${tag(run)}`, run.records, (r) => r.realTrainLoss),
      curve(`linearized, ${tag(run)}`, run.records, (r) => r.linearTrainLoss),
    ]);
    const distances = later.flatMap((run) => [
      curve(`f vs f_lin, ${tag(run)}`, run.records, (r) => r.functionDistance),
      curve(`Θ_t vs Θ_0, ${tag(run)}`, run.records, (r) => r.kernelChange),
      curve(`θ_t vs θ_0, ${tag(run)}`, run.records, (r) => r.paramDistance),
    ]);
    await writePlot(
      out,
      stackSpecs([
        lineSpec({
          series: losses,
          xTitle: "step",
          yTitle: "train loss (mse)",
          logY: true,
          title: `${dataset}: ${phi.name} MLP depth ${depth}, GD η = ${lr}: real vs linearized`,
        }),
        lineSpec({
          series: distances,
          xTitle: "step",
          yTitle: "relative distance ‖a − b‖/‖b‖",
          logY: true,
          title: "function (test inputs), empirical NTK and parameter distances",
        }),
      ]),
    );
  }
  if (json) return printJson(result);
  process.stdout.write(
    `${full.description}; ${data.train.n} train / ${data.test.n} test rows; ${phi.name} MLP depth ${depth}, NTK parametrization, GD η = ${lr} on MSE\n`,
  );
  const e = (v: number) => (Number.isFinite(v) ? v.toExponential(3) : "—");
  process.stdout.write(
    `${ranked ? "task".padEnd(10) : " width"}   step  train real   train lin   test real    test lin   ‖f−f_lin‖/‖f‖  ‖θ−θ0‖/‖θ0‖  ‖Θ−Θ0‖/‖Θ0‖  A(Θ,y)\n`,
  );
  for (const run of runs)
    for (const r of run.records)
      process.stdout.write(
        `${ranked ? run.task.padEnd(10) : String(run.width).padStart(6)} ${String(r.step).padStart(6)}  ${[
          r.realTrainLoss,
          r.linearTrainLoss,
          r.realTestLoss,
          r.linearTestLoss,
        ]
          .map((v) => e(v).padStart(10))
          .join(
            "  ",
          )}  ${e(r.functionDistance).padStart(13)}  ${e(r.paramDistance).padStart(11)}  ${e(r.kernelChange).padStart(11)}  ${Number.isFinite(r.kernelAlignment) ? r.kernelAlignment.toFixed(4) : "—"}\n`,
      );
  if (result.width_exponent) {
    const w = result.width_exponent;
    process.stdout.write(
      `final distance ∝ width^p: p = ${e(w.function_distance)} (function), ${e(w.param_distance)} (parameters), ${e(w.kernel_change)} (kernel); 1/√width is p = −0.5\n`,
    );
  }
  if (result.ranking) {
    const k = result.ranking;
    process.stdout.write(
      `tasks by final test loss, easiest first: real ${k.real.join(" < ")}; linearized ${k.linear.join(" < ")}; Kendall τ = ${k.kendall_tau.toFixed(3)}\n`,
    );
  }
  if (out !== undefined) process.stdout.write(`wrote ${out}\n`);
}

/** Least-squares slope of log y against log x (NaN when a y is not positive and finite). */
function logSlope(x: number[], y: number[]): number {
  if (!y.every((v) => Number.isFinite(v) && v > 0)) return Number.NaN;
  const lx = x.map(Math.log);
  const ly = y.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : Number.NaN;
}
