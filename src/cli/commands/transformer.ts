/**
 * `critkit transformer-grads` and `critkit transformer-warmup`: Pre-LN vs Post-LN Transformer
 * encoders (src/nets/transformer.ts) on the digits images read as 8 tokens of 8 pixels.
 *
 * transformer-grads: at initialization, the Frobenius norm of the loss gradient of each block's
 * FFN output weight W^{2,l} (cross-entropy on a batch of training rows), mean ± standard error
 * over seeds, for each number of layers L. Xiong et al. 2020 (Thm. 1) bound the last layer's
 * gradient by O(d √(ln d)) for Post-LN and O(d √(ln d / L)) for Pre-LN: what is compared here is
 * the L-dependence, g_L(L) / g_L(L₀) with L₀ the smallest L given, predicted 1 (Post-LN) and
 * √(L₀/L) (Pre-LN).
 *
 * transformer-warmup: Adam on digits for each (LN placement, learning rate, warm-up steps), with
 * a linear warm-up (src/train/schedules.ts), through the training engine (src/train/loop.ts).
 */
import type { Command } from "commander";
import { trainingSet } from "../../data/training.js";
import { InputError } from "../../errors.js";
import { loadJax, readF64, shutdownJax } from "../../nets/jax.js";
import { ffnOutputWeight, type JaxParams, type LnPlacement } from "../../nets/layers/index.js";
import { objective, valueAndGrad } from "../../nets/model.js";
import { transformerModel } from "../../nets/transformer.js";
import { PLOT_EXTENSIONS, writePlot } from "../../node/plot-files.js";
import { lineSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { initialState, train } from "../../train/loop.js";
import { int, num, oneOf } from "../options.js";
import { checkOutputFile, printJson, progress } from "../output.js";

const TOKENS = 8;
const TOKEN_DIM = 8;

interface ModelOptions {
  width: string;
  heads: string;
}

function modelOptions(raw: ModelOptions) {
  const width = int("--width", raw.width, 1, 1024);
  const heads = int("--heads", raw.heads, 1, width);
  if (width % heads !== 0)
    throw new InputError("--heads", `${heads} heads do not divide width ${width}`);
  return { width, heads };
}

/** A comma list of values parsed by `parse` (each named by `option` in errors). */
function list<T>(option: string, raw: string, parse: (s: string) => T): T[] {
  const parts = String(raw).split(",");
  if (parts.some((p) => p.trim() === ""))
    throw new InputError(option, `expected a comma-separated list, got '${raw}'`);
  return parts.map(parse);
}

const checkOut = (out: string | undefined) =>
  out === undefined ? undefined : checkOutputFile("--out", out, PLOT_EXTENSIONS);

const meanSe = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) : 0;
  return { mean: m, se: Math.sqrt(v / xs.length) };
};

interface GradsOptions extends ModelOptions {
  ln: string;
  layers: string;
  seeds: string;
  batch: string;
  out?: string;
  json?: boolean;
}

interface WarmupOptions extends ModelOptions {
  ln: string;
  layers: string;
  lr: string;
  warmup: string;
  steps: string;
  batchSize: string;
  seed: string;
  out?: string;
  json?: boolean;
}

export function registerTransformer(program: Command): void {
  program
    .command("transformer-grads")
    .description("per-layer gradient norms at initialization of a Pre-LN or Post-LN Transformer")
    .option("--ln <where>", "pre | post", "pre")
    .option("--layers <list>", "numbers of encoder blocks, e.g. 3,6,12", "6")
    .option("--width <n>", "model width d", "64")
    .option("--heads <n>", "attention heads", "4")
    .option("--seeds <n>", "initializations averaged", "5")
    .option("--batch <n>", "training rows in the loss", "128")
    .option("--out <file>", "plot (.svg or .png)")
    .option("--json", "print JSON")
    .action((raw: GradsOptions) => runGrads(raw));
  program
    .command("transformer-warmup")
    .description("Adam training of Pre-/Post-LN Transformers on digits with and without warm-up")
    .option("--ln <list>", "pre,post", "pre,post")
    .option("--layers <n>", "encoder blocks", "6")
    .option("--width <n>", "model width d", "32")
    .option("--heads <n>", "attention heads", "4")
    .option("--lr <list>", "peak learning rates", "1e-3,3e-3")
    .option("--warmup <list>", "warm-up steps", "0,200")
    .option("--steps <n>", "updates per run", "400")
    .option("--batch-size <n>", "minibatch size", "64")
    .option("--seed <n>", "seed of split, initialization and data order", "0")
    .option("--out <file>", "plot of the loss curves (.svg or .png)")
    .option("--json", "print JSON")
    .action((raw: WarmupOptions) => runWarmup(raw));
}

async function runGrads(raw: GradsOptions): Promise<void> {
  const ln = oneOf("--ln", raw.ln, ["pre", "post"] as const);
  const depths = list("--layers", raw.layers, (s) => int("--layers", s, 1, 64));
  const { width, heads } = modelOptions(raw);
  const seeds = int("--seeds", raw.seeds, 1, 1000);
  const batch = int("--batch", raw.batch, 1, 1437);
  checkOut(raw.out);
  const json = raw.json ?? false;
  const jax = await loadJax();
  const data = trainingSet("digits", { seed: 0 });
  const f32 = (v: Float64Array, cols: number) =>
    jax.numpy.array(Float32Array.from(v.subarray(0, batch * cols)), { shape: [batch, cols] });
  const bar = progress(depths.length * seeds, "gradients", json);
  try {
    const results = [];
    for (const L of depths) {
      const model = await transformerModel({
        tokens: TOKENS,
        tokenDim: TOKEN_DIM,
        width,
        heads,
        layers: L,
        classes: 10,
        ln,
        activation: activation("relu"),
      });
      const step = valueAndGrad(model);
      const x = f32(data.train.x, data.inputDim);
      const y = f32(data.train.y, data.outputDim);
      const perSeed: number[][] = [];
      for (let s = 0; s < seeds; s++) {
        const params = model.init(s);
        const [loss, grads] = step(params, x, y);
        loss.dispose();
        const gs = grads as JaxParams[];
        const norms: number[] = [];
        for (let l = 1; l <= L; l++) {
          const g = ffnOutputWeight(ln, gs[l]!);
          norms.push(Math.sqrt((await readF64(jax.numpy.sum(jax.numpy.square(g.ref))))[0]!));
        }
        jax.tree.dispose([params, grads] as never);
        perSeed.push(norms);
        bar.tick(results.length * seeds + s + 1);
      }
      x.dispose();
      y.dispose();
      const layers = Array.from({ length: L }, (_, l) => meanSe(perSeed.map((n) => n[l]!)));
      results.push({ layers: L, grad_norm: layers });
    }
    bar.stop();
    const L0 = results[0]!.layers;
    const g0 = results[0]!.grad_norm[L0 - 1]!.mean;
    const rows = results.map((r) => {
      const last = r.grad_norm[r.layers - 1]!;
      return {
        layers: r.layers,
        last_mean: last.mean,
        last_se: last.se,
        ratio_measured: last.mean / g0,
        ratio_theory: ln === "post" ? 1 : Math.sqrt(L0 / r.layers),
        first_over_last: r.grad_norm[0]!.mean / last.mean,
      };
    });
    if (raw.out !== undefined) {
      await writePlot(
        raw.out,
        lineSpec({
          series: results.map((r) => ({
            name: `L = ${r.layers}`,
            x: r.grad_norm.map((_, l) => l + 1),
            y: r.grad_norm.map((g) => g.mean),
            yErr: r.grad_norm.map((g) => g.se),
          })),
          xTitle: "layer l",
          yTitle: "‖∂loss/∂W²ˡ‖_F at init",
          logY: true,
          title: `${ln}-LN Transformer, d = ${width}, ${heads} heads, digits (8 tokens × 8 px)`,
        }),
      );
    }
    const theory =
      ln === "post"
        ? "Xiong et al. Thm 1: Post-LN last-layer gradient O(d √(ln d)), independent of L: ratio 1"
        : "Xiong et al. Thm 1: Pre-LN last-layer gradient O(d √(ln d / L)): ratio √(L₀/L)";
    if (json)
      return printJson({ ln, width, heads, seeds, batch, theory, results, last_layer: rows });
    process.stdout.write(
      `${ln}-LN Transformer, d = ${width}, ${heads} heads, ${seeds} seeds, ${batch} digits rows\n`,
    );
    process.stdout.write("‖∂loss/∂W²ˡ‖_F (FFN output weight) per layer, mean ± s.e.:\n");
    for (const r of results)
      process.stdout.write(
        `  L = ${String(r.layers).padStart(3)}: ${r.grad_norm.map((g) => `${g.mean.toExponential(2)}±${g.se.toExponential(1)}`).join("  ")}\n`,
      );
    process.stdout.write(`${theory}\n    L   g_L(L)      g_L(L)/g_L(L₀)  theory  g_1/g_L\n`);
    for (const r of rows)
      process.stdout.write(
        `  ${String(r.layers).padStart(3)}   ${r.last_mean.toExponential(3)}   ${r.ratio_measured.toFixed(3).padStart(8)}   ${r.ratio_theory.toFixed(3)}   ${r.first_over_last.toFixed(3)}\n`,
      );
    if (raw.out !== undefined) process.stdout.write(`wrote ${raw.out}\n`);
  } finally {
    bar.stop();
    await shutdownJax();
  }
}

async function runWarmup(raw: WarmupOptions): Promise<void> {
  const lns = list("--ln", raw.ln, (s) => oneOf("--ln", s.trim(), ["pre", "post"] as const));
  const layers = int("--layers", raw.layers, 1, 64);
  const { width, heads } = modelOptions(raw);
  const lrs = list("--lr", raw.lr, (s) => num("--lr", s, { minExclusive: 0, max: 10 }));
  const steps = int("--steps", raw.steps, 1, 1_000_000);
  const warmups = list("--warmup", raw.warmup, (s) => int("--warmup", s, 0, steps));
  const batchSize = int("--batch-size", raw.batchSize, 1, 1437);
  const seed = int("--seed", raw.seed, 0, 2 ** 32 - 1);
  checkOut(raw.out);
  const json = raw.json ?? false;
  const jax = await loadJax();
  const data = trainingSet("digits", { seed });
  const runs: Array<{
    ln: LnPlacement;
    lr: number;
    warmup: number;
    loss: number[];
    final_train_loss: number;
    final_test_accuracy: number | null;
  }> = [];
  const total = lns.length * lrs.length * warmups.length * steps;
  const bar = progress(total, "train", json);
  try {
    for (const ln of lns) {
      const model = await transformerModel({
        tokens: TOKENS,
        tokenDim: TOKEN_DIM,
        width,
        heads,
        layers,
        classes: 10,
        ln,
        activation: activation("relu"),
      });
      const task = { objective: objective(model), predict: model.apply };
      for (const lr of lrs)
        for (const warmup of warmups) {
          const state = initialState(jax, model.init(seed), { name: "adam" });
          const done = runs.length * steps;
          const final = await train(
            jax,
            task,
            data,
            {
              steps,
              batchSize,
              optimizer: { name: "adam" },
              lr,
              schedule: "warmup",
              warmup,
              evalEvery: steps,
              seed,
              dtype: "float32",
            },
            state,
            { afterStep: (s) => bar.tick(done + s.step) },
          );
          jax.tree.dispose([final.params, final.opt.slots] as never);
          const last = final.history.evals[final.history.evals.length - 1]!;
          runs.push({
            ln,
            lr,
            warmup,
            loss: final.history.steps.map((s) => s.loss),
            final_train_loss: last.trainLoss,
            final_test_accuracy: last.testAccuracy,
          });
        }
    }
    bar.stop();
    if (raw.out !== undefined) {
      await writePlot(
        raw.out,
        lineSpec({
          series: runs.map((r) => ({
            name: `${r.ln}-LN lr ${r.lr} warm-up ${r.warmup}`,
            x: r.loss.map((_, t) => t),
            y: r.loss,
          })),
          xTitle: "step",
          yTitle: "minibatch loss",
          logY: true,
          title: `digits, ${layers}-layer Transformer d = ${width}, Adam`,
        }),
      );
    }
    if (json) return printJson({ layers, width, heads, steps, batchSize, seed, runs });
    process.stdout.write(
      `digits as 8 tokens × 8 px, ${layers} blocks, d = ${width}, Adam, ${steps} steps\n  LN     lr       warm-up  final train loss  test acc\n`,
    );
    for (const r of runs)
      process.stdout.write(
        `  ${r.ln.padEnd(5)}  ${String(r.lr).padEnd(7)}  ${String(r.warmup).padStart(7)}  ${r.final_train_loss.toExponential(3).padStart(16)}  ${r.final_test_accuracy === null ? "—" : `${(100 * r.final_test_accuracy).toFixed(1)}%`}\n`,
      );
    if (raw.out !== undefined) process.stdout.write(`wrote ${raw.out}\n`);
  } finally {
    bar.stop();
    await shutdownJax();
  }
}
