import { beforeAll, describe, expect, it } from "vitest";
import {
  apjnEmpirical,
  apjnExact,
  apjnToOutput,
  type Block,
  jacobianExact,
} from "../../src/diagnostics/apjn.js";
import { dispose, type JaxArray, type JaxModule, loadJax } from "../../src/nets/jax.js";
import { Rng } from "../../src/rng.js";

let jax: JaxModule;

beforeAll(async () => {
  jax = await loadJax();
});

// ---------------------------------------------------------------------------------------------
// Test network: block l is h -> tanh(h) @ Wtᵀ... in row layout: h -> tanh(h) @ wt + b with
// wt = W_lᵀ ([in, out]), W ~ N(0, σ_w²/N), b ~ N(0, σ_b²). The same weights are kept in float64
// for a plain-JS reference.

interface MlpWeights {
  width: number;
  wt: Float64Array[]; // [in, out] row-major
  b: Float64Array[];
}

function mlpWeights(width: number, depth: number, sw2: number, sb2: number, seed: number) {
  const rng = new Rng(seed);
  const w: MlpWeights = { width, wt: [], b: [] };
  for (let l = 0; l < depth; l++) {
    w.wt.push(rng.normals(width * width, Math.sqrt(sw2 / width)));
    w.b.push(rng.normals(width, Math.sqrt(sb2)));
  }
  return w;
}

/** tanh as 1 − 2/(e^{2z}+1): fuses under jit (np.tanh is a jit'ed composite that does not). */
const tanh = (z: JaxArray) =>
  jax.numpy.negative(jax.numpy.reciprocal(jax.numpy.exp(z.mul(2)).add(1)).mul(2)).add(1);

interface MlpParams {
  wt: JaxArray;
  b: JaxArray;
}
const applyMlp = (p: MlpParams, h: JaxArray) => jax.numpy.matmul(tanh(h), p.wt).add(p.b);
const jvpMlp = (p: MlpParams, h: JaxArray, t: JaxArray): [JaxArray, JaxArray] => {
  const np = jax.numpy;
  const th = tanh(h);
  const d = np.negative(np.square(th.ref)).add(1);
  return [np.matmul(th, p.wt.ref).add(p.b), np.matmul(t.mul(d), p.wt)];
};

function mlpBlocks(w: MlpWeights, opts: { hand: boolean; dtype?: "float32" | "float64" }) {
  const np = jax.numpy;
  const n = w.width;
  const toArr = (x: Float64Array, shape: number[]) =>
    opts.dtype === "float64"
      ? np.array(x, { shape, dtype: np.float64 })
      : np.array(Float32Array.from(x), { shape });
  return w.wt.map(
    (wt, l): Block<MlpParams> => ({
      apply: applyMlp,
      ...(opts.hand ? { jvp: jvpMlp } : {}),
      params: { wt: toArr(wt, [n, n]), b: toArr(w.b[l], [n]) },
    }),
  ) as Block[];
}

function disposeBlocks(blocks: Block[]) {
  for (const b of blocks) dispose(b.params);
}

function inputArray(x: Float64Array, batch: number, width: number, f64 = false): JaxArray {
  const np = jax.numpy;
  return f64
    ? np.array(x, { shape: [batch, width], dtype: np.float64 })
    : np.array(Float32Array.from(x), { shape: [batch, width] });
}

/** Plain-JS float64 forward through the first `depth` blocks. */
function forwardJs(w: MlpWeights, x: Float64Array, depth: number): Float64Array {
  const n = w.width;
  let h = x;
  for (let l = 0; l < depth; l++) {
    const out = Float64Array.from(w.b[l]);
    for (let i = 0; i < n; i++) {
      const a = Math.tanh(h[i]);
      const row = i * n;
      for (let j = 0; j < n; j++) out[j] += a * w.wt[l][row + j];
    }
    h = out;
  }
  return h;
}

/** Central finite differences of forwardJs: J[i][j] = ∂h^depth_i/∂x_j, row-major. */
function jacobianFd(w: MlpWeights, x: Float64Array, depth: number, eps = 1e-5): Float64Array {
  const n = w.width;
  const jac = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += eps;
    xm[j] -= eps;
    const fp = forwardJs(w, xp, depth);
    const fm = forwardJs(w, xm, depth);
    for (let i = 0; i < n; i++) jac[i * n + j] = (fp[i] - fm[i]) / (2 * eps);
  }
  return jac;
}

function maxAbs(a: Float64Array) {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function maxAbsDiff(a: Float64Array, b: Float64Array) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const WIDTH = 32;
const DEPTH = 5;
const SW2 = 1.76;
const SB2 = 0.05;

// ---------------------------------------------------------------------------------------------

describe("exact Jacobian of a tanh MLP", () => {
  it("jacobianExact matches central finite differences of a plain-JS float64 network", async () => {
    const n = 16;
    const depth = 3;
    const w = mlpWeights(n, depth, SW2, SB2, 11);
    const x = new Rng(5).normals(n);
    const fd = jacobianFd(w, x, depth);
    const scale = maxAbs(fd);
    for (const dtype of ["float64", "float32"] as const) {
      const blocks = mlpBlocks(w, { hand: false, dtype });
      const xa = inputArray(x, 1, n, dtype === "float64");
      const jac = await jacobianExact(blocks, xa, { dtype });
      expect(jac.rows).toBe(n);
      expect(jac.cols).toBe(n);
      // f64 on Wasm evaluates exp (hence tanh) with f32 polynomials: ~1e-6 relative, not 1e-12.
      expect(maxAbsDiff(jac.data, fd) / scale).toBeLessThan(dtype === "float64" ? 2e-5 : 2e-5);
      dispose(xa);
      disposeBlocks(blocks);
    }
  });

  it("the hand-written jvp rule and the generic (autodiff) step give the same Jacobian", async () => {
    const w = mlpWeights(WIDTH, DEPTH, SW2, SB2, 3);
    const hand = mlpBlocks(w, { hand: true });
    const gen = mlpBlocks(w, { hand: false });
    const x = inputArray(new Rng(9).normals(WIDTH), 1, WIDTH);
    const a = await jacobianExact(hand, x, { l0: 1, l: 4 });
    const b = await jacobianExact(gen, x, { l0: 1, l: 4 });
    expect(maxAbsDiff(a.data, b.data) / maxAbs(b.data)).toBeLessThan(1e-5);
    dispose(x);
    disposeBlocks(hand);
    disposeBlocks(gen);
  });

  it("apjnExact equals ‖J‖²_F / N_l of the finite-difference Jacobian, averaged over inputs", async () => {
    const n = 16;
    const depth = 3;
    const batch = 2;
    const w = mlpWeights(n, depth, SW2, SB2, 13);
    const x = new Rng(17).normals(batch * n);
    const expected = new Float64Array(depth);
    for (let l = 1; l <= depth; l++) {
      let s = 0;
      for (let b = 0; b < batch; b++) {
        const jac = jacobianFd(w, x.subarray(b * n, (b + 1) * n), l);
        s += jac.reduce((acc, v) => acc + v * v, 0) / n;
      }
      expected[l - 1] = Math.log(s / batch);
    }
    const blocks = mlpBlocks(w, { hand: true, dtype: "float64" });
    const xa = inputArray(x, batch, n, true);
    const got = await apjnExact(blocks, xa, { dtype: "float64" });
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
    dispose(xa);
    disposeBlocks(blocks);
  });
});

describe("Hutchinson APJN estimate", () => {
  it("agrees with the exact APJN within 4 reported standard errors (width 32, depth 5)", async () => {
    const w = mlpWeights(WIDTH, DEPTH, SW2, SB2, 1);
    const blocks = mlpBlocks(w, { hand: true });
    const x = inputArray(new Rng(2).normals(4 * WIDTH), 4, WIDTH);
    const exact = await apjnExact(blocks, x);
    for (const seed of [1, 2]) {
      const est = await apjnEmpirical(blocks, x, { probes: 32, seed });
      expect(est.samples).toBe(128);
      for (let l = 0; l < DEPTH; l++) {
        expect(Math.abs(est.logJ[l] - exact[l])).toBeLessThan(4 * est.logStderr[l]);
        expect(est.logStderr[l]).toBeGreaterThan(0);
        expect(est.logStderr[l]).toBeLessThan(0.2);
      }
    }
    dispose(x);
    disposeBlocks(blocks);
  });

  it("converges as probes grow: error and reported stderr shrink like 1/√P", async () => {
    const w = mlpWeights(WIDTH, DEPTH, SW2, SB2, 4);
    const blocks = mlpBlocks(w, { hand: true });
    const x = inputArray(new Rng(6).normals(WIDTH), 1, WIDTH);
    const exact = await apjnExact(blocks, x);
    const rms = async (probes: number) => {
      let err2 = 0;
      let se2 = 0;
      const seeds = [1, 2, 3, 4];
      for (const seed of seeds) {
        const est = await apjnEmpirical(blocks, x, { probes, seed });
        for (let l = 0; l < DEPTH; l++) {
          err2 += (est.logJ[l] - exact[l]) ** 2;
          se2 += est.logStderr[l] ** 2;
        }
      }
      const m = seeds.length * DEPTH;
      return { err: Math.sqrt(err2 / m), se: Math.sqrt(se2 / m) };
    };
    const small = await rms(4);
    const large = await rms(256);
    // √(256/4) = 8: stderr drops ~8×; the realised error must drop too and stay within 3 stderr.
    expect(small.se / large.se).toBeGreaterThan(5);
    expect(small.se / large.se).toBeLessThan(12);
    expect(large.err).toBeLessThan(small.err / 2);
    expect(large.err).toBeLessThan(3 * large.se);
    dispose(x);
    disposeBlocks(blocks);
  });

  it("matches the generic autodiff step, float64, Rademacher probes and l0 > 0", async () => {
    const w = mlpWeights(WIDTH, DEPTH, SW2, SB2, 8);
    const hand = mlpBlocks(w, { hand: true });
    const gen = mlpBlocks(w, { hand: false });
    const x = inputArray(new Rng(10).normals(2 * WIDTH), 2, WIDTH);
    const a = await apjnEmpirical(hand, x, { probes: 8, seed: 3 });
    const b = await apjnEmpirical(gen, x, { probes: 8, seed: 3 });
    expect(maxAbsDiff(a.logJ, b.logJ)).toBeLessThan(1e-5);
    // float64 run: same probes, so the same estimate up to f32 rounding of the f32 run.
    const c = await apjnEmpirical(hand, x, { probes: 8, seed: 3, dtype: "float64" });
    expect(maxAbsDiff(a.logJ, c.logJ)).toBeLessThan(1e-4);

    const exact = await apjnExact(hand, x, { l0: 2 });
    const rad = await apjnEmpirical(hand, x, { probes: 64, l0: 2, probe: "rademacher" });
    expect(rad.logJ.length).toBe(DEPTH - 2);
    for (let i = 0; i < DEPTH - 2; i++) {
      expect(Math.abs(rad.logJ[i] - exact[i])).toBeLessThan(4 * rad.logStderr[i]);
    }
    dispose(x);
    disposeBlocks(hand);
    disposeBlocks(gen);
  });
});

describe("reverse mode", () => {
  it("apjnToOutput estimates J^{l,L} for every l within 4 stderr of the exact value", async () => {
    const w = mlpWeights(WIDTH, DEPTH, SW2, SB2, 21);
    const blocks = mlpBlocks(w, { hand: false });
    const x = inputArray(new Rng(22).normals(2 * WIDTH), 2, WIDTH);
    const est = await apjnToOutput(blocks, x, { probes: 64 });
    expect(est.logJ.length).toBe(DEPTH);
    for (let l = 0; l < DEPTH; l++) {
      const exact = await apjnExact(blocks, x, { l0: l });
      expect(Math.abs(est.logJ[l] - exact[DEPTH - l - 1])).toBeLessThan(4 * est.logStderr[l]);
    }
    const viaMode = await apjnEmpirical(blocks, x, { probes: 64, mode: "vjp", l0: 1 });
    const exact1 = await apjnExact(blocks, x, { l0: 1 });
    for (let i = 0; i < DEPTH - 1; i++) {
      expect(Math.abs(viaMode.logJ[i] - exact1[i])).toBeLessThan(4 * viaMode.logStderr[i]);
    }
    dispose(x);
    disposeBlocks(blocks);
  });
});

describe("depth 1000", () => {
  /** Orthogonal n×n matrix from Gram–Schmidt on Gaussian columns (plain JS, float64). */
  function orthogonal(n: number, rng: Rng): Float64Array {
    const q = rng.normals(n * n);
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * n + j] * q[i * n + k];
        for (let i = 0; i < n; i++) q[i * n + j] -= dot * q[i * n + k];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += q[i * n + j] ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) q[i * n + j] /= norm;
    }
    return q;
  }

  it("linear orthogonal blocks g·Q: log J^{0,l} grows by exactly 2 log g per block, far past f32 range", async () => {
    const np = jax.numpy;
    const n = 16;
    const depth = 1000;
    const rng = new Rng(31);
    const apply = (p: { w: JaxArray }, h: JaxArray) => np.matmul(h, p.w);
    for (const g of [1.1, 0.9]) {
      const blocks: Block[] = Array.from({ length: depth }, () => ({
        apply,
        params: {
          w: np.array(Float32Array.from(orthogonal(n, rng).map((v) => g * v)), { shape: [n, n] }),
        },
      })) as Block[];
      // Zero input keeps the primal at 0 (g^1000 h would overflow f32, and the generic jvp's
      // zero parameter tangents turn an infinite primal into NaN tangents: inf · 0).
      const x = inputArray(new Float64Array(n), 1, n);
      const est = await apjnEmpirical(blocks, x, { probes: 4 });
      expect(est.logJ.every(Number.isFinite)).toBe(true);
      // J^{0,1000} = g^2000 = e^{±190..210}: far outside f32 (e^±88) and f64-safe only in logs.
      const slope = 2 * Math.log(g);
      for (const l of [1, 10, 100, 999]) {
        expect(Math.abs(est.logJ[l] - est.logJ[0] - slope * l)).toBeLessThan(2e-3);
      }
      dispose(x);
      disposeBlocks(blocks);
    }
  });

  it("tanh MLP in the chaotic and ordered phases stays finite, with log J ≈ l·log χ", async () => {
    const n = 32;
    const depth = 1000;
    for (const sw2 of [4, 0.5]) {
      const w = mlpWeights(n, depth, sw2, SB2, 41);
      const blocks = mlpBlocks(w, { hand: true });
      const x = inputArray(new Rng(42).normals(n), 1, n);
      const est = await apjnEmpirical(blocks, x, { probes: 4 });
      expect(est.logJ.every(Number.isFinite)).toBe(true);
      expect(est.logStderr.every(Number.isFinite)).toBe(true);
      const perBlock = (est.logJ[depth - 1] - est.logJ[99]) / (depth - 100);
      // Chaotic (σ_w² = 4): J grows; ordered (σ_w² = 0.5): J decays, e^{-several hundred} at l = 1000.
      if (sw2 > 1) expect(perBlock).toBeGreaterThan(0.05);
      else expect(perBlock).toBeLessThan(-0.3);
      expect(Math.abs(est.logJ[depth - 1])).toBeGreaterThan(100);
      dispose(x);
      disposeBlocks(blocks);
    }
  });
});

describe("ownership", () => {
  it("leaves the caller's arrays untouched and does not grow Wasm memory over repeated calls", async () => {
    const w = mlpWeights(64, 8, SW2, SB2, 51);
    const hand = mlpBlocks(w, { hand: true });
    const gen = mlpBlocks(w, { hand: false });
    const x = inputArray(new Rng(52).normals(4 * 64), 4, 64);
    const refs = () => [x.refCount, ...hand.map((b) => (b.params as MlpParams).wt.refCount)];
    const before = refs();
    const run = async () => {
      await apjnEmpirical(hand, x, { probes: 16 });
      await apjnEmpirical(gen, x, { probes: 16 });
      await apjnToOutput(gen, x, { probes: 16 });
      await apjnEmpirical(hand, x, { probes: 16, dtype: "float64" });
    };
    for (let i = 0; i < 3; i++) await run();
    expect(refs()).toEqual(before);
    const wasmBytes = () => {
      const u = process.memoryUsage();
      return u.external - u.arrayBuffers;
    };
    const start = wasmBytes();
    for (let i = 0; i < 15; i++) await run();
    // A leak of one tangent per call would be ≥ 15 × (16·4·64·4 B) × 8 blocks ≈ 8 MB.
    expect(wasmBytes() - start).toBeLessThan(4e6);
    expect(refs()).toEqual(before);
    dispose(x);
    disposeBlocks(hand);
    disposeBlocks(gen);
  });
});
