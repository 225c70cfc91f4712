import { join } from "node:path";
import type { Command } from "commander";
import { mlpBlock } from "../../nets/layers/index.js";
import { renderPlot } from "../../node/plot-files.js";
import { phaseHeatmap } from "../../report/phase-plot.js";
import { activation } from "../../theory/activations.js";
import { criticalLine } from "../../theory/critical.js";
import { linspace, mlpPhaseDiagram, quadspace } from "../../theory/phase.js";
import { checkOutputDir, checkOutputFile, makeOutputDir, writeFileAtomic } from "../output.js";

const DEMO_ACTIVATIONS = ["tanh", "erf", "relu", "gelu"];
const DEMO_SB2 = [0, 0.05, 0.1, 0.2, 0.5];

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "the critical lines of tanh, erf, ReLU and GELU, and a tanh phase diagram (SVG + PNG)",
    )
    .option("--out-dir <dir>", "where to write the figures", "critkit-demo")
    .action(async (o) => {
      const dir = checkOutputDir("--out-dir", o.outDir);
      process.stdout.write(
        "Critical σ_w² (χ_J(q*) = 1, input variance q^0 = 1) for MLPs h' = W φ(h) + b:\n\n",
      );
      process.stdout.write(`  σ_b²     ${DEMO_ACTIVATIONS.map((a) => a.padStart(10)).join("")}\n`);
      const lines = DEMO_ACTIVATIONS.map((name) => {
        const phi = activation(name);
        return criticalLine(
          (sw2, sb2) => mlpBlock({ activation: phi, sigmaW2: sw2, sigmaB2: sb2 }),
          DEMO_SB2,
          1,
          [0, Number.POSITIVE_INFINITY],
        );
      });
      for (const sb2 of DEMO_SB2) {
        const cells = lines.map((line) => {
          const p = line.find((x) => x.sigmaB2 === sb2 && x.continuous);
          return (p ? p.sigmaW2.toFixed(5) : "—").padStart(10);
        });
        process.stdout.write(`  ${sb2.toFixed(2).padEnd(7)}${cells.join("")}\n`);
      }
      process.stdout.write(
        "\n  ReLU: χ_J = σ_w²/2 whatever q, so σ_w² = 2 for every σ_b² (for σ_b² > 0, q grows linearly).\n" +
          "  —: no continuous transition: the GELU fixed point reached from q^0 = 1 vanishes in a jump.\n\n",
      );
      const tanh = activation("tanh");
      const grid = mlpPhaseDiagram(tanh, linspace(0.5, 4, 160), linspace(0, 0.5, 160), 100);
      const line = criticalLine(
        (sw2, sb2) => mlpBlock({ activation: tanh, sigmaW2: sw2, sigmaB2: sb2 }),
        quadspace(0, 0.5, 24),
        1,
        [0.5, 4],
      );
      const spec = phaseHeatmap(grid, "tanh", line);
      await makeOutputDir(dir);
      for (const ext of ["svg", "png"]) {
        const file = checkOutputFile("--out-dir", join(dir, `phase-tanh.${ext}`));
        await writeFileAtomic(file, await renderPlot(file, spec));
        process.stdout.write(`wrote ${file}\n`);
      }
    });
}
