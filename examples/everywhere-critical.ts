/**
 * Measured APJN growth rate r ≈ log χ_J per layer over a (σ_w², σ_b²) grid, for a plain tanh MLP
 * and for the same MLP with LayerNorm on preactivations and residual μ = 1 (finite networks,
 * width 128, depth 24, 2 seeds), on one colour scale (±1). Writes
 * docs/figures/everywhere-critical-{plain,ln-residual}.svg.
 *
 *   npx tsx examples/everywhere-critical.ts
 */
import { measureApjn } from "../src/diagnostics/apjn-profile.js";
import { fitSlope } from "../src/diagnostics/init-search.js";
import { shutdownJax } from "../src/nets/jax.js";
import { mlpArchitecture } from "../src/nets/network.js";
import type { LayerNormPlacement } from "../src/nets/stax.js";
import { heatmapSpec, writePlot } from "../src/report/plot.js";
import { activation } from "../src/theory/activations.js";

const SW2 = [0.25, 0.5, 1, 2, 4, 8];
const SB2 = [0, 0.25, 0.5, 1];
const DEPTH = 24;
const tanh = activation("tanh");

async function rateGrid(layernorm: LayerNormPlacement, mu: number): Promise<number[][]> {
  const z: number[][] = [];
  for (const sb2 of SB2) {
    const row: number[] = [];
    for (const sw2 of SW2) {
      const arch = mlpArchitecture({
        activations: [tanh],
        sigmaW2: sw2,
        sigmaB2: sb2,
        width: 128,
        depth: DEPTH,
        layernorm,
        mu,
      });
      const p = await measureApjn(arch, { seeds: [0, 1], inputs: 4, probes: 8 });
      row.push(fitSlope(p.logJ, p.layers, DEPTH / 4, (l) => l));
    }
    z.push(row);
  }
  return z;
}

for (const [name, ln, mu, title] of [
  ["plain", "none", 0, "tanh MLP: measured log χ_J per layer (ordered < 0 < chaotic)"],
  ["ln-residual", "pre", 1, "LayerNorm-pre + residual μ = 1: measured log χ_J ≈ 0 everywhere"],
] as const) {
  const z = await rateGrid(ln, mu);
  const file = `docs/figures/everywhere-critical-${name}.svg`;
  await writePlot(
    file,
    heatmapSpec({
      x: SW2,
      y: SB2,
      z,
      xTitle: "σ_w²",
      yTitle: "σ_b²",
      zTitle: "rate",
      title,
      diverging: true,
      divergingRange: 1,
    }),
  );
  const max = Math.max(...z.flat().map(Math.abs));
  console.log(`${file}: max |rate| = ${max.toFixed(3)}`);
}
await shutdownJax();
