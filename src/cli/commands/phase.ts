import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { PLOT_EXTENSIONS, renderPlot } from "../../node/plot-files.js";
import { phaseHeatmap } from "../../report/phase-plot.js";
import { criticalLine } from "../../theory/critical.js";
import { linspace, mlpPhaseDiagram, PHASES, phaseDiagram, quadspace } from "../../theory/phase.js";
import { depthScale } from "../../theory/recurrence.js";
import { tabulated } from "../../theory/tabulate.js";
import {
  blockFamily,
  blockSettings,
  parseBlockOptions,
  withBlockOptions,
} from "../network-options.js";
import { int, range } from "../options.js";
import { checkOutputFile, printJson, warn, writeFileAtomic } from "../output.js";

/** Most layer steps (grid points × depth) a phase diagram may take: about a minute. */
const MAX_LAYER_STEPS = 2 ** 30;

export function registerPhase(program: Command): void {
  withBlockOptions(
    program
      .command("phase")
      .description("phase diagram over (σ_w², σ_b²): log χ_J, APJN depth scale, phases"),
  )
    .option("--sw2 <min,max>", "σ_w² range", "0.5,4")
    .option("--sb2 <min,max>", "σ_b² range", "0,0.5")
    .option("--grid <n>", "grid points per axis (≤ 1024)", "128")
    .option("--depth <L>", "depth of the recurrence", "100")
    .option("--out <file>", "plot file (.svg or .png; default phase.svg, none with --json)")
    .option("--png", "also write a PNG beside the SVG")
    .option("--no-critical-line", "do not overlay the critical line")
    .option("--json", "print the grid as JSON")
    .action(async (o) => {
      const b = parseBlockOptions(o);
      const [w0, w1] = range("--sw2", o.sw2, { minExclusive: 0 });
      const [b0, b1] = range("--sb2", o.sb2, { min: 0 });
      const n = int("--grid", o.grid, 2, 1024);
      const depth = int("--depth", o.depth, 1, 100_000);
      if (n * n * depth > MAX_LAYER_STEPS)
        throw new InputError(
          "--depth",
          `--grid² × --depth = ${n * n * depth} layer steps exceeds ${MAX_LAYER_STEPS} (minutes of work): reduce --grid or --depth`,
        );
      const target = o.out ?? (o.json && !o.png ? undefined : "phase.svg");
      const files = target === undefined ? [] : [checkOutputFile("--out", target, PLOT_EXTENSIONS)];
      if (o.png && files[0]?.toLowerCase().endsWith(".svg"))
        files.push(checkOutputFile("--png", files[0].replace(/\.svg$/i, ".png")));
      const sw2 = linspace(w0, w1, n);
      const sb2 = linspace(b0, b1, n);
      const plain = b.layernorm === "none" && b.mu === 0;
      const grid = plain
        ? mlpPhaseDiagram(b.activation, sw2, sb2, depth, b.q0)
        : phaseDiagram(blockFamily(b, tabulated(b.activation)), sw2, sb2, depth, b.q0);
      const warnings: string[] = [];
      if (grid.overflowPoints > 0)
        warn(
          warnings,
          `q^l overflows the float64 range before depth ${depth} at ${grid.overflowPoints} of ${n * n} grid points: their q and log_apjn are null (log χ_J and phase from the last finite layer)`,
        );
      const line = o.criticalLine
        ? criticalLine(blockFamily(b), quadspace(b0, b1, Math.min(n, 32)), b.q0, [w0, w1])
        : [];
      const spec = files.length > 0 ? phaseHeatmap(grid, b.activation.name, line) : undefined;
      for (const file of files) await writeFileAtomic(file, await renderPlot(file, spec!));
      const rows = (a: ArrayLike<number>) =>
        Array.from({ length: n }, (_, i) => Array.from(a).slice(i * n, (i + 1) * n));
      if (o.json) {
        return printJson({
          ...blockSettings(b),
          depth,
          sigma_w2: Array.from(sw2),
          sigma_b2: Array.from(sb2),
          log_chi_J: rows(grid.logChi),
          log_apjn: rows(grid.logJ),
          xi_J: rows(grid.logChi.map((lc) => depthScale(Math.exp(lc)))),
          q: rows(grid.q),
          phase: Array.from({ length: n }, (_, i) =>
            Array.from(grid.phase.slice(i * n, (i + 1) * n), (p) => PHASES[p]),
          ),
          critical_line: line.map((p) => ({
            sigma_b2: p.sigmaB2,
            sigma_w2: p.sigmaW2,
            continuous: p.continuous,
          })),
          plots: files,
          warnings,
        });
      }
      const counts = PHASES.map((p, i) => `${p} ${grid.phase.filter((x) => x === i).length}`).join(
        ", ",
      );
      process.stdout.write(
        `${n}×${n} grid at depth ${depth}: ${counts}\n${files.map((f) => `wrote ${f}\n`).join("")}`,
      );
    });
}
