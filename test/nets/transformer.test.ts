/**
 * Self-attention and the Transformer encoder: the forward pass against a plain-JS float64
 * reference, gradients against central finite differences, and the APJN through one encoder
 * block against the Frobenius norm of a finite-difference Jacobian. All on jax-js's "cpu" device
 * (Math.* exp/log: float64-exact; see model.test.ts for why not Wasm), at tiny sizes.
 */
import { afterAll, describe, expect, it } from "vitest";
import { apjnEmpirical, apjnExact } from "../../src/diagnostics/apjn.js";
import { loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import { type HostTensor, selfAttention } from "../../src/nets/layers/index.js";
import { createModel, modelBlocks } from "../../src/nets/model.js";
import { sampleParams } from "../../src/nets/network.js";
import { transformerModel } from "../../src/nets/transformer.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { f64, gradientError, onDevice } from "./gradient-check.js";

afterAll(shutdownJax);

/**
 * Plain-JS float64 multi-head attention on one row x [T·d] (formula of src/nets/layers/attention.ts),
 * logits q·k times `scale(d_h)` (default 1/√d_h; µP: 1/d_h).
 */
function attentionRef(
  p: Record<string, HostTensor>,
  x: Float64Array,
  T: number,
  H: number,
  scale = (dh: number) => 1 / Math.sqrt(dh),
): Float64Array {
  const d = x.length / T;
  const dh = d / H;
  const proj = (w: string, b: string, X: Float64Array) => {
    const out = new Float64Array(T * d);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < d; i++) {
        let s = p[b]!.data[i]!;
        for (let j = 0; j < d; j++) s += p[w]!.data[i * d + j]! * X[t * d + j]!;
        out[t * d + i] = s;
      }
    return out;
  };
  const q = proj("wq", "bq", x);
  const k = proj("wk", "bk", x);
  const v = proj("wv", "bv", x);
  const heads = new Float64Array(T * d);
  for (let h = 0; h < H; h++)
    for (let t = 0; t < T; t++) {
      const s = Array.from({ length: T }, (_, u) => {
        let dot = 0;
        for (let c = h * dh; c < (h + 1) * dh; c++) dot += q[t * d + c]! * k[u * d + c]!;
        return dot * scale(dh);
      });
      const e = s.map(Math.exp);
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = h * dh; c < (h + 1) * dh; c++)
        heads[t * d + c] = e.reduce((acc, eu, u) => acc + (eu / z) * v[u * d + c]!, 0);
    }
  return proj("wo", "bo", heads);
}

describe("self-attention", () => {
  it("forward = plain-JS float64 reference (T = 3, d = 4, 2 heads, biases ≠ 0), to 1e-12", async () => {
    await onDevice("cpu", async () => {
      const jax = await loadJax();
      const [T, d, H, B] = [3, 4, 2, 2];
      const layer = selfAttention({ tokens: T, heads: H, sigmaW2: 2, sigmaB2: 0.3 });
      const model = await createModel(
        { inputWidth: T * d, blocks: [layer] },
        { loss: "mse", dtype: "float64" },
      );
      const host = sampleParams(model.architecture, 5)[0] as unknown as Record<string, HostTensor>;
      const x = new Rng(3).normals(B * T * d, 1.5);
      const y = await readF64(model.apply(model.init(5), f64(jax, x, [B, T * d])));
      for (let b = 0; b < B; b++) {
        const want = attentionRef(host, x.subarray(b * T * d, (b + 1) * T * d), T, H);
        for (let i = 0; i < T * d; i++)
          expect(Math.abs(y[b * T * d + i]! - want[i]!)).toBeLessThan(1e-12);
      }
    });
  });

  it("µP: logits q·k/d_h = plain-JS reference; = SP attention with W_q, b_q divided by √d_h", async () => {
    await onDevice("cpu", async () => {
      const jax = await loadJax();
      const [T, d, H, B] = [3, 8, 2, 2];
      const dh = d / H;
      const model = async (parametrization: "sp" | "mup") =>
        createModel(
          {
            inputWidth: T * d,
            blocks: [selfAttention({ tokens: T, heads: H, sigmaB2: 0.3, parametrization })],
          },
          { loss: "mse", dtype: "float64" },
        );
      const mup = await model("mup");
      const sp = await model("sp");
      const host = sampleParams(mup.architecture, 4)[0] as unknown as Record<string, HostTensor>;
      // the same stored weights as SP's (µP's hidden row = SP's: N(0, σ²/d), multiplier 1)
      expect(host.wq!.data).toEqual(
        (sampleParams(sp.architecture, 4)[0] as never as typeof host).wq!.data,
      );
      const x = new Rng(6).normals(B * T * d, 1.5);
      const xs = () => f64(jax, x, [B, T * d]);
      const y = await readF64(mup.apply(mup.init(4), xs()));
      // SP with W_q, b_q divided by √d_h: (q/√d_h)·k/√d_h = q·k/d_h
      const spParams = mup.init(4) as never as Array<Record<string, unknown>>;
      const np = jax.numpy;
      const a = spParams[0]!;
      a.wq = np.multiply(a.wq as never, 1 / Math.sqrt(dh));
      a.bq = np.multiply(a.bq as never, 1 / Math.sqrt(dh));
      const ySp = await readF64(sp.apply(spParams as never, xs()));
      const ySp1 = await readF64(sp.apply(sp.init(4), xs()));
      for (let b = 0; b < B; b++) {
        const row = x.subarray(b * T * d, (b + 1) * T * d);
        const want = attentionRef(host, row, T, H, (n) => 1 / n);
        const wantSp = attentionRef(host, row, T, H);
        for (let i = 0; i < T * d; i++) {
          const j = b * T * d + i;
          expect(Math.abs(y[j]! - want[i]!)).toBeLessThan(1e-12);
          expect(Math.abs(ySp[j]! - y[j]!)).toBeLessThan(1e-12);
          expect(Math.abs(ySp1[j]! - wantSp[i]!)).toBeLessThan(1e-12);
        }
      }
      // the two scalings give different outputs (d_h = 4: logits halved)
      expect(Math.max(...y.map((v, j) => Math.abs(v - ySp1[j]!)))).toBeGreaterThan(1e-3);
    });
  });

  it("parameter gradients (MSE) = central finite differences, relative 1e-8", async () => {
    const err = await onDevice("cpu", async () => {
      const model = await createModel(
        { inputWidth: 6, blocks: [selfAttention({ tokens: 3, heads: 2, sigmaB2: 0.2 })] },
        { loss: "mse", dtype: "float64" },
      );
      return gradientError(model, 2, 1e-5);
    });
    expect(err).toBeLessThan(1e-8);
  });
});

const tiny = (ln: "pre" | "post", layers: number) =>
  transformerModel({
    tokens: 3,
    tokenDim: 2,
    width: 4,
    heads: 2,
    layers,
    classes: 3,
    mlpRatio: 1,
    ln,
    activation: activation("tanh"),
    dtype: "float64",
  });

describe("Transformer encoder", () => {
  for (const ln of ["pre", "post"] as const) {
    it(`${ln}-LN, 2 blocks, cross-entropy: gradient · v = central difference along v for 3 random directions, relative 1e-7`, async () => {
      const err = await onDevice("cpu", async () => gradientError(await tiny(ln, 2), 2, 1e-5, 3));
      expect(err).toBeLessThan(1e-7);
    });
  }

  it("APJN through one block (exact and Hutchinson) = ‖J‖²_F/N of a finite-difference Jacobian", async () => {
    await onDevice("cpu", async () => {
      const jax = await loadJax();
      for (const ln of ["pre", "post"] as const) {
        const model = await tiny(ln, 1);
        const params = model.init(7);
        const B = 2;
        const x = new Rng(9).normals(B * model.inputDim);
        const blocks = modelBlocks(model, params);
        const exact = await apjnExact(blocks, f64(jax, x, [B, model.inputDim]), {
          l0: 1,
          dtype: "float64",
        });
        const hutch = await apjnEmpirical(blocks, f64(jax, x, [B, model.inputDim]), {
          l0: 1,
          probes: 400,
          dtype: "float64",
          seed: 1,
        });
        // reference: embed each row, then differentiate block 1 by central differences
        const [embed, block] = blocks;
        const h = await readF64(embed!.apply(jax.tree.ref(embed!.params), f64(jax, x, [B, 6])));
        const N = 12;
        const step = 1e-5;
        let frob = 0;
        for (let j = 0; j < N; j++) {
          const shifted = (s: number) => {
            const hs = h.slice();
            for (let b = 0; b < B; b++) hs[b * N + j] += s;
            return readF64(block!.apply(jax.tree.ref(block!.params), f64(jax, hs, [B, N])));
          };
          const [up, down] = [await shifted(step), await shifted(-step)];
          for (let i = 0; i < B * N; i++) frob += ((up[i]! - down[i]!) / (2 * step)) ** 2;
        }
        const ref = frob / B / N;
        expect(Math.abs(Math.exp(exact[0]!) / ref - 1), `${ln} exact`).toBeLessThan(1e-8);
        const rel = Math.exp(hutch.logJ[0]!) / ref - 1;
        expect(Math.abs(rel), `${ln} Hutchinson`).toBeLessThan(4 * hutch.logStderr[0]! + 1e-9);
        jax.tree.dispose(params as never);
      }
    });
  });
});
