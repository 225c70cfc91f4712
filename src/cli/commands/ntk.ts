/**
 * `critkit ntk`: the infinite-width NNGP/NTK of an MLP on the first samples of a dataset, the
 * empirical NTK of one random NTK-parametrized network of finite width on the same inputs, and
 * their relative Frobenius distance; `--out` draws the empirical NTK next to the infinite one.
 */
import type { Command } from "commander";
import { datasetNames, loadDataset } from "../../data/datasets.js";
import { empiricalNtk } from "../../diagnostics/ntk.js";
import { loadJax, shutdownJax } from "../../nets/jax.js";
import { mlpModel } from "../../nets/model.js";
import { PLOT_EXTENSIONS, writePlot } from "../../node/plot-files.js";
import { heatmapSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { kernelGrams } from "../../theory/kernel-gram.js";
import { int, num, oneOf } from "../options.js";
import { checkOutputFile, printJson } from "../output.js";

export function registerNtk(program: Command): void {
  program
    .command("ntk")
    .description(
      "infinite-width NNGP/NTK vs the empirical NTK of a finite MLP (NTK parametrization)",
    )
    .option("--dataset <name>", `one of ${datasetNames.join(", ")}`, "iris")
    .option("--samples <n>", "first samples of the dataset", "20")
    .option("--width <n>", "hidden width of the finite network", "256")
    .option("--depth <n>", "hidden layers", "2")
    .option("--activation <name>", "activation", "relu")
    .option("--sigma-w2 <v>", "σ_w²", "2")
    .option("--sigma-b2 <v>", "σ_b²", "0.1")
    .option("--seed <n>", "seed of the finite network", "0")
    .option(
      "--seeds <n>",
      "networks drawn (seeds seed, seed+1, …): ≥ 2 also measures the seed-to-seed fluctuation of Θ",
      "1",
    )
    .option("--json", "print JSON")
    .option("--out <file>", "heatmap of the empirical and infinite NTK (.svg or .png)")
    .action(async (o) => {
      const name = oneOf("dataset", o.dataset, datasetNames);
      const n = int("samples", o.samples, 2, 200);
      const width = int("width", o.width, 1, 4096);
      const depth = int("depth", o.depth, 1, 20);
      const phi = activation(String(o.activation), "activation");
      const sigmaW2 = num("sigma-w2", o.sigmaW2, { minExclusive: 0 });
      const sigmaB2 = num("sigma-b2", o.sigmaB2, { min: 0 });
      const seed = int("seed", o.seed, 0, 2 ** 31 - 1);
      const seeds = int("--seeds", o.seeds, 1, 1000);
      if (o.out !== undefined) checkOutputFile("--out", o.out, PLOT_EXTENSIONS);
      const data = loadDataset(name, seed);
      const d = data.X.cols;
      const rows = Array.from({ length: Math.min(n, data.X.rows) }, (_, i) =>
        Array.from(data.X.data.slice(i * d, i * d + d)),
      );
      const model = await mlpModel({
        inputDim: d,
        width,
        depth,
        outputDim: 1,
        activation: phi,
        sigmaW2,
        sigmaB2,
        loss: "mse",
        parametrization: "ntk",
      });
      const inf = kernelGrams(model.architecture.blocks, rows);
      const jax = await loadJax();
      const draws: Float64Array[] = [];
      try {
        const x = jax.numpy.array(Float32Array.from(rows.flat()), { shape: [rows.length, d] });
        for (let s = 0; s < seeds; s++) {
          const params = model.init(seed + s);
          draws.push((await empiricalNtk(model, params, x)).traced);
          jax.tree.dispose(params as never);
        }
        x.dispose();
      } finally {
        await shutdownJax();
      }
      const emp = { traced: draws[0]! };
      const relErr = (t: Float64Array) => frobenius(t, inf.ntk) / frobenius(inf.ntk);
      const mean = draws[0]!.map((_, i) => draws.reduce((a, t) => a + t[i]!, 0) / seeds);
      const m = rows.length;
      const matrix = (a: Float64Array) =>
        Array.from({ length: m }, (_, i) => Array.from(a.slice(i * m, i * m + m)));
      const result = {
        dataset: name,
        samples: m,
        width,
        depth,
        activation: phi.name,
        sigma_w2: sigmaW2,
        sigma_b2: sigmaB2,
        seed,
        parametrization: "ntk",
        relative_error: relErr(draws[0]!),
        seeds,
        /**
         * ≥ 2 seeds: the mean over seeds of ‖Θ_s − Θ_∞‖/‖Θ_∞‖, and the fluctuation
         * √(mean_s ‖Θ_s − Θ̄‖²_F · S/(S−1)) / ‖Θ̄‖_F, beside depth/width
         */
        over_seeds:
          seeds < 2
            ? null
            : {
                mean_relative_error: draws.reduce((a, t) => a + relErr(t), 0) / seeds,
                fluctuation:
                  Math.sqrt(draws.reduce((a, t) => a + frobenius(t, mean) ** 2, 0) / (seeds - 1)) /
                  frobenius(mean),
                depth_over_width: depth / width,
              },
        ntk_infinite: matrix(inf.ntk),
        nngp_infinite: matrix(inf.nngp),
        ntk_empirical: matrix(emp.traced),
      };
      if (o.out) {
        const idx = Array.from({ length: m }, (_, i) => i);
        const z = [...matrix(emp.traced), ...matrix(inf.ntk)];
        await writePlot(
          String(o.out),
          heatmapSpec({
            x: idx,
            y: Array.from({ length: 2 * m }, (_, i) => i),
            z,
            xTitle: "sample",
            yTitle: `rows 0…n−1: empirical (width ${width}), n…2n−1: infinite width`,
            zTitle: "Θ",
            title: `NTK on ${name}: relative error ${result.relative_error.toPrecision(3)}`,
          }),
        );
      }
      if (o.json) return printJson(result);
      process.stdout.write(
        `${name}, ${m} samples, ${phi.name} MLP depth ${depth}: ‖Θ_emp(width ${width}) − Θ_∞‖_F / ‖Θ_∞‖_F = ${result.relative_error.toPrecision(4)}\n`,
      );
      if (result.over_seeds)
        process.stdout.write(
          `${seeds} seeds: mean relative error ${result.over_seeds.mean_relative_error.toPrecision(4)}, seed-to-seed fluctuation ‖Θ_s − Θ̄‖/‖Θ̄‖ = ${result.over_seeds.fluctuation.toPrecision(4)} at depth/width = ${result.over_seeds.depth_over_width.toPrecision(3)}\n`,
        );
    });
}

/** ‖a − b‖_F (‖a‖_F without b) of two matrices stored flat. */
function frobenius(a: Float64Array, b?: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - (b ? b[i]! : 0)) ** 2;
  return Math.sqrt(s);
}
