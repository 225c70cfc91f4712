import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { chiGrid } from "../../diagnostics/chi-grid.js";
import { mlpBlock } from "../../nets/stax.js";
import { MeasurePool } from "../../node/parallel.js";
import { PLOT_EXTENSIONS, writePlot } from "../../node/plot-files.js";
import { heatmapSpec } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { criticalLine } from "../../theory/critical.js";
import { linspace } from "../../theory/phase.js";
import { fields, int, num, range } from "../options.js";
import { checkOutputFile, printJson, progress } from "../output.js";

export function registerChiGrid(program: Command): void {
  program
    .command("chi-grid")
    .description(
      "empirical χ_J of finite MLPs on a (σ_w², σ_b²) grid beside the theory (the partial-Jacobian paper's Fig. 1)",
    )
    .option("--activation <name>", "activation", "erf")
    .option("--residual <mu>", "residual strength μ (0: none)", "0")
    .option("--width <n>", "MLP width", "500")
    .option("--depth <L>", "number of blocks", "48")
    .option("--sw2 <min,max>", "σ_w² range", "0,4")
    .option("--sb2 <min,max>", "σ_b² range", "0,2")
    .option("--grid <nw,nb>", "grid points along σ_w² and σ_b²", "9,11")
    .option("--networks <n>", "independent networks per grid point", "2")
    .option("--inputs <n>", "inputs per network, x ~ N(0, q0 I)", "1")
    .option("--probes <n>", "Hutchinson probes per input", "8")
    .option("--from <l1>", "first layer of the χ_J window [l1, L) (default L/2)")
    .option("--seed <s>", "first network seed (point i uses seed + i·networks + k)", "0")
    .option("--q0 <v>", "input variance q^0", "1")
    .option("--threads <n>", "worker threads (0: this thread)", String(availableParallelism()))
    .option(
      "--out <file>",
      "heatmap of the empirical log χ_J with the theory's critical line (.svg or .png)",
    )
    .option("--json", "print JSON")
    .action(async (o) => {
      const phi = activation(String(o.activation), "--activation");
      const mu = num("--residual", o.residual, { min: 0 });
      const width = int("--width", o.width, 1, 1 << 16);
      const depth = int("--depth", o.depth, 2, 100_000);
      const [w0, w1] = range("--sw2", o.sw2, { min: 0 });
      const [b0, b1] = range("--sb2", o.sb2, { min: 0 });
      const [gw, gb] = fields("--grid", o.grid, ["nw", "nb"]);
      const sigmaW2 = Array.from(linspace(w0, w1, int("--grid", gw, 2, 1000)));
      const sigmaB2 = Array.from(linspace(b0, b1, int("--grid", gb, 2, 1000)));
      const from = o.from === undefined ? undefined : int("--from", o.from, 0, depth - 1);
      const out =
        o.out === undefined ? undefined : checkOutputFile("--out", o.out, PLOT_EXTENSIONS);
      const opts = {
        activation: phi.name,
        mu,
        width,
        depth,
        sigmaW2,
        sigmaB2,
        networks: int("--networks", o.networks, 1, 1000),
        inputs: int("--inputs", o.inputs, 1, 4096),
        probes: int("--probes", o.probes, 1, 4096),
        from,
        seed: int("--seed", o.seed, 0, 2 ** 31),
        q0: num("--q0", o.q0, { minExclusive: 0 }),
      };
      const threads = int("--threads", o.threads, 0, 256);
      const bar = progress(sigmaW2.length * sigmaB2.length, "grid points", Boolean(o.json));
      const t0 = performance.now();
      const pool = new MeasurePool(threads);
      let r: Awaited<ReturnType<typeof chiGrid>>;
      try {
        r = await chiGrid({ ...opts, onProgress: (d) => bar.tick(d) }, pool);
      } finally {
        bar.stop();
        await pool.close();
      }
      const seconds = (performance.now() - t0) / 1000;
      const line = criticalLine(
        (sw2, sb2) => mlpBlock({ activation: phi, sigmaW2: sw2, sigmaB2: sb2, mu }),
        linspace(b0, b1, 41),
        opts.q0,
        [w0, w1],
      );
      const diffs = r.points.map((p) => p.chi - p.theory);
      const ses = r.points.map((p) => p.chiStderr).sort((a, b) => a - b);
      const summary = {
        max_abs_diff: Math.max(...diffs.map(Math.abs)),
        rms_diff: Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length),
        median_stderr: ses[ses.length >> 1]!,
        max_stderr: ses[ses.length - 1]!,
      };
      if (out) {
        await writePlot(
          out,
          heatmapSpec({
            x: sigmaW2,
            y: sigmaB2,
            z: sigmaB2.map((_, ib) =>
              r.points
                .slice(ib * sigmaW2.length, (ib + 1) * sigmaW2.length)
                .map((p) => Math.log(p.chi)),
            ),
            xTitle: "σ_w²",
            yTitle: "σ_b²",
            zTitle: "log χ_J (empirical)",
            title: `${phi.name}, μ = ${mu}: empirical log χ_J, width ${width}, depth ${depth}`,
            diverging: true,
            overlay: line.length
              ? {
                  x: line.map((p) => p.sigmaW2),
                  y: line.map((p) => p.sigmaB2),
                  label: "theory χ_J = 1",
                }
              : undefined,
          }),
        );
      }
      const settings = {
        activation: phi.name,
        residual: mu,
        width,
        depth,
        window: [r.from, depth],
        networks: opts.networks,
        inputs: opts.inputs,
        probes: opts.probes,
        q0: opts.q0,
        seed: opts.seed,
        draws: "independent per grid point: point i uses seeds seed + i·networks + k",
        threads,
      };
      if (o.json) {
        return printJson({
          ...settings,
          sigma_w2: sigmaW2,
          sigma_b2: sigmaB2,
          points: r.points.map((p) => ({
            sigma_w2: p.sigmaW2,
            sigma_b2: p.sigmaB2,
            chi_J: p.chi,
            chi_J_stderr: p.chiStderr,
            chi_J_theory: p.theory,
            seeds: p.seeds,
          })),
          summary,
          critical_line: line.map((p) => ({ sigma_b2: p.sigmaB2, sigma_w2: p.sigmaW2 })),
          forward_pass_equivalents: r.passes,
          seconds,
          plot: out ?? null,
        });
      }
      const cell = (v: number) => v.toFixed(3).padStart(7);
      const head = `σ_b² \\ σ_w²${sigmaW2.map((s) => String(s).padStart(7)).join("")}`;
      const rows = (f: (i: number) => number) =>
        sigmaB2
          .map(
            (b, ib) =>
              `${b.toFixed(2).padStart(11)}${sigmaW2.map((_, iw) => cell(f(ib * sigmaW2.length + iw))).join("")}`,
          )
          .join("\n");
      process.stdout.write(
        `${phi.name}, μ = ${mu}, width ${width}, depth ${depth}: χ_J = (J^{${r.from},${depth}})^(1/${depth - r.from}), ` +
          `${opts.networks} independent networks × ${opts.inputs} inputs × ${opts.probes} probes per point\n\n` +
          `empirical χ_J\n${head}\n${rows((i) => r.points[i]!.chi)}\n\n` +
          `theory (same window)\n${head}\n${rows((i) => r.points[i]!.theory)}\n\n` +
          `empirical − theory: max |Δ| ${summary.max_abs_diff.toFixed(4)}, rms ${summary.rms_diff.toFixed(4)}; ` +
          `standard error: median ${summary.median_stderr.toFixed(4)}, max ${summary.max_stderr.toFixed(4)}\n` +
          `${r.points.length} points in ${seconds.toFixed(1)} s on ${threads} worker thread(s)\n` +
          (out ? `wrote ${out}\n` : ""),
      );
    });
}
