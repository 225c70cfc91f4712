/**
 * `critkit twins`: float-error amplification. Pairs of float32 SGD runs of one MLP on a dataset,
 * each twinned with a run that differs by one ulp of one weight (`ulp`), by float64 arithmetic
 * (`f64`), or by the seed (`seed`, the spread rounding is compared with); per compared step the
 * weight-space distance (total and per layer), the fraction of test predictions that disagree and
 * the test-loss difference, with a log-scale plot of the distance vs step. Next to the measured
 * growth per step, the one predicted by the linearised SGD map from run a's Hessian spectrum ends
 * (at step 0 and, with --sharpness-every, per window along the run).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  type TrainingDatasetName,
  trainingDatasetNames,
  trainingSet,
} from "../../data/training.js";
import {
  logGrowthRate,
  PERTURBATIONS,
  type Perturbation,
  type TwinPair,
  twinRuns,
  windowGrowthRates,
} from "../../diagnostics/twins.js";
import { InputError, shown } from "../../errors.js";
import { loadJax, shutdownJax } from "../../nets/jax.js";
import { datasetMlp } from "../../nets/model.js";
import { PLOT_EXTENSIONS, writePlot } from "../../node/plot-files.js";
import { lineSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import type { OptimizerConfig } from "../../train/optimizers.js";
import { int, num, oneOf } from "../options.js";
import { checkOutputFile, printJson, progress, warn, writeFileAtomic } from "../output.js";

interface RawOptions {
  dataset: string;
  width: string;
  depth: string;
  activation: string;
  pairs: string;
  steps: string;
  every: string;
  lr: string;
  batchSize: string;
  momentum: string;
  weightDecay: string;
  perturb: string;
  seed: string;
  sharpnessEvery: string;
  checkpoint?: string;
  out?: string;
  json?: boolean;
}

const CLASSIFICATION = trainingDatasetNames.filter((n) => n !== "teacher_regression");

export function registerTwins(program: Command): void {
  program
    .command("twins")
    .description(
      "twin training runs differing by one ulp, float64 or the seed (float-error amplification)",
    )
    .option("--dataset <name>", `one of ${CLASSIFICATION.join(", ")}`, "digits")
    .option("--width <n>", "hidden width", "64")
    .option("--depth <n>", "hidden layers", "2")
    .option("--activation <name>", "activation of the hidden layers", "tanh")
    .option("--pairs <n>", "twin pairs (seeds seed … seed + pairs − 1)", "4")
    .option("--steps <n>", "SGD steps", "300")
    .option("--every <n>", "steps between comparisons", "10")
    .option("--lr <x>", "learning rate η (> 0)", "0.05")
    .option("--batch-size <n>", "minibatch size (0 = full batch)", "64")
    .option("--momentum <x>", "heavy-ball momentum β in [0, 1) (0: plain SGD)", "0")
    .option("--weight-decay <x>", "L2 weight decay λ ≥ 0, added to the gradient", "0")
    .option(
      "--perturb <list>",
      `comma-separated twins among ${PERTURBATIONS.join(", ")} (seed is always added; f64 trains eagerly in float64, ~100× slower per step)`,
      "ulp,order",
    )
    .option("--seed <n>", "seed of the split and of the first pair", "0")
    .option(
      "--sharpness-every <n>",
      "also measure λ_min, λ_max of run a's Hessian every n steps (a multiple of --every; 0 = at init only) and compare measured and predicted growth per window",
      "0",
    )
    .option(
      "--checkpoint <file>",
      "keep finished pairs in this .json file and resume from it (same settings; more --pairs extend it)",
    )
    .option("--out <file>", "plot (.svg or .png)")
    .option("--json", "print JSON")
    .action((raw: RawOptions) => runTwins(raw));
}

async function runTwins(raw: RawOptions): Promise<void> {
  const dataset = oneOf("--dataset", raw.dataset, CLASSIFICATION) as TrainingDatasetName;
  const width = int("--width", raw.width, 1, 4096);
  const depth = int("--depth", raw.depth, 1, 100);
  const phi = activation(raw.activation, "--activation");
  const pairs = int("--pairs", raw.pairs, 1, 1000);
  const steps = int("--steps", raw.steps, 1, 1_000_000);
  const every = int("--every", raw.every, 1, 1_000_000);
  const lr = num("--lr", raw.lr, { minExclusive: 0 });
  const batchSize = int("--batch-size", raw.batchSize, 0, 100_000_000);
  const momentum = num("--momentum", raw.momentum, { min: 0 });
  if (momentum >= 1) throw new InputError("--momentum", `must be < 1, got ${momentum}`);
  const weightDecay = num("--weight-decay", raw.weightDecay, { min: 0, max: 1e6 });
  const optimizer: OptimizerConfig =
    momentum > 0
      ? { name: "momentum", momentum, weightDecay, wdMode: "l2" }
      : { name: "sgd", weightDecay, wdMode: "l2" };
  const seed = int("--seed", raw.seed, 0, 2 ** 32 - 1 - pairs);
  const perturbations = perturbList(raw.perturb);
  const sharpnessEvery = int("--sharpness-every", raw.sharpnessEvery, 0, 1_000_000);
  if (sharpnessEvery % every !== 0)
    throw new InputError(
      "--sharpness-every",
      `must be a multiple of --every (${every}), got ${sharpnessEvery}`,
    );
  const json = raw.json ?? false;
  if (raw.out !== undefined) checkOutputFile("--out", raw.out, PLOT_EXTENSIONS);
  const checkpoint =
    raw.checkpoint === undefined
      ? undefined
      : checkOutputFile("--checkpoint", raw.checkpoint, [".json"]);
  const settings = {
    dataset,
    width,
    depth,
    activation: phi.name,
    steps,
    every,
    lr,
    batchSize,
    momentum,
    weightDecay,
    perturbations,
    seed,
    sharpnessEvery,
  };
  const results = checkpoint === undefined ? [] : loadCheckpoint(checkpoint, settings);
  const resumed = Math.min(pairs, results.length / perturbations.length);
  results.length = resumed * perturbations.length;
  const data = trainingSet(dataset, { seed });
  await loadJax();
  const model = await datasetMlp(data, width, depth, phi);
  const bar = progress(pairs, "twins", json);
  try {
    for (let i = resumed; i < pairs; i++) {
      const config = {
        model,
        data,
        steps,
        batchSize,
        lr,
        optimizer,
        every,
        spectrumEvery: sharpnessEvery,
      };
      // twin seeds half the seed range away: independent of --pairs, so a checkpoint extends
      const twinSeed = (seed + i + 2 ** 31) >>> 0;
      results.push(...(await twinRuns(config, perturbations, seed + i, { twinSeed })));
      if (checkpoint !== undefined)
        await writeFileAtomic(
          checkpoint,
          JSON.stringify({ kind: CHECKPOINT_KIND, settings, runs: results }),
        );
      bar.tick(i + 1);
    }
    bar.stop();
    const warnings: string[] = [];
    const summary = perturbations.map((p) =>
      summarize(
        p,
        results.filter((r) => r.perturbation === p),
      ),
    );
    for (const s of summary)
      if (s.median_distance.some((d) => d === null))
        warn(
          warnings,
          `the ${s.perturbation} twins' parameters are not finite at some steps (training diverged at η = ${lr}): their distances and loss differences are null there, and their accuracies mean nothing`,
        );
    if (results.some((r) => r.spectrum.lambdaMax.some((v) => !Number.isFinite(v))))
      warn(
        warnings,
        `run a's loss or Hessian is not finite at some spectrum steps (training diverged at η = ${lr}): λ_min, λ_max and the predicted growth are null there`,
      );
    const unconverged = (r: TwinPair) =>
      r.spectrum.converged.some((c, i) => !c && Number.isFinite(r.spectrum.lambdaMax[i]!));
    if (results.some(unconverged))
      warn(
        warnings,
        "Lanczos did not reach its tolerance (1e-3) for some spectrum ends within 60 Hessian-vector products: those λ and the predicted growth are estimates",
      );
    const step = results[0]!.step;
    const result = {
      dataset,
      width,
      depth,
      activation: phi.name,
      lr,
      batch_size: batchSize,
      momentum,
      weight_decay: weightDecay,
      steps,
      every,
      sharpness_every: sharpnessEvery,
      seed,
      pairs,
      resumed_pairs: resumed,
      step,
      summary,
      runs: results.map((r) => ({
        perturbation: r.perturbation,
        seed: r.seed,
        twin_seed: r.twinSeed,
        twin_dtype: r.twinDtype,
        growth_per_step: logGrowthRate(r.step, r.distance),
        predicted_growth_per_step: r.predictedGrowth[0] ?? null,
        spectrum: {
          step: r.spectrum.step,
          lambda_min: r.spectrum.lambdaMin,
          lambda_max: r.spectrum.lambdaMax,
          lanczos_hvps: r.spectrum.hvps,
          converged: r.spectrum.converged,
        },
        ...(sharpnessEvery > 0 ? { windows: growthWindows(r) } : {}),
        distance: r.distance,
        layer_distance: r.layerDistance,
        disagreement: r.disagreement,
        loss_diff: r.lossDiff,
        test_accuracy: { a: r.accuracy.a.at(-1)!, b: r.accuracy.b.at(-1)! },
        ...(r.perturbedWeight ? { perturbed_weight: r.perturbedWeight } : {}),
      })),
      warnings,
    };
    if (raw.out !== undefined)
      await writePlot(
        raw.out,
        lineSpec({
          series: summary.flatMap((s) => {
            const ok = s.median_distance.map((d) => d !== null);
            const pick = (v: (number | null)[]) => v.filter((_, i) => ok[i]) as number[];
            const x = step.filter((_, i) => ok[i]);
            return [
              { name: `${s.perturbation}: median`, x, y: pick(s.median_distance) },
              ...(s.perturbation === "seed"
                ? [
                    { name: "seed: min", x, y: pick(s.min_distance) },
                    { name: "seed: max", x, y: pick(s.max_distance) },
                  ]
                : []),
            ];
          }),
          xTitle: "step",
          yTitle: "weight-space distance ‖θa − θb‖₂",
          logY: true,
          title: `${dataset}: MLP width ${width} depth ${depth}, SGD lr ${lr}, ${pairs} pairs`,
        }),
      );
    if (json) return printJson(result);
    process.stdout.write(
      `${dataset}, MLP width ${width} depth ${depth}, ${steps} SGD steps (lr ${lr}, batch ${batchSize}), ${pairs} pair(s)\n`,
    );
    process.stdout.write(
      "twin      final ‖θa−θb‖  growth/step  predicted  test disagreement  |Δ test accuracy| mean (max)\n",
    );
    for (const s of summary)
      process.stdout.write(
        `${s.perturbation.padEnd(8)}  ${fmt(s.median_distance.at(-1)!).padStart(13)}  ${fmt(s.growth_per_step).padStart(11)}  ${fmt(s.predicted_growth_per_step).padStart(9)}  ${fmt(s.mean_final_disagreement).padStart(17)}  ${fmt(s.mean_accuracy_diff)} (${fmt(s.max_accuracy_diff)})\n`,
      );
    process.stdout.write(
      `predicted = ln max ρ(λ) of the linearised SGD map over run a's Hessian spectrum [λ_min, λ_max] at init (median over pairs: [${fmt(median(results.map((r) => r.spectrum.lambdaMin[0]!)))}, ${fmt(median(results.map((r) => r.spectrum.lambdaMax[0]!)))}], 2/η = ${fmt(2 / lr)})\n`,
    );
    if (sharpnessEvery > 0)
      for (const s of summary) {
        if (s.perturbation === "none" || s.perturbation === "seed") continue;
        const runs = result.runs.filter((r) => r.perturbation === s.perturbation);
        process.stdout.write(`${s.perturbation} per window  measured  predicted (medians)\n`);
        runs[0]!.windows!.forEach((w, i) => {
          const m = medianOrNull(runs.map((r) => r.windows![i]!.measured_growth_per_step));
          const p = medianOrNull(runs.map((r) => r.windows![i]!.predicted_growth_per_step));
          process.stdout.write(
            `  ${`${w.from}–${w.to}`.padStart(13)}  ${fmt(m).padStart(8)}  ${fmt(p).padStart(9)}\n`,
          );
        });
      }
    if (raw.out !== undefined) process.stdout.write(`wrote ${raw.out}\n`);
  } finally {
    bar.stop();
    await shutdownJax();
  }
}

const CHECKPOINT_KIND = "critkit-twins-checkpoint";

/** The finished pairs in `path` (none if it does not exist); InputError if they belong elsewhere. */
function loadCheckpoint(path: string, settings: object): TwinPair[] {
  if (!existsSync(path)) return [];
  let saved: { kind?: unknown; settings?: unknown; runs?: unknown };
  try {
    // non-finite values were written as null
    saved = JSON.parse(readFileSync(path, "utf8"), (_k, v) => (v === null ? Number.NaN : v));
  } catch {
    saved = {};
  }
  if (saved?.kind !== CHECKPOINT_KIND || !Array.isArray(saved.runs))
    throw new InputError("--checkpoint", `'${shown(path)}' is not a critkit twins checkpoint`);
  if (JSON.stringify(saved.settings) !== JSON.stringify(settings))
    throw new InputError(
      "--checkpoint",
      `'${shown(path)}' holds twins with other settings (${JSON.stringify(saved.settings)}); choose another file`,
    );
  return saved.runs as TwinPair[];
}

/** The requested twins, each once, with the seed twins always added (the comparison band). */
function perturbList(raw: string): Perturbation[] {
  const out: Perturbation[] = [];
  for (const word of String(raw).split(",")) {
    const p = oneOf("--perturb", word.trim(), PERTURBATIONS);
    if (out.includes(p)) throw new InputError("--perturb", `'${p}' given twice`);
    out.push(p);
  }
  if (!out.includes("seed")) out.push("seed");
  return out;
}

/** Median, min and max distance over pairs per step; final disagreement and accuracy gaps. */
function summarize(perturbation: Perturbation, runs: TwinPair[]) {
  const at = (i: number) => runs.map((r) => r.distance[i]!);
  const steps = runs[0]!.step.length;
  const finite = (v: number[]) => (v.every(Number.isFinite) ? v : null);
  const stat = (f: (v: number[]) => number) =>
    Array.from({ length: steps }, (_, i) => {
      const v = finite(at(i));
      return v === null ? null : f(v);
    });
  const accDiff = runs.map((r) => Math.abs(r.accuracy.a.at(-1)! - r.accuracy.b.at(-1)!));
  const rates = runs.map((r) => logGrowthRate(r.step, r.distance));
  return {
    perturbation,
    median_distance: stat(median),
    min_distance: stat((v) => Math.min(...v)),
    max_distance: stat((v) => Math.max(...v)),
    /** median over pairs of the fitted e-folding rate of the distance per step (logGrowthRate) */
    growth_per_step: medianOrNull(rates),
    /** median over pairs of the linearised prediction from run a's spectrum at init */
    predicted_growth_per_step: medianOrNull(runs.map((r) => r.predictedGrowth[0] ?? null)),
    mean_final_disagreement: mean(runs.map((r) => r.disagreement.at(-1)!)),
    mean_accuracy_diff: mean(accDiff),
    max_accuracy_diff: Math.max(...accDiff),
  };
}

/**
 * Per window [from, to] between spectrum measurements: the measured growth per step
 * (`windowGrowthRates`) next to the one predicted from run a's spectrum at `from`.
 */
function growthWindows(r: TwinPair) {
  const starts = r.spectrum.step;
  const measured = windowGrowthRates(r.step, r.distance, starts);
  return starts.map((from, i) => ({
    from,
    to: starts[i + 1] ?? r.step.at(-1)!,
    measured_growth_per_step: measured[i]!,
    predicted_growth_per_step: r.predictedGrowth[i] ?? null,
  }));
}

/** The median of finite values, or null when any is null or not finite. */
const medianOrNull = (v: (number | null)[]) =>
  v.every((x) => x !== null && Number.isFinite(x)) ? median(v as number[]) : null;

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (x: number | null) =>
  x === null || !Number.isFinite(x)
    ? "—"
    : x !== 0 && Math.abs(x) < 1e-3
      ? x.toExponential(2)
      : x.toPrecision(3);
