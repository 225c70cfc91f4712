/**
 * Infinite-width NTK of the layer kernel maps against closed forms written independently here:
 * the ReLU arc-cosine NTK as a sum of products (Arora et al. 2019, eq. 4) and neural-tangents'
 * Erf formulas (stax.Erf with a = b = 1, c = 0).
 */
import { describe, expect, it } from "vitest";
import { act, dense, layerNorm, residual, serial } from "../../src/nets/layers/index.js";
import { activation } from "../../src/theory/activations.js";
import { gaussianKernel, inputKernel } from "../../src/theory/kernel.js";
import { kernelGrams, kernelThrough } from "../../src/theory/kernel-gram.js";

/** κ0, κ1: the arc-cosine kernels of degree 0, 1 (Cho & Saul 2009), for unit variances. */
const kappa0 = (c: number) => (Math.PI - Math.acos(c)) / Math.PI;
const kappa1 = (c: number) => (Math.sqrt(1 - c * c) + (Math.PI - Math.acos(c)) * c) / Math.PI;

describe("infinite-width NTK", () => {
  it("ReLU, σ_w² = 2, σ_b² = 0, depth L: Θ = Σ_h Σ^{h−1} Π_{h'≥h} Σ̇^{h'} (arc-cosine) to 1e-10", () => {
    const relu = activation("relu");
    const a = [0.6, -0.8, 1.2, 0.1];
    const b = [-0.3, 0.9, 0.5, -1.4];
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const [ua, ub] = [a, b].map((v) => v.map((x) => (x / norm(v)) * Math.sqrt(v.length)));
    for (const L of [1, 2, 5]) {
      const layers = [
        dense(1, 2, 0),
        ...Array.from({ length: L }, () => serial(act(relu), dense(1, 2, 0))),
      ];
      const k = kernelThrough(layers, inputKernel(ua!, ub!));
      // Σ^0 = c (inputs of norm √n, σ_w² = 2 doubles the dense record, ReLU halves it back)
      const c0 = ua!.reduce((s, x, i) => s + x * ub![i]!, 0) / ua!.length;
      const sigma = [2 * c0];
      const dot: number[] = [0];
      for (let h = 1; h <= L; h++) {
        const c = sigma[h - 1]! / 2;
        sigma.push(2 * kappa1(c));
        dot.push(kappa0(c)); // σ_w² E[φ′φ′] = 2 κ0(c)/2
      }
      let theta = 0;
      for (let h = 0; h <= L; h++) {
        let prod = 1;
        for (let hp = h + 1; hp <= L; hp++) prod *= dot[hp]!;
        theta += sigma[h]! * prod;
      }
      expect(Math.abs(k.q12 - sigma[L]!)).toBeLessThan(1e-10);
      expect(Math.abs(k.t12 - theta)).toBeLessThan(1e-10 * theta);
      expect(Math.abs(k.t1 - (L + 1) * 2)).toBeLessThan(1e-10);
    }
  });

  it("erf: neural-tangents' Erf nngp and ntk, (2/π) arcsin(2q12/√((1+2q1)(1+2q2))) and (4/π)/√(…) to 1e-12", () => {
    const erf = activation("erf");
    const [q1, q2, q12, t1, t2, t12] = [0.7, 1.9, -0.4, 1.3, 2.2, 0.5];
    const k = serial(act(erf), dense(1, 1.5, 0.2)).map({
      ...gaussianKernel(q1, q2, q12 / Math.sqrt(q1 * q2)),
      t1,
      t2,
      t12,
    }).kernel;
    const nngp = (2 / Math.PI) * Math.asin((2 * q12) / Math.sqrt((1 + 2 * q1) * (1 + 2 * q2)));
    const dnngp = 4 / Math.PI / Math.sqrt((1 + 2 * q1) * (1 + 2 * q2) - 4 * q12 * q12);
    expect(k.q12).toBeCloseTo(1.5 * nngp + 0.2, 12);
    expect(k.t12).toBeCloseTo(1.5 * (t12 * dnngp) + 1.5 * nngp + 0.2, 12);
    const d1 = 4 / Math.PI / Math.sqrt((1 + 2 * q1) * (1 + 2 * q1) - 4 * q1 * q1);
    expect(k.t1).toBeCloseTo(1.5 * t1 * d1 + k.q1, 12);
  });

  it("Gram matrices are symmetric, positive semi-definite in their 2×2 minors; residual adds μ²Θ + Θ_block", () => {
    const tanh = activation("tanh");
    const block = serial(act(tanh), dense(1, 1.3, 0.1));
    const layers = [
      dense(1, 1.3, 0.1),
      residual(0.8, block),
      serial(layerNorm(), act(tanh), dense(1, 1, 0)),
    ];
    const x = [
      [1, 0, 2],
      [0.5, -1, 0.3],
      [-2, 1, 1],
    ];
    const g = kernelGrams(layers, x);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        expect(g.ntk[i * 3 + j]).toBe(g.ntk[j * 3 + i]);
        expect(
          g.ntk[i * 3 + i]! * g.ntk[j * 3 + j]! - g.ntk[i * 3 + j]! ** 2,
        ).toBeGreaterThanOrEqual(-1e-12);
      }
    const k = dense(1, 1.3, 0.1).map(inputKernel(x[0]!, x[1]!)).kernel;
    const r = residual(0.8, block).map(k).kernel;
    expect(r.t12).toBeCloseTo(0.64 * k.t12 + block.map(k).kernel.t12, 14);
  });
});
