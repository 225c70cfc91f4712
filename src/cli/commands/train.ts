/**
 * `critkit train`: trains a network on a dataset with a chosen optimizer and schedule, recording
 * per-step minibatch loss and periodic train/test loss and accuracy; optional checkpoints that a
 * later `--resume` continues bit-identically, and a plot of the curves.
 */
import type { Command } from "commander";
import {
  type TrainingDatasetName,
  trainingDatasetNames,
  trainingSet,
} from "../../data/training.js";
import { InputError } from "../../errors.js";
import { loadJax, shutdownJax } from "../../nets/jax.js";
import { mlpModel, objective, optimizerLrScales } from "../../nets/model.js";
import { PARAMETRIZATION_NAMES } from "../../nets/parametrizations.js";
import {
  hasCheckpoint,
  loadCheckpoint,
  type RunConfig,
  saveCheckpoint,
} from "../../node/checkpoint.js";
import { PLOT_EXTENSIONS, renderPlot } from "../../node/plot-files.js";
import { lineSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { initialState, resolveTrainConfig, type TrainConfig, train } from "../../train/loop.js";
import { optimizerNames, slotNames, weightDecayModes } from "../../train/optimizers.js";
import { scheduleNames } from "../../train/schedules.js";
import { int, num, oneOf } from "../options.js";
import {
  checkOutputDir,
  checkOutputFile,
  printJson,
  progress,
  warn,
  writeFileAtomic,
} from "../output.js";

interface RawOptions {
  dataset: string;
  arch: string;
  width: string;
  depth: string;
  activation: string;
  sigmaW2: string;
  sigmaB2: string;
  layernorm: string;
  residual: string;
  parametrization: string;
  optimizer: string;
  lr: string;
  steps: string;
  batchSize: string;
  weightDecay: string;
  wdMode: string;
  momentum: string;
  nesterov?: boolean;
  schedule: string;
  warmup: string;
  evalEvery: string;
  testFraction: string;
  seed: string;
  dtype: string;
  checkpoint?: string;
  checkpointEvery?: string;
  resume?: boolean;
  out?: string;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a network (GD / SGD / momentum / Adam) with per-step and train/test curves")
    .option("--dataset <name>", `one of ${trainingDatasetNames.join(", ")}`, "digits")
    .option("--arch <name>", "architecture (mlp)", "mlp")
    .option("--width <n>", "hidden width", "256")
    .option("--depth <n>", "hidden layers", "4")
    .option("--activation <name>", "activation of the hidden layers", "relu")
    .option("--sigma-w2 <v>", "weight variance σ_w² (W ~ N(0, σ_w²/fan_in))", "2")
    .option("--sigma-b2 <v>", "bias variance σ_b²", "0")
    .option("--layernorm <where>", "none | pre | post", "none")
    .option("--residual <mu>", "residual strength μ of the hidden blocks (0: none)", "0")
    .option(
      "--parametrization <p>",
      `${PARAMETRIZATION_NAMES.join(" | ")}: init, multiplier and lr factor per layer (SGD's or Adam's column, docs/parametrizations.md)`,
      "sp",
    )
    .option("--optimizer <name>", optimizerNames.join(" | "), "sgd")
    .option("--lr <x>", "peak learning rate (> 0)", "0.1")
    .option("--steps <n>", "number of updates", "2000")
    .option("--batch-size <n>", "minibatch size (0 = full batch)", "128")
    .option("--weight-decay <x>", "weight decay λ ≥ 0", "0")
    .option("--wd-mode <mode>", weightDecayModes.join(" | "), "decoupled")
    .option("--momentum <x>", "momentum μ (optimizer momentum)", "0.9")
    .option("--nesterov", "Nesterov momentum")
    .option("--schedule <name>", scheduleNames.join(" | "), "constant")
    .option("--warmup <n>", "warm-up steps (warmup, cosine)", "0")
    .option("--eval-every <n>", "evaluate train/test loss and accuracy every n steps", "100")
    .option("--test-fraction <x>", "held-out fraction (stratified split)", "0.2")
    .option("--seed <n>", "seed of the split, the initialization and the data order", "0")
    .option("--dtype <name>", "float32 (jit) or float64 (eager)", "float32")
    .option("--checkpoint <dir>", "write checkpoints to this folder")
    .option("--checkpoint-every <n>", "steps between checkpoints (default: --eval-every)")
    .option("--resume", "continue from the checkpoint in --checkpoint if there is one")
    .option("--out <file>", "plot of the curves (.svg or .png)")
    .option("--json", "print JSON with the per-step curves")
    .action((raw: RawOptions) => runTrain(raw));
}

async function runTrain(raw: RawOptions): Promise<void> {
  const dataset = oneOf("--dataset", raw.dataset, trainingDatasetNames) as TrainingDatasetName;
  const arch = oneOf("--arch", raw.arch, ["mlp"] as const);
  const width = int("--width", raw.width, 1, 65_536);
  const depth = int("--depth", raw.depth, 0, 1000);
  const phi = activation(raw.activation, "--activation");
  const sigmaW2 = num("--sigma-w2", raw.sigmaW2, { minExclusive: 0, max: 1e6 });
  const sigmaB2 = num("--sigma-b2", raw.sigmaB2, { min: 0, max: 1e6 });
  const layernorm = oneOf("--layernorm", raw.layernorm, ["none", "pre", "post"] as const);
  const residual = num("--residual", raw.residual, { min: 0, max: 1e3 });
  const parametrization = oneOf("--parametrization", raw.parametrization, PARAMETRIZATION_NAMES);
  const optimizer = oneOf("--optimizer", raw.optimizer, optimizerNames);
  const lr = num("--lr", raw.lr, { minExclusive: 0 });
  const steps = int("--steps", raw.steps, 1, 100_000_000);
  const batchSize = int("--batch-size", raw.batchSize, 0, 100_000_000);
  const weightDecay = num("--weight-decay", raw.weightDecay, { min: 0 });
  const wdMode = oneOf("--wd-mode", raw.wdMode, weightDecayModes);
  const momentum = num("--momentum", raw.momentum, { min: 0 });
  if (momentum >= 1) throw new InputError("--momentum", `must be < 1, got ${momentum}`);
  const schedule = oneOf("--schedule", raw.schedule, scheduleNames);
  const warmup = int("--warmup", raw.warmup, 0, schedule === "cosine" ? steps - 1 : steps);
  const evalEvery = int("--eval-every", raw.evalEvery, 1, 100_000_000);
  const testFraction = num("--test-fraction", raw.testFraction, { minExclusive: 0, max: 0.9 });
  const seed = int("--seed", raw.seed, 0, 2 ** 32 - 1);
  const dtype = oneOf("--dtype", raw.dtype, ["float32", "float64"] as const);
  const checkpointEvery = int(
    "--checkpoint-every",
    raw.checkpointEvery ?? evalEvery,
    1,
    100_000_000,
  );
  const json = raw.json ?? false;
  const dir = raw.checkpoint;
  if (raw.resume && dir === undefined) throw new InputError("--resume", "needs --checkpoint <dir>");
  if (dir !== undefined && !raw.resume && hasCheckpoint(dir))
    throw new InputError(
      "--checkpoint",
      `${dir} already holds a checkpoint; pass --resume to continue it, or choose another folder`,
    );
  if (dir !== undefined) checkOutputDir("--checkpoint", dir);
  const out =
    raw.out === undefined ? undefined : checkOutputFile("--out", raw.out, PLOT_EXTENSIONS);

  const data = trainingSet(dataset, { seed, testFraction });
  const optConfig = {
    name: optimizer,
    weightDecay,
    wdMode,
    momentum,
    nesterov: raw.nesterov ?? false,
  };
  const config: TrainConfig = {
    steps,
    batchSize,
    optimizer: optConfig,
    lr,
    schedule,
    warmup,
    evalEvery,
    seed,
    dtype,
  };
  const resolved = resolveTrainConfig(config, data.train.n);
  const runConfig: RunConfig = {
    dataset,
    testFraction,
    arch,
    width,
    depth,
    activation: phi.name,
    sigmaW2,
    sigmaB2,
    layernorm,
    residual,
    parametrization,
    dtype,
    seed,
    steps,
    batchSize: resolved.batchSize,
    evalEvery,
    lr,
    schedule,
    warmup,
    optimizer,
    weightDecay,
    wdMode,
    momentum,
    nesterov: optConfig.nesterov,
  };

  const jax = await loadJax();
  const model = await mlpModel({
    inputDim: data.inputDim,
    width,
    depth,
    outputDim: data.outputDim,
    activation: phi,
    sigmaW2,
    sigmaB2,
    layernorm,
    residual,
    parametrization,
    loss: data.task === "classification" ? "cross_entropy" : "mse",
    dtype,
  });
  const task = {
    objective: objective(model),
    predict: model.apply,
    lrScales: optimizerLrScales(model, optimizer),
  };
  const bar = progress(steps, "train", json);
  try {
    const init = model.init(seed);
    let state = initialState(jax, init, optConfig);
    let resumedFrom: number | null = null;
    if (dir !== undefined && raw.resume && hasCheckpoint(dir)) {
      let loaded: ReturnType<typeof loadCheckpoint>;
      try {
        loaded = loadCheckpoint(jax, dir, {
          config: runConfig,
          dtype,
          template: state.params,
          slots: slotNames(optimizer),
        });
      } catch (e) {
        if (e instanceof InputError) throw new InputError("--resume", e.message);
        throw e;
      }
      jax.tree.dispose([state.params, state.opt.slots] as never);
      state = loaded;
      resumedFrom = state.step;
    }
    const save = (s: typeof state) =>
      saveCheckpoint(jax, dir!, s, {
        config: runConfig,
        dtype,
        seed,
        batchSize: resolved.batchSize,
        nTrain: data.train.n,
      });
    const final = await train(jax, task, data, config, state, {
      afterStep: async (s) => {
        bar.tick(s.step);
        if (dir !== undefined && (s.step % checkpointEvery === 0 || s.step === steps))
          await save(s);
      },
    });
    bar.stop();
    jax.tree.dispose([final.params, final.opt.slots] as never);
    const h = final.history;
    const warnings: string[] = [];
    const diverged = h.steps.find((s) => !Number.isFinite(s.loss));
    if (diverged)
      warn(
        warnings,
        `the training loss is not finite from step ${diverged.step} on (training diverged; lower --lr): losses are null from there`,
      );
    const result = {
      ...runConfig,
      dataset_description: data.description,
      n_train: data.train.n,
      n_test: data.test.n,
      loss: data.task === "classification" ? "cross_entropy" : "mse",
      resumed_from: resumedFrom,
      curves: {
        step: h.steps.map((s) => s.step),
        lr: h.steps.map((s) => s.lr),
        loss: h.steps.map((s) => s.loss),
      },
      evals: {
        step: h.evals.map((e) => e.step),
        train_loss: h.evals.map((e) => e.trainLoss),
        test_loss: h.evals.map((e) => e.testLoss),
        train_accuracy: h.evals.map((e) => e.trainAccuracy),
        test_accuracy: h.evals.map((e) => e.testAccuracy),
      },
      warnings,
    };
    if (out !== undefined) {
      await writeFileAtomic(
        out,
        await renderPlot(
          out,
          lineSpec({
            series: [
              { name: "minibatch loss", x: result.curves.step, y: result.curves.loss },
              { name: "train loss", x: result.evals.step, y: result.evals.train_loss },
              { name: "test loss", x: result.evals.step, y: result.evals.test_loss },
            ],
            xTitle: "step",
            yTitle: "loss",
            logY: true,
            title: `${dataset}: ${arch} width ${width} depth ${depth}, ${parametrization}, ${optimizer} lr ${lr}`,
          }),
        ),
      );
    }
    if (json) return printJson(result);
    process.stdout.write(`${data.description}; ${data.train.n} train / ${data.test.n} test rows\n`);
    if (resumedFrom !== null) process.stdout.write(`resumed from step ${resumedFrom}\n`);
    process.stdout.write(" step   train loss    test loss  train acc  test acc\n");
    const pct = (a: number | null) => (a === null ? "—" : `${(100 * a).toFixed(1)}%`);
    const exp4 = (x: number) => (Number.isFinite(x) ? x.toExponential(4) : "—");
    for (const e of h.evals)
      process.stdout.write(
        `${String(e.step).padStart(5)}  ${exp4(e.trainLoss).padStart(11)}  ${exp4(e.testLoss).padStart(11)}  ${pct(e.trainAccuracy).padStart(9)}  ${pct(e.testAccuracy).padStart(8)}\n`,
      );
    if (out !== undefined) process.stdout.write(`wrote ${out}\n`);
  } finally {
    bar.stop();
    await shutdownJax();
  }
}
