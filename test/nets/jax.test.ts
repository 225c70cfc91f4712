import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dispose,
  type JaxArray,
  type JaxModule,
  jaxRuntime,
  keep,
  loadJax,
  readF32,
  readF64,
  resolveWorkers,
} from "../../src/nets/jax.js";
import { Rng } from "../../src/rng.js";

let jax: JaxModule;

beforeAll(async () => {
  jax = await loadJax();
});

function matmulJs(a: Float64Array, b: Float64Array, m: number, k: number, n: number) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
    }
  }
  return c;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

describe("loadJax", () => {
  it("is idempotent and reports the runtime it set up", async () => {
    const again = await loadJax({ workers: true });
    expect(again).toBe(jax);
    const rt = jaxRuntime();
    expect(rt.node).toBe(true);
    expect(rt.workers).toBe(resolveWorkers());
    expect(rt.relaxedSimd).toBe(true);
    expect(jax.defaultDevice()).toBe("wasm");
  });

  it("CRITKIT_WORKERS and the argument choose the worker pool (argument wins)", () => {
    const saved = process.env.CRITKIT_WORKERS;
    try {
      process.env.CRITKIT_WORKERS = "1";
      expect(resolveWorkers()).toBe(true);
      expect(resolveWorkers(false)).toBe(false);
      process.env.CRITKIT_WORKERS = "0";
      expect(resolveWorkers()).toBe(false);
      expect(resolveWorkers(true)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.CRITKIT_WORKERS;
      else process.env.CRITKIT_WORKERS = saved;
    }
  });

  it("matmul agrees with a plain-JS float64 matmul (f32: 1e-6, f64: 1e-13 relative)", async () => {
    const np = jax.numpy;
    const rng = new Rng(1);
    // 37 columns: not a multiple of 4, so the non-SIMD path is checked too.
    for (const [m, k, n] of [
      [16, 64, 32],
      [5, 48, 37],
    ]) {
      const a = rng.normals(m * k);
      const b = rng.normals(k * n);
      const ref = matmulJs(a, b, m, k, n);
      const c32 = await readF32(
        np.matmul(
          np.array(Float32Array.from(a), { shape: [m, k] }),
          np.array(Float32Array.from(b), { shape: [k, n] }),
        ),
      );
      expect(maxRelDiff(c32, ref)).toBeLessThan(1e-5);
      const c64 = await readF64(
        np.matmul(
          np.array(a, { shape: [m, k], dtype: np.float64 }),
          np.array(b, { shape: [k, n], dtype: np.float64 }),
        ),
      );
      expect(maxRelDiff(c64, ref)).toBeLessThan(1e-13);
    }
  });

  it("np.einsum works (needs the iterator-helper polyfill on Node 20)", async () => {
    const np = jax.numpy;
    const a = np.array(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] });
    const out = await readF32(np.einsum("ij,ij->i", keep(a), a));
    expect(Array.from(out)).toEqual([5, 25]);
  });

  it("jvp of a float64 tanh MLP matches central finite differences of a plain-JS float64 copy", async () => {
    const np = jax.numpy;
    const n = 12;
    const rng = new Rng(7);
    const w1 = rng.normals(n * n, Math.sqrt(1.5 / n));
    const w2 = rng.normals(n * n, Math.sqrt(1.5 / n));
    const b1 = rng.normals(n, 0.2);
    const x = rng.normals(n);
    const v = rng.normals(n);
    const forward = (h: Float64Array) => {
      const z = matmulJs(h.map(Math.tanh), w1, 1, n, n).map((s, i) => s + b1[i]);
      return matmulJs(z.map(Math.tanh), w2, 1, n, n);
    };
    const eps = 1e-5;
    const fp = forward(x.map((xi, i) => xi + eps * v[i]));
    const fm = forward(x.map((xi, i) => xi - eps * v[i]));
    const fd = fp.map((p, i) => (p - fm[i]) / (2 * eps));

    const f64 = (d: Float64Array, shape: number[]) => np.array(d, { shape, dtype: np.float64 });
    const W1 = f64(w1, [n, n]);
    const W2 = f64(w2, [n, n]);
    const B1 = f64(b1, [n]);
    const net = (h: JaxArray) =>
      np.matmul(np.tanh(np.matmul(np.tanh(h), keep(W1)).add(keep(B1))), keep(W2));
    const [y, tangent] = jax.jvp(net, [f64(x, [1, n])], [f64(v, [1, n])]);
    const yJs = await readF64(y);
    const tJs = await readF64(tangent);
    // f64 on Wasm: +−×÷ are exact f64 but exp/tanh are f32 polynomials (≈4e-5 relative for tanh).
    expect(maxRelDiff(yJs, forward(x))).toBeLessThan(1e-4);
    expect(maxRelDiff(tJs, fd)).toBeLessThan(1e-4);
    dispose(W1, W2, B1);
  });

  it("keep/dispose/read helpers follow jax-js ownership (refCount back where it started)", async () => {
    const np = jax.numpy;
    const a = np.array(new Float32Array([1, 2, 3]), { shape: [3] });
    expect(a.refCount).toBe(1);
    const s = await readF64(keep(a).mul(2));
    expect(Array.from(s)).toEqual([2, 4, 6]);
    expect(a.refCount).toBe(1);
    const tree = { w: keep(a), list: [keep(a), null] };
    expect(a.refCount).toBe(3);
    dispose(tree, undefined);
    expect(a.refCount).toBe(1);
    dispose(a);
    expect(a.refCount).toBe(0);
  });
});

describe("worker pool (child process)", () => {
  it("CRITKIT_WORKERS=1 runs kernels on worker threads, gives the same result, and the process exits", async () => {
    const jaxModule = fileURLToPath(new URL("../../src/nets/jax.ts", import.meta.url));
    const script = `
      const { loadJax, jaxRuntime, readF32 } = await import(${JSON.stringify(jaxModule)});
      const jax = await loadJax();
      const np = jax.numpy;
      const a = np.array(new Float32Array(256 * 256).map((_, i) => Math.sin(i)), { shape: [256, 256] });
      const c = await readF32(np.matmul(a.ref, a).sum(1));
      console.log(JSON.stringify({ rt: jaxRuntime(), head: Array.from(c.slice(0, 4)) }));`;
    const run = (workers: string) =>
      new Promise<{ rt: { workers: boolean; threads: number }; head: number[] }>(
        (resolve, reject) => {
          execFile(
            process.execPath,
            ["--import", "tsx", "--input-type=module", "-e", script],
            { env: { ...process.env, CRITKIT_WORKERS: workers }, timeout: 60_000 },
            (err, stdout, stderr) =>
              err
                ? reject(new Error(`code ${err.code} signal ${err.signal}\n${stdout}\n${stderr}`))
                : resolve(JSON.parse(stdout.trim())),
          );
        },
      );
    const [on, off] = await Promise.all([run("1"), run("0")]);
    expect(on.rt.workers).toBe(true);
    expect(on.rt.threads).toBeGreaterThanOrEqual(1);
    expect(off.rt.workers).toBe(false);
    for (let i = 0; i < 4; i++) expect(on.head[i]).toBeCloseTo(off.head[i], 3);
  });
});
