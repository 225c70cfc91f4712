/**
 * The depth-scaled residual h' = h + block(h)/√L (sum(scale(1), serial(block, scale(1/√L)))):
 * infinite-width theory against Monte Carlo on finite networks of width 256.
 */
import { afterAll, describe, expect, it } from "vitest";
import { measureApjn, theoryApjn } from "../../src/diagnostics/apjn-profile.js";
import { loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import { act, dense, scale, serial, sum } from "../../src/nets/layers/index.js";
import { type Architecture, instantiate } from "../../src/nets/network.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { gaussianKernel } from "../../src/theory/kernel.js";
import { propagate } from "../../src/theory/recurrence.js";

afterAll(shutdownJax);

const [N, L] = [256, 8];
const block = sum(
  scale(1),
  serial(act(activation("tanh")), dense(N, 1.5, 0.05), scale(1 / Math.sqrt(L))),
);
const arch: Architecture = { inputWidth: N, blocks: Array.from({ length: L }, () => block) };

describe("depth-scaled residual: theory = Monte Carlo", () => {
  it("APJN J^{0,l} per layer within 4 standard errors + 5/width", async () => {
    const p = await measureApjn(arch, { seeds: [0, 1, 2, 3], inputs: 4, probes: 8 });
    const th = theoryApjn(arch)!;
    for (const [i, v] of p.logJ.entries()) {
      expect(Math.abs(v - th[i]!), `layer ${i + 1}`).toBeLessThan(4 * p.relStderr[i]! + 5 / N);
    }
  });

  it("the variance q^L of the output within 3 % of the recurrence (8 networks × 8 inputs)", async () => {
    const jax = await loadJax();
    let total = 0;
    const seeds = 8;
    const rows = 8;
    for (let s = 0; s < seeds; s++) {
      const net = await instantiate(arch, s, "float32");
      const x = Float32Array.from(new Rng(100 + s).normals(rows * N));
      let h = jax.numpy.array(x, { shape: [rows, N] });
      for (const b of net.blocks) h = b.apply(jax.tree.ref(b.params as never) as never, h);
      const y = await readF64(h);
      total += y.reduce((a, v) => a + v * v, 0) / y.length;
      net.dispose();
    }
    const qL = propagate(block, gaussianKernel(1), L).q[L]!;
    expect(Math.abs(total / seeds / qL - 1)).toBeLessThan(0.03);
  });
});
