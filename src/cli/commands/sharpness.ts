/**
 * `critkit sharpness`: full-batch gradient descent on a dataset (the core training loop) while
 * tracking the top Hessian eigenvalue of the training loss (Lanczos on HVPs) every n steps; reports
 * the predicted stable learning-rate range at initialization, progressive sharpening and the Edge
 * of Stability onset (sharpness ≈ 2/η), with a plot of sharpness, 2/η and the loss.
 */
import type { Command } from "commander";
import {
  type TrainingDatasetName,
  trainingDatasetNames,
  trainingSet,
} from "../../data/training.js";
import { compileHessian, lanczos } from "../../diagnostics/hvp.js";
import { edgeOfStability, maxStableLr } from "../../diagnostics/stability.js";
import { loadJax, shutdownJax } from "../../nets/jax.js";
import type { JaxParams } from "../../nets/layers/index.js";
import { datasetMlp, objective } from "../../nets/model.js";
import { PLOT_EXTENSIONS, writePlot } from "../../node/plot-files.js";
import { lineSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { initialState, train } from "../../train/loop.js";
import { int, num, oneOf } from "../options.js";
import { checkOutputFile, printJson, progress, warn } from "../output.js";

interface RawOptions {
  dataset: string;
  arch: string;
  width: string;
  depth: string;
  activation: string;
  lr: string;
  steps: string;
  every: string;
  weightDecay: string;
  seed: string;
  out?: string;
  json?: boolean;
}

export function registerSharpness(program: Command): void {
  program
    .command("sharpness")
    .description("track the top Hessian eigenvalue during full-batch GD (Edge of Stability)")
    .option("--dataset <name>", `one of ${trainingDatasetNames.join(", ")}`, "digits")
    .option("--arch <name>", "architecture (mlp)", "mlp")
    .option("--width <n>", "hidden width", "64")
    .option("--depth <n>", "hidden layers", "2")
    .option("--activation <name>", "activation of the hidden layers", "tanh")
    .option("--lr <x>", "learning rate η (> 0)", "0.05")
    .option("--steps <n>", "GD steps", "3000")
    .option("--every <n>", "steps between sharpness measurements", "25")
    .option("--weight-decay <x>", "L2 weight decay λ ≥ 0 (added to the gradient)", "0")
    .option("--seed <n>", "seed of the split and the initialization", "0")
    .option("--out <file>", "plot (.svg or .png)")
    .option("--json", "print JSON")
    .action((raw: RawOptions) => runSharpness(raw));
}

async function runSharpness(raw: RawOptions): Promise<void> {
  const dataset = oneOf("--dataset", raw.dataset, trainingDatasetNames) as TrainingDatasetName;
  const arch = oneOf("--arch", raw.arch, ["mlp"] as const);
  const width = int("--width", raw.width, 1, 4096);
  const depth = int("--depth", raw.depth, 1, 100);
  const phi = activation(raw.activation, "--activation");
  const lr = num("--lr", raw.lr, { minExclusive: 0 });
  const steps = int("--steps", raw.steps, 1, 1_000_000);
  const every = int("--every", raw.every, 1, 1_000_000);
  const weightDecay = num("--weight-decay", raw.weightDecay, { min: 0 });
  const seed = int("--seed", raw.seed, 0, 2 ** 32 - 1);
  const json = raw.json ?? false;
  if (raw.out !== undefined) checkOutputFile("--out", raw.out, PLOT_EXTENSIONS);
  const data = trainingSet(dataset, { seed });
  const jax = await loadJax();
  const model = await datasetMlp(data, width, depth, phi);
  const f32 = (v: Float64Array, rows: number, cols: number) =>
    jax.numpy.array(Float32Array.from(v), { shape: [rows, cols], dtype: jax.numpy.float32 });
  const batch = {
    x: f32(data.train.x, data.train.n, data.inputDim),
    y: f32(data.train.y, data.train.n, data.outputDim),
  };
  const tracked = { step: [] as number[], sharpness: [] as number[], hvps: [] as number[] };
  const hessian = await compileHessian(model);
  const measure = async (step: number, params: JaxParams) => {
    const top = await lanczos(await hessian.at(params, batch), {
      tol: 1e-3,
      maxIter: 60,
      seed: step,
    });
    tracked.step.push(step);
    // the L2 term adds λ to every eigenvalue of the training objective
    tracked.sharpness.push(top.values[0]! + weightDecay);
    tracked.hvps.push(top.hvps);
  };
  const bar = progress(steps, "sharpness", json);
  try {
    const optConfig = { name: "sgd" as const, weightDecay, wdMode: "l2" as const };
    const state = initialState(jax, model.init(seed), optConfig);
    let diverged: number | null = null;
    await measure(0, state.params);
    const final = await train(
      jax,
      { objective: objective(model), predict: model.apply },
      data,
      { steps, batchSize: 0, optimizer: optConfig, lr, evalEvery: steps, seed, dtype: "float32" },
      state,
      {
        afterStep: async (s) => {
          bar.tick(s.step);
          const last = s.history.steps.at(-1)?.loss;
          if (diverged === null && last !== undefined && !Number.isFinite(last)) diverged = s.step;
          // past divergence the parameters are not finite: no Hessian to measure
          if (s.step % every === 0 && diverged === null) await measure(s.step, s.params);
        },
      },
    );
    bar.stop();
    jax.tree.dispose([final.params, final.opt.slots] as never);
    const loss = final.history.steps.map((s) => s.loss);
    let increases = 0;
    for (let i = 1; i < loss.length; i++) if (loss[i]! > loss[i - 1]!) increases++;
    const eos = edgeOfStability(tracked.step, tracked.sharpness, lr);
    const warnings: string[] = [];
    if (diverged !== null)
      warn(
        warnings,
        `the training loss is not finite from step ${diverged} on (GD diverged at η = ${lr}): loss values are null from there and the sharpness is not measured after it`,
      );
    const result = {
      dataset,
      arch,
      width,
      depth,
      activation: phi.name,
      lr,
      weight_decay: weightDecay,
      steps,
      every,
      seed,
      sharpness_at_init: tracked.sharpness[0]!,
      max_stable_lr_at_init: maxStableLr(tracked.sharpness[0]! - weightDecay, { weightDecay }),
      two_over_lr: 2 / lr,
      edge_of_stability_onset: eos.onsetStep,
      progressive_sharpening: eos.progressiveSharpening,
      loss_increases: increases,
      final_train_loss: final.history.evals.at(-1)?.trainLoss ?? null,
      final_test_accuracy: final.history.evals.at(-1)?.testAccuracy ?? null,
      tracked: { step: tracked.step, sharpness: tracked.sharpness, lanczos_hvps: tracked.hvps },
      loss: { step: final.history.steps.map((s) => s.step), value: loss },
      warnings,
    };
    if (raw.out !== undefined)
      await writePlot(
        raw.out,
        lineSpec({
          series: [
            { name: "sharpness λ_max", x: tracked.step, y: tracked.sharpness },
            { name: "2/η", x: [0, steps], y: [2 / lr, 2 / lr] },
            { name: "train loss", x: result.loss.step, y: loss },
          ],
          xTitle: "step",
          yTitle: "sharpness, loss",
          logY: true,
          title: `${dataset}: ${arch} width ${width} depth ${depth}, GD lr ${lr}`,
        }),
      );
    if (json) return printJson(result);
    process.stdout.write(
      `sharpness at init ${result.sharpness_at_init.toPrecision(4)} → stable for lr < ${result.max_stable_lr_at_init.toPrecision(4)}; 2/η = ${(2 / lr).toPrecision(4)}\n`,
    );
    process.stdout.write(
      `progressive sharpening: ${eos.progressiveSharpening ? "yes" : "no"}; Edge of Stability onset: ${eos.onsetStep ?? "not reached"}; loss rose on ${increases} of ${loss.length} steps\n`,
    );
    for (let i = 0; i < tracked.step.length; i++)
      process.stdout.write(
        `${String(tracked.step[i]).padStart(6)}  ${tracked.sharpness[i]!.toPrecision(5)}\n`,
      );
    if (raw.out !== undefined) process.stdout.write(`wrote ${raw.out}\n`);
  } finally {
    bar.stop();
    hessian.dispose();
    jax.tree.dispose(batch as never);
    await shutdownJax();
  }
}
