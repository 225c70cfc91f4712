/**
 * `critkit coord-check`: the coordinate check of Tensor Programs V under a width parametrization
 * (sp | ntk | mup | mean-field, for the MLP and the Transformer): a network of each width (an MLP in
 * plain JS, or the jax-js Transformer, width = d_model with the heads fixed) trained for a few
 * SGD or Adam steps, the RMS of every layer's output and of its change since initialization per
 * step, and the slope of log RMS(Δh) vs log width (0 for µP: hyperparameters transfer across
 * widths).
 */
import type { Command } from "commander";
import { trainingDatasetNames, trainingSet } from "../../data/training.js";
import {
  COORD_OPTIMIZERS,
  type CoordCheckResult,
  coordCheck,
  STEP1_DELTA_EXPONENT,
} from "../../diagnostics/coord-check.js";
import { modelCoordCheck } from "../../diagnostics/model-coord-check.js";
import { InputError } from "../../errors.js";
import { shutdownJax } from "../../nets/jax.js";
import {
  type LayerKind,
  PARAMETRIZATION_NAMES,
  PARAMETRIZATIONS,
} from "../../nets/parametrizations.js";
import { transformerModel } from "../../nets/transformer.js";
import { PLOT_EXTENSIONS, renderPlot } from "../../node/plot-files.js";
import { lineSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { int, num, oneOf } from "../options.js";
import { checkOutputFile, printJson, progress, warn, writeFileAtomic } from "../output.js";

/** Multiply-adds of one run are bounded by this (a few seconds of plain JS). */
const MAX_WORK = 3e9;
/** The same for the Transformer (jax-js float32: ~1e9 a second here, about a minute) */
const MAX_TRANSFORMER_WORK = 3e10;
/**
 * The Transformer's fixed cost: seeds × widths × (steps + 1) × (blocks + 2) layer-steps, each
 * ~10 … 40 ms of dispatch whatever the width (measured), so about a minute at most
 */
const MAX_TRANSFORMER_LAYER_STEPS = 1500;

export function registerCoordCheck(program: Command): void {
  program
    .command("coord-check")
    .description(
      "coordinate check (Tensor Programs V): RMS of each layer's preactivations and of their change after a few SGD or Adam steps vs width, under sp | ntk | mup | mean-field (MLP or Transformer)",
    )
    .option(
      "--param <p>",
      `parametrization: ${PARAMETRIZATION_NAMES.join(" | ")} (mlp and transformer)`,
      "mup",
    )
    .option(
      "--arch <name>",
      "mlp (plain JS, float64) | transformer (jax-js, float32 encoder; widths = d_model)",
      "mlp",
    )
    .option("--tokens <n>", "transformer: tokens T (the input splits into T tokens)", "4")
    .option("--heads <n>", "transformer: attention heads, fixed (d_head = width/heads grows)", "2")
    .option("--ln <placement>", "transformer: pre | post", "pre")
    .option(
      "--widths <list>",
      "hidden widths (at least two, distinct), comma-separated",
      "64,128,256,512",
    )
    .option("--steps <n>", "optimizer steps (full batch)", "5")
    .option(
      "--optimizer <name>",
      "sgd | adam (β₁ 0.9, β₂ 0.999, ε 1e-8; each layer's Adam lr factor from the table)",
      "sgd",
    )
    .option("--depth <n>", "hidden layers (1: one hidden layer); transformer: blocks", "2")
    .option("--lr <v>", "base learning rate η (times each layer's lr factor)", "0.1")
    .option("--activation <name>", "activation φ", "relu")
    .option("--sigma-w2 <v>", "σ_w² multiplying every init variance (mlp)", "2")
    .option("--seed <s>", "first seed (data and weights)", "0")
    .option("--seeds <n>", "seeds pooled (mean square over seeds)", "4")
    .option(
      "--dataset <name>",
      `synthetic (x ~ N(0, I), y ~ N(0, I)) | ${trainingDatasetNames.join(" | ")} (the first --batch training rows, one-hot targets for classes)`,
      "synthetic",
    )
    .option("--batch <n>", "batch rows (full-batch GD on them)", "32")
    .option("--input-dim <d>", "input dimension d (synthetic data)", "16")
    .option("--outputs <k>", "output dimension K (synthetic data)", "4")
    .option(
      "--out <file>",
      "plot: log RMS(Δh) at the last step vs log width, per layer (.svg or .png)",
    )
    .option("--json", "print JSON")
    .action(async (o) => {
      const arch = oneOf("--arch", o.arch, ["mlp", "transformer"] as const);
      const param = oneOf("--param", o.param, PARAMETRIZATION_NAMES);
      const parts = String(o.widths).split(",");
      if (parts.length > 16)
        throw new InputError("--widths", `at most 16 widths, got ${parts.length}`);
      const widths = parts.map((p) => int("--widths", p, 1, 8192));
      if (new Set(widths).size < 2)
        throw new InputError("--widths", "needs at least two distinct widths to fit a slope");
      const steps = int("--steps", o.steps, 1, 10_000);
      const optimizer = oneOf("--optimizer", o.optimizer, COORD_OPTIMIZERS);
      const depth = int("--depth", o.depth, 1, 100);
      const lr = num("--lr", o.lr, { minExclusive: 0, max: 1e6 });
      const phi = activation(String(o.activation), "--activation");
      const sigmaW2 = num("--sigma-w2", o.sigmaW2, { minExclusive: 0, max: 1e6 });
      const seed0 = int("--seed", o.seed, 0, 2 ** 31 - 1);
      const seeds = Array.from({ length: int("--seeds", o.seeds, 1, 100) }, (_, i) => seed0 + i);
      const dataset = oneOf("--dataset", o.dataset, [
        "synthetic",
        ...trainingDatasetNames,
      ] as const);
      let batch = int("--batch", o.batch, 1, 4096);
      let inputDim = int("--input-dim", o.inputDim, 1, 4096);
      let outputDim = int("--outputs", o.outputs, 1, 4096);
      let batchOf: ((seed: number) => { x: Float64Array; y: Float64Array }) | undefined;
      if (dataset !== "synthetic") {
        // one split (seed 0) for every network seed: the seeds vary the initialization only
        const data = trainingSet(dataset, { seed: 0 });
        batch = Math.min(batch, data.train.n);
        inputDim = data.inputDim;
        outputDim = data.outputDim;
        const x = data.train.x.slice(0, batch * inputDim);
        const y = data.train.y.slice(0, batch * outputDim);
        batchOf = () => ({ x, y });
      }
      const tokens = int("--tokens", o.tokens, 1, 64);
      const heads = int("--heads", o.heads, 1, 64);
      const ln = oneOf("--ln", o.ln, ["pre", "post"] as const);
      if (arch === "transformer") {
        if (inputDim % tokens !== 0)
          throw new InputError(
            "--tokens",
            `the input's ${inputDim} features do not split into ${tokens} tokens`,
          );
        const odd = widths.find((n) => n % heads !== 0);
        if (odd !== undefined)
          throw new InputError("--heads", `width ${odd} does not split into ${heads} heads`);
        if (depth > 12)
          throw new InputError("--depth", `at most 12 transformer blocks, got ${depth}`);
        const layerSteps = seeds.length * widths.length * (steps + 1) * (depth + 2);
        if (layerSteps > MAX_TRANSFORMER_LAYER_STEPS)
          throw new InputError(
            "--steps",
            `too many Transformer layer-steps (seeds × widths × (steps + 1) × (blocks + 2) = ${layerSteps} > ${MAX_TRANSFORMER_LAYER_STEPS}): lower --steps, --seeds, --widths or --depth`,
          );
      }
      // multiply-adds (×3 for the backward pass): dense layers, and per transformer block
      // Q, K, V, O and the FFN (12 d² per token) plus the attention (2 T d per token)
      const work =
        seeds.length *
        (steps + 1) *
        batch *
        3 *
        (arch === "mlp"
          ? widths.reduce((s, n) => s + n * (inputDim + (depth - 1) * n + outputDim), 0)
          : widths.reduce(
              (s, d) =>
                s + inputDim * d + tokens * depth * (12 * d * d + 2 * tokens * d) + d * outputDim,
              0,
            ));
      const maxWork = arch === "mlp" ? MAX_WORK : MAX_TRANSFORMER_WORK;
      if (work > maxWork)
        throw new InputError(
          "--widths",
          `too much work (${work.toExponential(1)} multiply-adds > ${maxWork.toExponential(0)}): lower --widths, --depth, --steps, --batch or --seeds`,
        );
      if (o.out !== undefined) checkOutputFile("--out", o.out, PLOT_EXTENSIONS);
      const bar = progress(widths.length * seeds.length, "runs", Boolean(o.json));
      let r: CoordCheckResult;
      try {
        r =
          arch === "transformer"
            ? await modelCoordCheck(
                {
                  widths,
                  build: (width) =>
                    transformerModel({
                      tokens,
                      tokenDim: inputDim / tokens,
                      width,
                      heads,
                      layers: depth,
                      classes: outputDim,
                      ln,
                      activation: phi,
                      loss: "mse",
                      parametrization: param,
                    }),
                  steps,
                  lr,
                  optimizer,
                  seeds,
                  batch,
                  batchOf,
                  kinds: ["input", ...Array<LayerKind>(depth).fill("hidden"), "output"],
                },
                () => bar.tick(1),
              )
            : coordCheck(
                {
                  widths,
                  depth,
                  steps,
                  lr,
                  optimizer,
                  seeds,
                  activation: phi,
                  sigmaW2,
                  param: PARAMETRIZATIONS[param],
                  inputDim,
                  outputDim,
                  batch,
                  batchOf,
                },
                () => bar.tick(1),
              );
      } finally {
        bar.stop();
        if (arch === "transformer") await shutdownJax();
      }
      const warnings: string[] = [];
      const lost = widths.filter(
        (_, w) =>
          r.loss[w]!.some((v) => !Number.isFinite(v)) ||
          r.layers.some((l) => [...l.rms[w]!, ...l.deltaRms[w]!].some((v) => !Number.isFinite(v))),
      );
      if (lost.length > 0)
        warn(
          warnings,
          `training diverged (${arch === "mlp" ? "float64" : "float32"} overflow) at width ${lost.join(", ")}: its sizes and the slopes are null (lower --lr)`,
        );
      else {
        const still = widths.filter((_, w) =>
          r.layers.some(
            (l) => l.rms[w]!.some((v) => v === 0) || l.deltaRms[w]!.slice(1).some((v) => v === 0),
          ),
        );
        if (still.length > 0)
          warn(
            warnings,
            `some layer's h or Δh is exactly 0 at width ${still.join(", ")} (dead units or a zero gradient): slopes through a 0 are null`,
          );
      }
      // the step-1 exponents are derived for the MLP with SGD only
      const theory = (kind: LayerKind) =>
        arch === "mlp" && optimizer === "sgd" ? STEP1_DELTA_EXPONENT[param][kind] : null;
      const result = {
        param,
        arch,
        ...(arch === "transformer" ? { tokens, heads, ln } : {}),
        widths,
        depth,
        steps,
        optimizer,
        lr,
        activation: phi.name,
        sigma_w2: sigmaW2,
        seeds,
        dataset,
        batch,
        input_dim: inputDim,
        outputs: outputDim,
        loss: r.loss,
        layers: r.layers.map((l) => ({
          layer: l.layer,
          kind: l.kind,
          rms: l.rms,
          delta_rms: l.deltaRms,
          slope: l.slope,
          delta_slope: l.deltaSlope,
          delta_slopes: l.deltaSlopes.slice(1),
          delta_exponent_step1_theory: theory(l.kind),
        })),
        warnings,
      };
      if (o.out) {
        const series = r.layers.map((l) => ({
          name: `layer ${l.layer} (${l.kind})`,
          x: widths.map(Math.log),
          y: l.deltaRms.map((d) => Math.log(d[steps]!)),
        }));
        const spec = lineSpec({
          series,
          xTitle: "log width n",
          yTitle: `log RMS(h_t − h_0), t = ${steps}`,
          title: `coordinate check: ${param}, ${phi.name}, depth ${depth}, ${optimizer} η = ${lr}`,
        });
        await writeFileAtomic(String(o.out), await renderPlot(String(o.out), spec));
      }
      if (o.json) return printJson(result);
      const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : "—");
      const slope = (v: number) =>
        Number.isFinite(v) ? v.toFixed(2).replace(/^-(0\.00)$/, "$1") : "—";
      process.stdout.write(
        `${param}: ${arch === "mlp" ? `${phi.name} MLP, depth ${depth}` : `${ln}-LN Transformer (${phi.name} FFN), ${depth} block${depth === 1 ? "" : "s"}, ${tokens} tokens, ${heads} heads`}, ${dataset === "synthetic" ? "synthetic" : dataset} batch of ${batch}, ${optimizer} η = ${lr}, ${steps} step${steps === 1 ? "" : "s"}, ${seeds.length} seed${seeds.length === 1 ? "" : "s"}\n`,
      );
      process.stdout.write(
        `RMS(h_t − h_0) at t = ${steps} per width n; slopes of log RMS vs log n (theory: n → ∞ exponent at step 1)\nlayer kind   ${widths.map((n) => `n=${n}`.padStart(11)).join("")}  Δ@1 (theory)${`Δ@${steps}`.padStart(7)}${`h@${steps}`.padStart(7)}\n`,
      );
      for (const l of r.layers)
        process.stdout.write(
          `${String(l.layer).padStart(5)} ${l.kind.padEnd(7)}${l.deltaRms.map((d) => f(d[steps]!).padStart(11)).join("")}  ${`${slope(l.deltaSlopes[1]!)} (${theory(l.kind) ?? "—"})`.padStart(12)}${slope(l.deltaSlope).padStart(7)}${slope(l.slope).padStart(7)}\n`,
        );
      process.stdout.write(
        `loss at step ${steps}: ${r.loss.map((v, w) => `n=${widths[w]} ${f(v[steps]!)}`).join(", ")}\n`,
      );
      if (o.out) process.stdout.write(`wrote ${o.out}\n`);
    });
}
