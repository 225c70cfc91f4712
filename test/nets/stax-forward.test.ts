/**
 * The finite forward pass of every layer (jax-js, float64) against an independent plain-JS
 * float64 implementation on the same sampled parameters.
 */
import { describe, expect, it } from "vitest";
import { loadJax, readF64 } from "../../src/nets/jax.js";
import {
  instantiate,
  mixerArchitecture,
  mlpArchitecture,
  sampleParams,
} from "../../src/nets/network.js";
import { type HostTensor, LAYERNORM_EPS } from "../../src/nets/stax.js";
import { Rng } from "../../src/rng.js";
import { ACTIVATION_NAMES, activation } from "../../src/theory/activations.js";
import { gaussianKernel } from "../../src/theory/kernel.js";

type Mat = Float64Array[]; // rows

/** x Wᵀ with W stored [N_out, N_in] */
const matmul = (x: Mat, w: HostTensor) => {
  const [nOut, nIn] = w.shape as [number, number];
  return x.map((row) => {
    const out = new Float64Array(nOut);
    for (let j = 0; j < nOut; j++)
      for (let i = 0; i < nIn; i++) out[j]! += row[i]! * w.data[j * nIn + i]!;
    return out;
  });
};
const addBias = (x: Mat, b: HostTensor) => x.map((r) => r.map((v, j) => v + b.data[j]!));
const ln = (x: Mat) =>
  x.map((r) => {
    const m = r.reduce((a, b) => a + b, 0) / r.length;
    const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length;
    return r.map((u) => (u - m) / Math.sqrt(v + LAYERNORM_EPS));
  });

async function runJax(arch: Parameters<typeof instantiate>[0], x: Mat): Promise<Mat> {
  const jax = await loadJax();
  const net = await instantiate(arch, 7, "float64");
  let h = jax.numpy.array(Float64Array.from(x.flatMap((r) => Array.from(r))), {
    shape: [x.length, x[0]!.length],
    dtype: jax.numpy.float64,
  });
  for (const b of net.blocks) h = b.apply(jax.tree.ref(b.params as never) as never, h);
  const flat = await readF64(h);
  net.dispose();
  const n = flat.length / x.length;
  return x.map((_, i) => flat.slice(i * n, (i + 1) * n));
}

const inputs = (rows: number, n: number) => {
  const rng = new Rng(3);
  return Array.from({ length: rows }, () => rng.normals(n));
};

describe("finite MLP blocks: jax-js forward = plain-JS reference", () => {
  for (const [name, layernorm, mu] of [
    ...ACTIVATION_NAMES.filter((a) => a !== "swish").map((a) => [a, "none", 0] as const),
    ["tanh", "pre", 0],
    ["relu", "post", 0],
    ["gelu", "pre", 1],
    ["tanh", "none", 0.5],
  ] as const) {
    it(`${name}, LayerNorm ${layernorm}, μ = ${mu}`, async () => {
      const phi = activation(name);
      const arch = mlpArchitecture({
        activations: [phi],
        sigmaW2: 1.7,
        sigmaB2: 0.1,
        width: 12,
        depth: 3,
        layernorm,
        mu,
      });
      const host = sampleParams(arch, 7) as Array<
        Array<{ w: HostTensor; b: HostTensor }> | { w: HostTensor; b: HostTensor }[]
      >;
      const x = inputs(4, 12);
      let h = x;
      for (const p of host) {
        const ps = (mu ? (p as unknown as unknown[])[1] : p) as Array<{
          w: HostTensor;
          b: HostTensor;
        }>; // residual: [scale, block] b: HostTensor }>;
        const d = ps[ps.length - 1]!;
        let z = layernorm === "pre" ? ln(h) : h;
        z = z.map((r) => r.map(phi.f));
        if (layernorm === "post") z = ln(z);
        const out = addBias(matmul(z, d.w), d.b);
        h = out.map((r, i) => r.map((v, j) => v + mu * h[i]![j]!));
      }
      const got = await runJax(arch, x);
      // float64 activations use critkit's accurate kernels (src/nets/f64.ts), not jax-js's
      // float32-accurate exp/tanh/erf/sin: three blocks agree to ~1e-15.
      const tol = 1e-13;
      for (let i = 0; i < x.length; i++)
        for (let j = 0; j < 12; j++)
          expect(Math.abs(got[i]![j]! - h[i]![j]!)).toBeLessThan(tol * (1 + Math.abs(h[i]![j]!)));
    });
  }

  it("the NTK parametrization computes the same function at initialization (same seed → same noise)", async () => {
    const phi = activation("tanh");
    const x = inputs(3, 8);
    const std = await runJax(
      mlpArchitecture({ activations: [phi], sigmaW2: 2, sigmaB2: 0.3, width: 8, depth: 2 }),
      x,
    );
    const ntk = await runJax(
      mlpArchitecture({
        activations: [phi],
        sigmaW2: 2,
        sigmaB2: 0.3,
        width: 8,
        depth: 2,
        parametrization: "ntk",
      }),
      x,
    );
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 8; j++) expect(ntk[i]![j]).toBeCloseTo(std[i]![j]!, 10);
  });
});

describe("LayerNorm with a learnable gain", () => {
  it("has γ = 1, β = 0 parameters at initialization and computes the same function as plain LayerNorm", async () => {
    const phi = activation("tanh");
    const spec = {
      activations: [phi],
      sigmaW2: 1.5,
      sigmaB2: 0.1,
      width: 8,
      depth: 2,
      layernorm: "post" as const,
    };
    const affine = mlpArchitecture({ ...spec, lnAffine: true });
    const ln = (
      sampleParams(affine, 7)[0] as unknown as Array<{ g: HostTensor; b: HostTensor }>
    )[1]!;
    expect(Array.from(ln.g.data)).toEqual(new Array(8).fill(1));
    expect(Array.from(ln.b.data)).toEqual(new Array(8).fill(0));
    const x = inputs(3, 8);
    const [a, b] = [await runJax(affine, x), await runJax(mlpArchitecture(spec), x)];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 8; j++) expect(a[i]![j]).toBeCloseTo(b[i]![j]!, 12);
  });
});

describe("MLP-Mixer block", () => {
  it("jax-js forward = plain-JS token/channel mixing with LayerNorm and skips", async () => {
    const phi = activation("gelu");
    const [T, C, Ds, Dc] = [4, 6, 5, 8];
    const arch = mixerArchitecture({
      tokens: T,
      channels: C,
      tokenHidden: Ds,
      channelHidden: Dc,
      activation: phi,
      sigmaW2: 1.5,
      sigmaB2: 0.05,
      depth: 2,
      mu: 1,
    });
    type Mlp = Array<{ w: HostTensor; b: HostTensor }>;
    // [token mixing [skip, [LN, transpose, token MLP, transpose]], channel mixing [skip, [LN, MLP]]]
    const host = (sampleParams(arch, 7) as unknown as Mlp[][][][]).map((p) => ({
      token: p[0]![1]![2]!,
      channel: p[1]![1]![1]!,
    }));
    const x = inputs(2, T * C);
    const mlp = (z: Mat, p: Array<{ w: HostTensor; b: HostTensor }>) =>
      addBias(
        matmul(
          addBias(matmul(z, p[0]!.w), p[0]!.b).map((r) => r.map(phi.f)),
          p[2]!.w,
        ),
        p[2]!.b,
      );
    const transpose = (m: Mat) =>
      Array.from({ length: m[0]!.length }, (_, j) => Float64Array.from(m, (r) => r[j]!));
    let h = x;
    for (const p of host) {
      h = h.map((row) => {
        const X = Array.from({ length: T }, (_, t) => row.slice(t * C, (t + 1) * C));
        const tokenMixed = transpose(mlp(transpose(ln(X)), p.token));
        const U = X.map((r, t) => r.map((v, c) => v + tokenMixed[t]![c]!));
        const ch = mlp(ln(U), p.channel);
        return Float64Array.from(U.flatMap((r, t) => Array.from(r, (v, c) => v + ch[t]![c]!)));
      });
    }
    const got = await runJax(arch, x);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < T * C; j++)
        expect(Math.abs(got[i]![j]! - h[i]![j]!)).toBeLessThan(1e-13 * (1 + Math.abs(h[i]![j]!)));
  });

  it("has no infinite-width theory and says so", () => {
    const arch = mixerArchitecture({
      tokens: 2,
      channels: 2,
      tokenHidden: 2,
      channelHidden: 2,
      activation: activation("relu"),
      sigmaW2: 1,
      sigmaB2: 0,
      depth: 1,
    });
    expect(arch.blocks[0]!.hasTheory).toBe(false);
    expect(() => arch.blocks[0]!.map(gaussianKernel(1))).toThrow(/no infinite-width theory/);
  });
});

describe("forward-mode rules", () => {
  const configs: Array<
    [string, Parameters<typeof mlpArchitecture>[0] | Parameters<typeof mixerArchitecture>[0]]
  > = [
    ...ACTIVATION_NAMES.filter((a) => a !== "swish").map(
      (a) =>
        [a, { activations: [activation(a)], sigmaW2: 1.7, sigmaB2: 0.1, width: 8, depth: 2 }] as [
          string,
          Parameters<typeof mlpArchitecture>[0],
        ],
    ),
    [
      "tanh LN-pre μ=1",
      {
        activations: [activation("tanh")],
        sigmaW2: 1.7,
        sigmaB2: 0.1,
        width: 8,
        depth: 2,
        layernorm: "pre",
        mu: 1,
      },
    ],
    [
      "tanh LN-pre affine",
      {
        activations: [activation("tanh")],
        sigmaW2: 1.7,
        sigmaB2: 0.1,
        width: 8,
        depth: 2,
        layernorm: "pre",
        lnAffine: true,
      },
    ],
    [
      "relu LN-post ntk",
      {
        activations: [activation("relu")],
        sigmaW2: 1.7,
        sigmaB2: 0.1,
        width: 8,
        depth: 2,
        layernorm: "post",
        parametrization: "ntk",
      },
    ],
    [
      "mixer",
      {
        tokens: 3,
        channels: 4,
        tokenHidden: 5,
        channelHidden: 6,
        activation: activation("gelu"),
        sigmaW2: 1.5,
        sigmaB2: 0.05,
        depth: 2,
      },
    ],
  ];
  for (const [label, spec] of configs) {
    it(`${label}: the hand-written jvp equals jax.jvp of apply (float64, 3 probes sharing a primal)`, async () => {
      const jax = await loadJax();
      const np = jax.numpy;
      const arch = "tokens" in spec ? mixerArchitecture(spec) : mlpArchitecture(spec);
      const net = await instantiate(arch, 5, "float64");
      const n = arch.inputWidth;
      const rng = new Rng(9);
      const f64 = (data: Float64Array, shape: number[]) =>
        np.array(data, { shape, dtype: np.float64 });
      for (const block of net.blocks) {
        const x = f64(rng.normals(2 * n), [2, n]);
        const t = f64(rng.normals(3 * 2 * n), [3, 2, n]);
        const [y, ty] = block.jvp(jax.tree.ref(block.params as never) as never, x.ref, t.ref);
        const xs = np.broadcastTo(x, [3, 2, n]).reshape([6, n]);
        const [yRef, tyRef] = jax.jvp(
          (h: typeof x) => block.apply(jax.tree.ref(block.params as never) as never, h),
          [xs],
          [t.reshape([6, n])],
        );
        const [a, b, c, d] = await Promise.all([
          readF64(y),
          readF64(ty),
          readF64(yRef),
          readF64(tyRef),
        ]);
        for (let i = 0; i < a.length; i++)
          expect(Math.abs(a[i]! - c[i]!)).toBeLessThan(1e-9 * (1 + Math.abs(c[i]!)));
        for (let i = 0; i < b.length; i++)
          expect(Math.abs(b[i]! - d[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(d[i]!)));
      }
      net.dispose();
    });
  }
});

describe("network size guard", () => {
  it("refuses a width that would not fit before allocating", () => {
    expect(() =>
      mlpArchitecture({
        activations: [activation("tanh")],
        sigmaW2: 1,
        sigmaB2: 0,
        width: 100_000,
        depth: 100,
      }),
    ).toThrow(/^width: the network would need/);
  });
});
