/**
 * The layer library's contracts: one function per activation record (cache by identity), custom
 * activations on finite networks, freshness requirements of sums, and every hand-written tangent
 * rule against the one jax-js autodiff derives from `apply`.
 */
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { type JaxArray, loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import {
  act,
  dense,
  derivedJvp,
  type HostParams,
  type JaxParams,
  type Layer,
  layerNorm,
  mixerBlock,
  mlpBlock,
  perGroup,
  residual,
  scale,
  serial,
  sum,
  transposeGroups,
} from "../../src/nets/layers/index.js";
import { instantiate, mlpArchitecture, sampleParams } from "../../src/nets/network.js";
import { Rng } from "../../src/rng.js";
import { ACTIVATION_NAMES, activation, customActivation } from "../../src/theory/activations.js";
import { gaussianKernel } from "../../src/theory/kernel.js";

afterAll(shutdownJax);

/** Output of the first block of a width-6 MLP (dense → φ → dense … first block is φ then dense). */
async function firstBlock(phi: ReturnType<typeof activation>, x: Float64Array) {
  const jax = await loadJax();
  const arch = mlpArchitecture({
    activations: [phi],
    sigmaW2: 1.3,
    sigmaB2: 0,
    width: 6,
    depth: 1,
  });
  const net = await instantiate(arch, 5, "float64");
  const b = net.blocks[0]!;
  const h = jax.numpy.array(x, { shape: [1, 6], dtype: jax.numpy.float64 });
  const y = await readF64(b.apply(jax.tree.ref(b.params as never) as never, h));
  net.dispose();
  // plain-JS reference: W φ(x) + b, W stored [N_out, N_in]
  const { w, b: bias } = (sampleParams(arch, 5)[0] as HostParams[])[1] as unknown as {
    w: { data: Float64Array };
    b: { data: Float64Array };
  };
  const ref = Array.from({ length: 6 }, (_, i) => {
    let s = bias.data[i]!;
    for (let j = 0; j < 6; j++) s += w.data[i * 6 + j]! * phi.f(x[j]!);
    return s;
  });
  return { y, ref };
}

describe("activation records", () => {
  const x = new Rng(1).normals(6, 1.5);

  it("a custom activation named like a built-in runs its own φ after the built-in ran (cache by identity)", async () => {
    const tanh = await firstBlock(activation("tanh"), x);
    const mySin = await firstBlock(customActivation("tanh", Math.sin, Math.cos), x);
    for (let i = 0; i < 6; i++) {
      expect(tanh.y[i]).toBeCloseTo(tanh.ref[i]!, 5);
      expect(mySin.y[i]).toBeCloseTo(mySin.ref[i]!, 5);
    }
    expect(Math.max(...mySin.y.map((v, i) => Math.abs(v - tanh.y[i]!)))).toBeGreaterThan(1e-2);
  });

  it("a custom activation with a jax op runs on a finite network; without one it is refused by name", async () => {
    const cube = (v: number) => v * v * v;
    const withOp = customActivation("cube", cube, undefined, {
      op: { f: (_jax, a) => a.ref.mul(a.ref).mul(a) },
    });
    const r = await firstBlock(withOp, x);
    for (let i = 0; i < 6; i++) expect(r.y[i]).toBeCloseTo(r.ref[i]!, 8);
    const jsOnly = customActivation("cube", cube, (v) => 3 * v * v);
    const err = await firstBlock(jsOnly, x).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.field).toBe("activation");
    expect(err.detail).toMatch(/no jax-js op/);
  });

  it("an op that is not the scalar φ is refused before it runs", async () => {
    const liar = customActivation("liar", Math.tanh, undefined, {
      op: { f: (jax, a) => jax.numpy.sin(a) },
    });
    await expect(firstBlock(liar, x)).rejects.toThrow(/disagrees with its scalar φ/);
  });

  it("without φ′ the theory differentiates φ numerically: χ of sin matches E[cos²u] = (1 + e^{-2q})/2", () => {
    const s = customActivation("mysin", Math.sin);
    for (const q of [0.1, 1, 3]) {
      expect(s.derivSecondMoment(q)).toBeCloseTo((1 + Math.exp(-2 * q)) / 2, 10);
    }
  });
});

describe("freshness requirements", () => {
  const tanh = activation("tanh");
  const block = serial(act(tanh), dense(16, 1.5, 0.1));

  it("a depth-scaled residual h + block(h)/√L is accepted; its theory is q' = q + q_block/L, χ = 1 + χ_block/L", () => {
    const L = 16;
    const scaled = sum(scale(1), serial(block, scale(1 / Math.sqrt(L))));
    const k = gaussianKernel(0.8);
    const b = block.map(k);
    const s = scaled.map(k);
    expect(s.kernel.q1).toBeCloseTo(0.8 + b.kernel.q1 / L, 14);
    expect(s.chi).toBeCloseTo(1 + b.chi / L, 14);
    expect(() => residual(1, serial(block, scale(0.5)))).not.toThrow();
    const viaConfig = mlpBlock({
      activation: tanh,
      sigmaW2: 1.5,
      sigmaB2: 0.1,
      mu: 1,
      branchScale: 0.25,
    });
    expect(viaConfig.map(k).chi).toBeCloseTo(1 + b.chi / 16, 14);
  });

  it("sums of two non-fresh branches are refused naming the field", () => {
    const e = (() => {
      try {
        sum(act(tanh), scale(2));
      } catch (err) {
        return err as InputError;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect(e?.field).toBe("branches");
    expect(() => residual(1, serial(dense(4, 1, 0), act(tanh)))).toThrow(InputError);
  });
});

describe("hand-written tangent rules = the rule autodiff derives from apply (float64)", () => {
  const relu = activation("relu");
  const cases: Array<[string, Layer, number]> = [
    ["dense", dense(5, 1.3, 0.2), 4],
    ["dense ntk", dense(5, 1.3, 0.2, "ntk"), 4],
    ...ACTIVATION_NAMES.filter((a) => a !== "swish").map(
      (a) => [a, act(activation(a)), 4] as [string, Layer, number],
    ),
    ["layernorm", layerNorm(), 6],
    ["layernorm affine", layerNorm(1e-5, true), 6],
    ["scale", scale(0.7), 4],
    ["serial", serial(act(relu), dense(3, 1, 0.1)), 4],
    ["sum", sum(scale(1), serial(act(relu), dense(4, 1, 0.1))), 4],
    ["perGroup", perGroup(3, serial(dense(2, 1, 0.1), layerNorm())), 6],
    ["transposeGroups", transposeGroups(2, 3), 6],
    [
      "mixer",
      mixerBlock({
        tokens: 2,
        channels: 3,
        tokenHidden: 4,
        channelHidden: 5,
        activation: activation("gelu"),
        sigmaW2: 1.2,
        sigmaB2: 0.1,
      }),
      6,
    ],
  ];
  for (const [name, layer, n] of cases) {
    it(name, async () => {
      const jax = await loadJax();
      const np = jax.numpy;
      const rng = new Rng(9);
      const host = layer.init(rng, n).params;
      const toJax = (p: HostParams): JaxParams =>
        Array.isArray(p)
          ? p.map(toJax)
          : "data" in p && p.data instanceof Float64Array
            ? np.array(p.data, { shape: p.shape as number[], dtype: np.float64 })
            : Object.fromEntries(Object.entries(p).map(([k, v]) => [k, toJax(v as HostParams)]));
      const params = toJax(host);
      const f64 = (shape: number[]) =>
        np.array(rng.normals(shape.reduce((a, b) => a * b, 1)), { shape, dtype: np.float64 });
      const x = f64([3, n]);
      const t = f64([2, 3, n]);
      const ref = (a: JaxArray) => a.ref;
      const [y1, t1] = layer.jvp!(jax, jax.tree.map(ref, params as never) as never, x.ref, t.ref);
      const [y2, t2] = derivedJvp(
        jax,
        (p: JaxParams, h: JaxArray) => layer.apply(jax, p, h),
        params,
        x,
        t,
      );
      for (const [a, b] of [
        [y1, y2],
        [t1, t2],
      ] as const) {
        const [u, v] = [await readF64(a), await readF64(b)];
        expect(u.length).toBe(v.length);
        const diff = Math.hypot(...u.map((w, i) => w - v[i]!));
        expect(diff, name).toBeLessThanOrEqual(1e-6 * Math.hypot(...v));
      }
    });
  }
});
