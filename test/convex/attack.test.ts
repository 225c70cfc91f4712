import { describe, expect, it } from "vitest";
import { admm } from "../../src/convex/admm.js";
import { inputGradient, pgdAttack } from "../../src/convex/attack.js";
import { matrix } from "../../src/convex/linalg.js";
import { hinge } from "../../src/convex/losses.js";
import { type Network, networkOutput } from "../../src/convex/network.js";
import { samplePatterns } from "../../src/convex/patterns.js";
import { recoverNetwork } from "../../src/convex/recover.js";
import { iris } from "../../src/data/datasets.js";
import { Rng } from "../../src/rng.js";

describe("PGD attack on a recovered network", () => {
  it("input gradient matches central finite differences", () => {
    const rng = new Rng(3);
    const net: Network = { d: 5, m: 4, U: rng.normals(20), alpha: rng.normals(4) };
    const x = rng.normals(5);
    const g = inputGradient(net, x);
    const f = (z: Float64Array) => networkOutput(net, matrix(1, 5, z))[0]!;
    for (let c = 0; c < 5; c++) {
      const h = 1e-6;
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[c] += h;
      xm[c] -= h;
      expect(g[c]).toBeCloseTo((f(xp) - f(xm)) / (2 * h), 6);
    }
  });

  it("attains the exact worst case 1 − y f(x) + ε|α|‖u‖₁ on a linear network relu(z) − relu(−z) = z", () => {
    const ds = iris();
    const rng = new Rng(4);
    const u = rng.normals(5);
    const net: Network = {
      d: 5,
      m: 2,
      U: Float64Array.from([...u, ...u.map((v) => -v)]),
      alpha: Float64Array.of(0.7, -0.7),
    };
    const eps = 0.1;
    const r = pgdAttack(net, ds.X, ds.y, eps, rng, { steps: 10, restarts: 0 });
    const l1 = 0.7 * u.subarray(0, 4).reduce((s, v) => s + Math.abs(v), 0);
    const f = networkOutput(net, ds.X);
    const exact = f.reduce((s, v, k) => s + Math.max(0, 1 - ds.y[k]! * v + eps * l1), 0);
    expect(r.adversarialHinge).toBeCloseTo(exact, 9);
    for (let k = 0; k < ds.X.rows; k++) {
      for (let c = 0; c < 5; c++) {
        const dlt = r.X.data[k * 5 + c]! - ds.X.data[k * 5 + c]!;
        expect(Math.abs(dlt)).toBeLessThanOrEqual(c === 4 ? 0 : eps + 1e-15);
      }
    }
  });

  it("on the convex-trained iris network: adversarial accuracy ≤ clean, hinge grows with ε, ε = 0 changes nothing", () => {
    const ds = iris();
    const p = {
      X: ds.X,
      y: ds.y,
      patterns: samplePatterns(ds.X, 40, new Rng(1)),
      lambda: 1e-2,
      loss: hinge,
      gated: false,
    };
    const net = recoverNetwork(p, admm(p, { maxIter: 500, tol: 1e-4 }).u);
    const at = (eps: number) => pgdAttack(net, ds.X, ds.y, eps, new Rng(2));
    const zero = at(0);
    expect(zero.adversarialAccuracy).toBe(zero.cleanAccuracy);
    expect(zero.adversarialHinge).toBe(zero.cleanHinge);
    let prev = zero;
    for (const eps of [0.05, 0.2, 0.5]) {
      const r = at(eps);
      expect(r.adversarialAccuracy).toBeLessThanOrEqual(prev.adversarialAccuracy);
      expect(r.adversarialHinge).toBeGreaterThan(prev.adversarialHinge);
      prev = r;
    }
    expect(prev.adversarialAccuracy).toBeLessThan(zero.cleanAccuracy);
  });
});
