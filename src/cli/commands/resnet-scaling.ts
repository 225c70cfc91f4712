import type { Command } from "commander";
import {
  measureResnet,
  type ResnetConfig,
  type ResnetMeasurement,
  type ResnetTheory,
  resnetTheory,
  WEIGHT_PATHS,
} from "../../diagnostics/resnet-scaling.js";
import { InputError } from "../../errors.js";
import { shutdownJax } from "../../nets/jax.js";
import { PLOT_EXTENSIONS, writePlot } from "../../node/plot-files.js";
import { lineSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { int, num, oneOf } from "../options.js";
import { checkOutputFile, printJson, progress, warn } from "../output.js";

const QUANTITIES = ["variance", "apjn", "grad"] as const;

/** A comma-separated list of numbers, each checked by `parse`. */
function list<T>(flag: string, raw: unknown, parse: (s: string) => T): T[] {
  const parts = String(raw).split(",");
  if (parts.some((p) => p.trim() === "")) throw new InputError(flag, `empty entry in '${raw}'`);
  return parts.map(parse);
}

/** One (β, L) row of the JSON output. */
function scalingRow(
  beta: number,
  cfg: ResnetConfig,
  m: ResnetMeasurement,
  th: ResnetTheory | null,
) {
  const L = cfg.depth;
  const g = m.gradNorm2;
  return {
    beta,
    depth: L,
    alpha: cfg.alpha,
    depth_over_width: L / cfg.width,
    log_variance: m.logVar,
    variance_rel_stderr: m.varRelStderr,
    log_variance_theory: th ? Math.log(th.q[L]!) : null,
    log_apjn: m.logApjn,
    apjn_rel_stderr: m.apjnRelStderr,
    log_apjn_theory: th ? th.logJ[L]! : null,
    apjn_rel_var: m.apjnRelVar,
    grad_norm2: g,
    grad_norm2_theory: th ? th.gradNorm2 : null,
    log_grad_first: g ? Math.log(g[0]!) : null,
    log_grad_last: g ? Math.log(g[L - 1]!) : null,
  };
}
type ScalingRow = ReturnType<typeof scalingRow>;

export function registerResnetScaling(program: Command): void {
  program
    .command("resnet-scaling")
    .description(
      "ResNet h' = h + L^-β (W φ(h) + b): output variance, APJN input → output and per-layer gradient norms vs depth L, finite networks beside the variance/APJN recursion",
    )
    .option("--beta <list>", "branch exponents β (α_L = L^-β), comma-separated", "0.25,0.5,1")
    .option("--depths <list>", "depths L, comma-separated", "8,32,128")
    .option("--weights <kind>", `weights across layers: ${WEIGHT_PATHS.join(" | ")}`, "iid")
    .option("--width <n>", "width N", "64")
    .option("--activation <name>", "activation φ", "relu")
    .option("--sigma-w2 <v>", "weight variance σ_w² > 0", "2")
    .option("--sigma-b2 <v>", "bias variance σ_b² ≥ 0", "0")
    .option("--seed <s>", "first network seed", "0")
    .option("--seeds <n>", "networks per (β, L)", "4")
    .option("--inputs <n>", "inputs per network (mean square q0 each)", "4")
    .option("--probes <n>", "Hutchinson probes per input", "8")
    .option("--q0 <v>", "input variance q0", "1")
    .option(
      "--no-grads",
      "skip the per-layer gradient norms (they jit the whole network; never measured for L > 256)",
    )
    .option("--plot <quantity>", `quantity plotted: ${QUANTITIES.join(" | ")}`, "variance")
    .option("--out <file>", "plot: log quantity vs log L, one line per β (.svg or .png)")
    .option("--json", "print JSON")
    .action(async (o) => {
      const betas = list("--beta", o.beta, (s) => num("--beta", s, { min: 0, max: 4 }));
      const depths = list("--depths", o.depths, (s) => int("--depths", s, 1, 2000));
      const weights = oneOf("--weights", o.weights, WEIGHT_PATHS);
      const width = int("--width", o.width, 1, 4096);
      const phi = activation(String(o.activation), "--activation");
      const sigmaW2 = num("--sigma-w2", o.sigmaW2, { minExclusive: 0 });
      const sigmaB2 = num("--sigma-b2", o.sigmaB2, { min: 0 });
      const seed0 = int("--seed", o.seed, 0, 2 ** 31 - 1);
      const seeds = Array.from({ length: int("--seeds", o.seeds, 1, 1000) }, (_, i) => seed0 + i);
      const inputs = int("--inputs", o.inputs, 1, 4096);
      const probes = int("--probes", o.probes, 1, 4096);
      const q0 = num("--q0", o.q0, { minExclusive: 0 });
      const plotted = oneOf("--plot", o.plot, QUANTITIES);
      if (o.out !== undefined) checkOutputFile("--out", o.out, PLOT_EXTENSIONS);
      const grads = o.grads !== false;
      const bar = progress(betas.length * depths.length, "(β, L)", Boolean(o.json));
      try {
        const rows: ScalingRow[] = [];
        for (const beta of betas) {
          for (const depth of depths) {
            const cfg: ResnetConfig = {
              width,
              depth,
              alpha: depth ** -beta,
              activation: phi,
              sigmaW2,
              sigmaB2,
              weights,
            };
            const m = await measureResnet(cfg, { seeds, inputs, probes, q0, grads });
            const th = weights === "iid" ? resnetTheory(cfg, q0) : null;
            rows.push(scalingRow(beta, cfg, m, th));
            bar.tick(rows.length);
          }
        }
        bar.stop();
        const warnings: string[] = [];
        const lost = rows.filter((r) =>
          [r.log_variance, r.log_apjn, r.apjn_rel_var, r.log_grad_first, r.log_grad_last].some(
            (v) => v !== null && !Number.isFinite(v),
          ),
        );
        if (lost.length > 0)
          warn(
            warnings,
            `the float32 network over- or underflows at ${lost.map((r) => `β = ${r.beta}, L = ${r.depth}`).join("; ")}: its measured values are null there (lower --q0 or --sigma-w2)`,
          );
        const result = {
          width,
          activation: phi.name,
          sigma_w2: sigmaW2,
          sigma_b2: sigmaB2,
          weights,
          q0,
          seeds,
          inputs,
          probes,
          rows,
          warnings,
        };
        if (o.out) {
          const pick = (r: ScalingRow) =>
            plotted === "variance"
              ? r.log_variance
              : plotted === "apjn"
                ? r.log_apjn
                : (r.log_grad_first ?? Number.NaN);
          const series = betas.map((beta) => {
            const rs = rows.filter((r) => r.beta === beta);
            return { name: `β = ${beta}`, x: rs.map((r) => Math.log(r.depth)), y: rs.map(pick) };
          });
          if (weights === "iid" && plotted !== "grad")
            for (const beta of betas) {
              const rs = rows.filter((r) => r.beta === beta);
              series.push({
                name: `β = ${beta} (theory)`,
                x: rs.map((r) => Math.log(r.depth)),
                y: rs.map((r) =>
                  plotted === "variance" ? r.log_variance_theory! : r.log_apjn_theory!,
                ),
              });
            }
          const label = { variance: "log Var h^L", apjn: "log J^{0,L}", grad: "log ‖∂ℓ/∂W_0‖²" };
          await writePlot(
            String(o.out),
            lineSpec({
              series,
              xTitle: "log L",
              yTitle: label[plotted],
              title: `ResNet h + L^-β (W φ(h) + b): ${phi.name}, N = ${width}, ${weights} weights`,
            }),
          );
        }
        if (o.json) return printJson(result);
        process.stdout.write(
          "    β      L   log Var (theory)    log J (theory)   rel.var J   log|g_0|²  log|g_L|²\n",
        );
        const f = (v: number | null, d = 3) =>
          v === null || !Number.isFinite(v) ? "—" : v.toFixed(d);
        for (const r of rows)
          process.stdout.write(
            `${String(r.beta).padStart(5)} ${String(r.depth).padStart(6)}  ${`${f(r.log_variance)} (${f(r.log_variance_theory)})`.padStart(17)}  ${`${f(r.log_apjn)} (${f(r.log_apjn_theory)})`.padStart(16)}  ${f(r.apjn_rel_var, 4).padStart(10)}  ${f(r.log_grad_first).padStart(9)}  ${f(r.log_grad_last).padStart(9)}\n`,
          );
        if (o.out) process.stdout.write(`wrote ${o.out}\n`);
      } finally {
        bar.stop();
        await shutdownJax();
      }
    });
}
