import type { Command } from "commander";
import { measureApjn, theoryApjn } from "../../diagnostics/apjn-profile.js";
import { shutdownJax } from "../../nets/jax.js";
import { PLOT_EXTENSIONS, renderPlot } from "../../node/plot-files.js";
import { lineSpec } from "../../report/plot.js";
import { parseArchOptions, withArchOptions } from "../arch-options.js";
import { int, num } from "../options.js";
import {
  checkOutputFile,
  expOfLogs,
  firstNonFinite,
  printJson,
  progress,
  warn,
  writeFileAtomic,
} from "../output.js";

/**
 * The `apjn` result for commander's options `o` (its flags as camelCase keys, values as strings),
 * `onProgress` told the networks done: the command and `critkit sweep` both call it.
 */
export async function apjnResult(
  o: Record<string, unknown>,
  onProgress?: (networks: number) => void,
) {
  const a = parseArchOptions(o);
  const sigmaW2 = num("--sigma-w2", o.sigmaW2, { minExclusive: 0 });
  const arch = a.archFor(sigmaW2);
  const l0 = int("--l0", o.l0, 0, arch.blocks.length - 1);
  const prof = await measureApjn(arch, {
    seeds: a.seeds,
    inputs: a.inputs,
    probes: a.probes,
    l0,
    q0: a.q0,
    dtype: a.dtype,
    onProgress,
  });
  const theory = theoryApjn(arch, a.q0, l0);
  // l = l0 … L, with J^{l0,l0} = 1 exactly
  const logJ = [0, ...prof.logJ];
  const rel = [0, ...prof.relStderr];
  const layers = [l0, ...prof.layers];
  const logTheory = theory ? [0, ...theory] : null;
  const warnings: string[] = [];
  const lost = firstNonFinite(logJ);
  if (lost >= 0)
    warn(
      warnings,
      `the finite networks' J^{${l0},l} is not finite from layer ${layers[lost]} on (${a.dtype} values over- or underflow, or every unit saturates): try --dtype float64, or a smaller --sigma-w2 or --q0`,
    );
  else if (firstNonFinite(rel) >= 0)
    warn(
      warnings,
      "one sample per estimate (--seeds, --inputs and --probes all 1): no standard error",
    );
  const lostTheory = logTheory ? firstNonFinite(logTheory) : -1;
  if (lostTheory >= 0)
    warn(
      warnings,
      `the infinite-width theory's q^l leaves the float64 range at layer ${layers[lostTheory]}: theory is null from there on`,
    );
  const apjn = expOfLogs(logJ, layers, `the finite J^{${l0},l}`, "log_apjn", warnings);
  const result = {
    ...a.settings,
    sigma_w2: sigmaW2,
    l0,
    layers,
    apjn,
    stderr: apjn.map((v, i) => v * rel[i]!),
    theory: logTheory
      ? expOfLogs(logTheory, layers, `the theory's J^{${l0},l}`, "log_theory", warnings)
      : null,
    log_apjn: logJ,
    rel_stderr: rel,
    log_theory: logTheory,
    warnings,
  };
  return result;
}

export function registerApjn(program: Command): void {
  withArchOptions(
    program
      .command("apjn")
      .description(
        "empirical APJN J^{l0,l} of finite networks (Hutchinson probes, log space) beside the infinite-width theory",
      ),
    { seeds: "4", inputs: "4", probes: "16" },
  )
    .requiredOption("--sigma-w2 <v>", "weight variance σ_w² > 0")
    .option("--l0 <l0>", "reference layer l0 of J^{l0,l}", "0")
    .option("--out <file>", "plot of experiment vs theory (.svg or .png)")
    .option("--json", "print JSON")
    .action(async (o) => {
      const out =
        o.out === undefined ? undefined : checkOutputFile("--out", o.out, PLOT_EXTENSIONS);
      const bar = progress(Number(o.seeds), "networks", Boolean(o.json));
      try {
        const result = await apjnResult(o, bar.tick);
        bar.stop();
        const { l0, layers, log_apjn: logJ, rel_stderr: rel, log_theory: logTheory } = result;
        if (out) {
          const settings: Record<string, unknown> = result;
          const series = [{ name: "finite (± s.e.)", x: layers, y: logJ, yErr: rel }];
          if (logTheory)
            series.push({ name: "theory", x: layers, y: logTheory, yErr: rel.map(() => 0) });
          const plot = lineSpec({
            series,
            xTitle: "layer l",
            yTitle: `log J^{${l0},l}`,
            title: `APJN: ${settings.activation}, σ_w² = ${result.sigma_w2}, σ_b² = ${settings.sigma_b2}`,
          });
          await writeFileAtomic(out, await renderPlot(out, plot));
        }
        if (o.json) return printJson(result);
        process.stdout.write(`layer      log J (finite)      s.e.   log J (theory)\n`);
        const stride = Math.max(1, Math.floor(layers.length / 20));
        const fmt = (x: number, width: number) =>
          (Number.isFinite(x) ? x.toFixed(4) : "—").padStart(width);
        for (let i = 0; i < layers.length; i += stride) {
          process.stdout.write(
            `${String(layers[i]).padStart(5)}  ${fmt(logJ[i]!, 16)}  ${fmt(rel[i]!, 8)}  ${logTheory ? fmt(logTheory[i]!, 15) : "      (no theory)"}\n`,
          );
        }
        if (out) process.stdout.write(`wrote ${out}\n`);
      } finally {
        bar.stop();
        await shutdownJax();
      }
    });
}
