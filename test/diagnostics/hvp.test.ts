/**
 * Hessian-vector products against finite differences of the gradient, the dense Hessian built
 * from HVPs against the one built from gradient differences (eigenvalues by Jacobi), Lanczos and
 * power iteration against the dense eigensolver, and Jacobi against a matrix with known spectrum.
 * float64 on relu/linear MSE models: jax-js's float64 +, −, ×, ÷ are exact there, so the loss is
 * piecewise quadratic and central differences are exact up to rounding.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  compileHessian,
  flatParams,
  hessianOperator,
  lanczos,
  powerIteration,
} from "../../src/diagnostics/hvp.js";
import { type JaxArray, loadJax, shutdownJax } from "../../src/nets/jax.js";
import type { JaxParams } from "../../src/nets/layers/index.js";
import { mlpModel, valueAndGrad } from "../../src/nets/model.js";
import { Rng } from "../../src/rng.js";
import { activation } from "../../src/theory/activations.js";
import { symmetricEigen } from "../../src/theory/eigen.js";

afterAll(shutdownJax);

async function setup(width: number, phi: string, batch: number) {
  const jax = await loadJax();
  const model = await mlpModel({
    inputDim: 3,
    width,
    depth: 2,
    outputDim: 2,
    activation: activation(phi),
    sigmaW2: 1.7,
    sigmaB2: 0.1,
    loss: "mse",
    dtype: "float64",
  });
  const rng = new Rng(5);
  const f64 = (v: Float64Array, shape: number[]) =>
    jax.numpy.array(v, { shape, dtype: jax.numpy.float64 });
  const b = {
    x: f64(rng.normals(batch * 3), [batch, 3]),
    y: f64(rng.normals(batch * 2), [batch, 2]),
  };
  const params = model.init(1);
  const flat = await flatParams(params);
  const grad = valueAndGrad(model);
  const gradAt = async (theta: Float64Array) => {
    const p = flat.fromFlat(theta);
    const [v, g] = grad(p, b.x, b.y);
    v.dispose();
    jax.tree.dispose(p as never);
    return flat.toFlat(g as JaxParams);
  };
  const theta = await flat.toFlat(jax.tree.ref(params as never) as JaxParams);
  return { jax, model, params, batch: b, flat, gradAt, theta };
}

describe("Hessian-vector products (float64)", () => {
  it("H e_j column by column = central differences of the gradient; eigenvalues agree to 1e-8", async () => {
    const s = await setup(2, "relu", 6);
    const op = await hessianOperator(s.model, s.params, s.batch);
    const n = op.size;
    const byHvp = new Float64Array(n * n);
    const byFd = new Float64Array(n * n);
    const h = 1e-5;
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      byHvp.set(await op.apply(e), j * n);
      const up = Float64Array.from(s.theta);
      up[j]! += h;
      const down = Float64Array.from(s.theta);
      down[j]! -= h;
      const [gu, gd] = [await s.gradAt(up), await s.gradAt(down)];
      for (let i = 0; i < n; i++) byFd[j * n + i] = (gu[i]! - gd[i]!) / (2 * h);
    }
    let asym = 0;
    let scale = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        asym = Math.max(asym, Math.abs(byHvp[i * n + j]! - byHvp[j * n + i]!));
        scale = Math.max(scale, Math.abs(byHvp[i * n + j]!));
      }
    expect(asym / scale, "symmetric").toBeLessThan(1e-13);
    const a = symmetricEigen(byHvp, n).values;
    const b = symmetricEigen(byFd, n).values;
    for (let i = 0; i < n; i++) expect(Math.abs(a[i]! - b[i]!) / a[0]!).toBeLessThan(1e-8);
    op.dispose();
  });

  it("H v = (∇L(θ + hv) − ∇L(θ − hv)) / 2h for a random direction (tanh on the f64 path)", async () => {
    const s = await setup(4, "tanh", 5);
    const op = await hessianOperator(s.model, s.params, s.batch);
    const v = new Rng(9).normals(op.size);
    const hv = await op.apply(v);
    const h = 1e-5;
    const gu = await s.gradAt(s.theta.map((t, i) => t + h * v[i]!));
    const gd = await s.gradAt(s.theta.map((t, i) => t - h * v[i]!));
    let num = 0;
    let den = 0;
    for (let i = 0; i < op.size; i++) {
      num += ((gu[i]! - gd[i]!) / (2 * h) - hv[i]!) ** 2;
      den += hv[i]! ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-7);
    op.dispose();
  });

  it("Lanczos top-3 = dense Jacobi eigenvalues of a ~200-parameter model; same residual test, fewer HVPs than power iteration", async () => {
    const s = await setup(10, "relu", 16);
    const op = await hessianOperator(s.model, s.params, s.batch);
    const n = op.size;
    expect(n).toBeGreaterThan(150);
    const dense = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      dense.set(await op.apply(e), j * n);
    }
    const ref = symmetricEigen(dense, n).values;
    const lz = await lanczos(op, { k: 3, tol: 1e-10, maxIter: n });
    expect(lz.converged).toBe(true);
    for (let i = 0; i < 3; i++)
      expect(Math.abs(lz.values[i]! - ref[i]!) / ref[0]!).toBeLessThan(1e-9);
    const l1 = await lanczos(op, { tol: 1e-3, maxIter: n });
    const pw = await powerIteration(op, { tol: 1e-3, maxIter: 500 });
    expect(Math.abs(l1.values[0]! - ref[0]!) / ref[0]!).toBeLessThan(1e-3);
    expect(pw.converged).toBe(true);
    expect(Math.abs(pw.values[0]! - ref[0]!) / ref[0]!).toBeLessThan(1e-3);
    expect(l1.hvps).toBeLessThan(pw.hvps);
    op.dispose();
  });
});

describe("Hessian-vector products (float32, jit'ed)", () => {
  it("H v and ∇L equal the float64 path's for the same weights to float32 accuracy", async () => {
    const s64 = await setup(8, "tanh", 12);
    const jax = s64.jax;
    const model32 = await mlpModel({
      inputDim: 3,
      width: 8,
      depth: 2,
      outputDim: 2,
      activation: activation("tanh"),
      sigmaW2: 1.7,
      sigmaB2: 0.1,
      loss: "mse",
    });
    const cast = <T>(tree: T): T =>
      jax.tree.map(
        (l: JaxArray) => jax.numpy.astype(l, jax.numpy.float32),
        jax.tree.ref(tree as never) as never,
      ) as T;
    const params32 = cast(s64.params);
    const batch32 = cast(s64.batch);
    const op32 = await hessianOperator(model32, params32, batch32);
    const op64 = await hessianOperator(s64.model, s64.params, s64.batch);
    const rel = (a: Float64Array, b: Float64Array) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i]! - b[i]!) ** 2;
        den += b[i]! ** 2;
      }
      return Math.sqrt(num / den);
    };
    const v = new Rng(3).normals(op64.size);
    expect(rel(await op32.apply(v), await op64.apply(v))).toBeLessThan(1e-5);
    expect(rel(await op32.gradient(), await op64.gradient())).toBeLessThan(1e-5);
    op32.dispose();
    op64.dispose();

    // compiled once, applied at a second point θ + 0.5 u: the float64 operator built there
    const compiled = await compileHessian(model32);
    const u = new Rng(4).normals(op64.size);
    const moved = s64.flat.fromFlat(s64.theta.map((t, i) => t + 0.5 * u[i]!));
    const moved32 = cast(moved);
    const at64 = await hessianOperator(s64.model, moved, s64.batch);
    const first = await (await compiled.at(params32, batch32)).apply(v);
    const second = await (await compiled.at(moved32, batch32)).apply(v);
    const expected = await at64.apply(v);
    expect(rel(second, expected)).toBeLessThan(1e-5);
    expect(rel(first, expected)).toBeGreaterThan(1e-2); // the point moved the Hessian
    compiled.dispose();
    at64.dispose();
    jax.tree.dispose([params32, batch32, moved, moved32] as never);
  });
});

describe("Jacobi eigensolver", () => {
  it("recovers the spectrum of Q diag(d) Qᵀ (Q from Householder reflections) to 1e-12 (‖A‖ ≈ 15)", () => {
    const n = 30;
    const rng = new Rng(2);
    const d = Float64Array.from({ length: n }, (_, i) => (i - 10) * 0.37 + 0.01 * i * i);
    const u = rng.normals(n);
    const uu = u.reduce((a, x) => a + x * x, 0);
    // A = (I − 2uuᵀ/uᵀu) diag(d) (I − 2uuᵀ/uᵀu)
    const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i]! * u[j]!) / uu;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += q(i, k) * d[k]! * q(j, k);
        a[i * n + j] = s;
      }
    const { values, vectors } = symmetricEigen(a, n);
    const sorted = Array.from(d).sort((x, y) => y - x);
    for (let i = 0; i < n; i++) expect(Math.abs(values[i]! - sorted[i]!)).toBeLessThan(1e-12);
    // A v = λ v for the top vector
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * vectors[k]!;
      expect(Math.abs(s - values[0]! * vectors[i]!)).toBeLessThan(1e-12);
    }
  });
});
