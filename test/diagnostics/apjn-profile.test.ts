/** The APJN profile of finite networks against the infinite-width theory of the same blocks. */
import { afterAll, describe, expect, it } from "vitest";
import { logMeanWithError, measureApjn, theoryApjn } from "../../src/diagnostics/apjn-profile.js";
import { fitSlope } from "../../src/diagnostics/init-search.js";
import { shutdownJax } from "../../src/nets/jax.js";
import { mixerArchitecture, mlpArchitecture } from "../../src/nets/network.js";
import { act, dense, mlpBlock, serial, sum } from "../../src/nets/stax.js";
import { activation } from "../../src/theory/activations.js";
import { gaussianKernel } from "../../src/theory/kernel.js";
import { fixedPoint, propagate } from "../../src/theory/recurrence.js";

afterAll(shutdownJax);
const tanh = activation("tanh");

describe("theory vs finite width", () => {
  it("LayerNorm-pre tanh MLP: the finite-width excess of log J^{0,10} is resolved at width 64 and shrinks like 1/width up to 1024", async () => {
    const diff = async (width: number, seeds: number) => {
      const arch = mlpArchitecture({
        activations: [tanh],
        sigmaW2: 1.5,
        sigmaB2: 0.05,
        width,
        depth: 10,
        layernorm: "pre",
      });
      const p = await measureApjn(arch, {
        seeds: Array.from({ length: seeds }, (_, i) => i),
        inputs: 8,
        probes: 16,
      });
      return { d: p.logJ[9]! - theoryApjn(arch)![9]!, se: p.relStderr[9]! };
    };
    const base = await diff(64, 128);
    expect(base.d).toBeGreaterThan(4 * base.se);
    for (const [width, seeds] of [
      [128, 64],
      [256, 32],
      [1024, 8],
    ] as const) {
      const r = await diff(width, seeds);
      const predicted = (base.d * 64) / width;
      expect(
        Math.abs(r.d - predicted),
        `width ${width}: ${r.d} ± ${r.se}, 1/width predicts ${predicted}`,
      ).toBeLessThan(4 * r.se + (4 * base.se * 64) / width);
      if (width === 1024) expect(r.d).toBeLessThan(base.d / 2);
    }
  });

  it("residual μ = 0.7 and LayerNorm-post MLPs at width 512 agree with the theory per layer within 4 standard errors + 10/width", async () => {
    for (const [name, ln, mu] of [
      ["tanh", "none", 0.7],
      ["relu", "post", 0],
    ] as const) {
      const arch = mlpArchitecture({
        activations: [activation(name)],
        sigmaW2: 1.8,
        sigmaB2: 0.05,
        width: 512,
        depth: 8,
        layernorm: ln,
        mu,
      });
      const p = await measureApjn(arch, { seeds: [0, 1, 2, 3, 4, 5, 6, 7], inputs: 4, probes: 16 });
      const th = theoryApjn(arch)!;
      for (const [i, v] of p.logJ.entries()) {
        expect(Math.abs(v - th[i]!), `${name} ${ln} μ=${mu} layer ${i + 1}`).toBeLessThan(
          4 * p.relStderr[i]! + (10 * (i + 1)) / 512,
        );
      }
    }
  });

  it("two parallel branches summed (FanOut + FanInSum): theory adds the branches' χ; width 512 agrees", async () => {
    const branch = () => serial(act(tanh), dense(512, 0.9, 0.02));
    const block = sum(branch(), branch());
    const k = gaussianKernel(0.7);
    const one = branch().map(k);
    expect(block.map(k).chi).toBeCloseTo(2 * one.chi, 14);
    expect(block.map(k).kernel.q1).toBeCloseTo(2 * one.kernel.q1, 14);
    const arch = { inputWidth: 512, blocks: Array.from({ length: 6 }, () => block) };
    const p = await measureApjn(arch, { seeds: [0, 1, 2, 3], inputs: 4, probes: 16 });
    const th = theoryApjn(arch)!;
    for (const [i, v] of p.logJ.entries())
      expect(Math.abs(v - th[i]!)).toBeLessThan(4 * p.relStderr[i]! + (10 * (i + 1)) / 512);
  });

  it("depth 1000: log J stays finite and grows at the theory's rate log χ_J(q*) in the chaotic phase", async () => {
    const arch = mlpArchitecture({
      activations: [tanh],
      sigmaW2: 4,
      sigmaB2: 0.05,
      width: 64,
      depth: 1000,
    });
    const p = await measureApjn(arch, { seeds: [0], inputs: 2, probes: 8 });
    expect(p.logJ.every(Number.isFinite)).toBe(true);
    expect(p.logJ[999]!).toBeGreaterThan(200); // J ≈ e^{300}: beyond float32, fine in log space
    const rate = Math.log(
      fixedPoint(mlpBlock({ activation: tanh, sigmaW2: 4, sigmaB2: 0.05 })).chiJ,
    );
    expect(fitSlope(p.logJ, p.layers, 100, (l) => l)).toBeCloseTo(rate, 1);
  });
});

describe("profile plumbing", () => {
  it("theoryApjn is the recurrence's cumulative log χ_J; the Mixer has none", () => {
    const arch = mlpArchitecture({
      activations: [tanh],
      sigmaW2: 2,
      sigmaB2: 0.1,
      width: 8,
      depth: 12,
    });
    const t = propagate(
      mlpBlock({ activation: tanh, sigmaW2: 2, sigmaB2: 0.1 }),
      gaussianKernel(1),
      12,
    );
    for (const [i, v] of theoryApjn(arch)!.entries()) expect(v).toBeCloseTo(t.logJ[i + 1]!, 14);
    const l0 = theoryApjn(arch, 1, 4)!;
    expect(l0[0]).toBeCloseTo(t.logJ[5]! - t.logJ[4]!, 14);
    expect(
      theoryApjn(
        mixerArchitecture({
          tokens: 2,
          channels: 2,
          tokenHidden: 2,
          channelHidden: 2,
          activation: tanh,
          sigmaW2: 1,
          sigmaB2: 0,
          depth: 2,
        }),
      ),
    ).toBeNull();
  });

  it("logMeanWithError: log of the mean and the relative standard error of the mean", () => {
    const xs = [1, 2, 3, 10];
    const [m, rel] = logMeanWithError(xs.map(Math.log));
    expect(m).toBeCloseTo(Math.log(4), 14);
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - 4) ** 2, 0) / 3);
    expect(rel).toBeCloseTo(sd / 2 / 4, 14);
    expect(logMeanWithError([2000, 2000 + Math.log(3)])[0]).toBeCloseTo(2000 + Math.log(2), 10); // no overflow
  });

  it("the same seeds give bit-identical measurements", async () => {
    const arch = mlpArchitecture({
      activations: [tanh],
      sigmaW2: 1.7,
      sigmaB2: 0.05,
      width: 32,
      depth: 6,
    });
    const a = await measureApjn(arch, { seeds: [3, 4], inputs: 2, probes: 4 });
    const b = await measureApjn(arch, { seeds: [3, 4], inputs: 2, probes: 4 });
    expect(Array.from(b.logJ)).toEqual(Array.from(a.logJ));
    const c = await measureApjn(arch, { seeds: [5, 6], inputs: 2, probes: 4 });
    expect(Array.from(c.logJ)).not.toEqual(Array.from(a.logJ));
  });
});
