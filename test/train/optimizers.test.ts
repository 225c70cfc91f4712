/**
 * Each optimizer against a plain-JS float64 transcription of torch.optim's update loops
 * (torch/optim/sgd.py `_single_tensor_sgd`, torch/optim/adam.py `_single_tensor_adam`, AdamW's
 * `param.mul_(1 - lr * weight_decay)`), fed the same gradient sequence, over several steps.
 * jax-js float64 +, −, ×, ÷ and sqrt are exact IEEE operations when run eagerly, so the
 * agreement is at rounding level (1e-12 relative).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import {
  type JaxArray,
  type JaxModule,
  loadJax,
  readF64,
  shutdownJax,
} from "../../src/nets/jax.js";
import type { JaxParams } from "../../src/nets/stax.js";
import { Rng } from "../../src/rng.js";
import { makeOptimizer, type OptimizerConfig } from "../../src/train/optimizers.js";
import { makeSchedule } from "../../src/train/schedules.js";

let jax: JaxModule;
beforeAll(async () => {
  jax = await loadJax();
});
afterAll(shutdownJax);

interface TorchCfg {
  lr: (t: number) => number;
  weight_decay: number;
  decoupled: boolean;
  kind: "sgd" | "adam";
  momentum: number;
  dampening: number;
  nesterov: boolean;
  betas: [number, number];
  eps: number;
  /** lr factor of each parameter group (torch param groups: leaf a = p[0..1], leaf b = p[2..5]) */
  groupLr?: [number, number];
}

/** torch.optim transcription on flat float64 vectors; gradFn gives ∇L(p) at step t. */
function torchReference(
  p0: Float64Array,
  gradFn: (p: Float64Array, t: number) => Float64Array,
  cfg: TorchCfg,
  steps: number,
): Float64Array {
  const p = Float64Array.from(p0);
  const n = p.length;
  const buf = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  for (let t = 0; t < steps; t++) {
    const grad = gradFn(p, t);
    for (let i = 0; i < n; i++) {
      const lr = cfg.lr(t) * (cfg.groupLr ? cfg.groupLr[i < 2 ? 0 : 1] : 1);
      let g = grad[i]!;
      if (cfg.decoupled) p[i] = p[i]! * (1 - lr * cfg.weight_decay);
      else g = g + cfg.weight_decay * p[i]!;
      if (cfg.kind === "sgd") {
        if (cfg.momentum !== 0) {
          buf[i] = t === 0 ? g : cfg.momentum * buf[i]! + (1 - cfg.dampening) * g;
          g = cfg.nesterov ? g + cfg.momentum * buf[i]! : buf[i]!;
        }
        p[i] = p[i]! - lr * g;
      } else {
        const [b1, b2] = cfg.betas;
        m[i] = m[i]! + (1 - b1) * (g - m[i]!); // exp_avg.lerp_(grad, 1 - beta1)
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        const bc1 = 1 - b1 ** (t + 1);
        const bc2 = 1 - b2 ** (t + 1);
        const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + cfg.eps;
        p[i] = p[i]! - (lr / bc1) * (m[i]! / denom);
      }
    }
  }
  return p;
}

// A non-quadratic objective with a known gradient, evaluated in JS: L(p) = Σ cᵢ pᵢ⁴/4 + sin-free
// coupling, ∇ᵢ = cᵢ pᵢ³ + 0.3 p_{i+1} (cyclic). The same gradient feeds both implementations.
const c = [0.7, 1.3, 2.1, 0.4, 1.9, 0.05];
const gradAt = (p: Float64Array) =>
  Float64Array.from(p, (x, i) => c[i]! * x ** 3 + 0.3 * p[(i + 1) % p.length]!);
const p0 = Float64Array.from([0.9, -1.2, 0.35, 2.2, -0.6, 1.5]);

async function runJax(
  cfg: OptimizerConfig,
  lr: (t: number) => number,
  steps: number,
  lrScales?: [number, number],
): Promise<Float64Array> {
  const np = jax.numpy;
  // Two leaves in a nested pytree to exercise flatten/unflatten.
  const toTree = (x: Float64Array): JaxParams => ({
    a: np.array(x.slice(0, 2), { dtype: np.float64 }),
    b: [np.array(x.slice(2), { dtype: np.float64 }).reshape([2, 2])],
  });
  const fromTree = async (t: JaxParams) => {
    const [a, b] = jax.tree.leaves(t) as never[];
    return Float64Array.from([...(await readF64(a)), ...(await readF64(b))]);
  };
  const opt = makeOptimizer(jax, cfg);
  let params = toTree(p0);
  let state = opt.init(params);
  for (let t = 0; t < steps; t++) {
    const host = await fromTree(jax.tree.ref(params));
    ({ params, state } = opt.step(params, toTree(gradAt(host)), state, lr(t), lrScales));
  }
  jax.tree.dispose(state.slots as never);
  opt.dispose();
  return fromTree(params);
}

const base: TorchCfg = {
  lr: () => 0.05,
  weight_decay: 0,
  decoupled: false,
  kind: "sgd",
  momentum: 0,
  dampening: 0,
  nesterov: false,
  betas: [0.9, 0.999],
  eps: 1e-8,
};
const cosine = makeSchedule({ name: "cosine", lr: 0.03, steps: 12, warmup: 3 });

const cases: Array<[string, OptimizerConfig, Partial<TorchCfg>]> = [
  ["sgd", { name: "sgd" }, {}],
  ["sgd + l2", { name: "sgd", weightDecay: 0.1, wdMode: "l2" }, { weight_decay: 0.1 }],
  ["sgd + decoupled", { name: "sgd", weightDecay: 0.1 }, { weight_decay: 0.1, decoupled: true }],
  ["momentum", { name: "momentum", momentum: 0.9 }, { momentum: 0.9 }],
  [
    "momentum dampening",
    { name: "momentum", momentum: 0.8, dampening: 0.3 },
    { momentum: 0.8, dampening: 0.3 },
  ],
  [
    "nesterov + l2",
    { name: "momentum", momentum: 0.9, nesterov: true, weightDecay: 0.01, wdMode: "l2" },
    { momentum: 0.9, nesterov: true, weight_decay: 0.01 },
  ],
  ["adam", { name: "adam" }, { kind: "adam" }],
  [
    "adam + l2",
    { name: "adam", weightDecay: 0.05, wdMode: "l2", beta1: 0.8, beta2: 0.99, eps: 1e-6 },
    { kind: "adam", weight_decay: 0.05, betas: [0.8, 0.99], eps: 1e-6 },
  ],
  [
    "adamw (decoupled), cosine schedule",
    { name: "adam", weightDecay: 0.05 },
    { kind: "adam", weight_decay: 0.05, decoupled: true, lr: cosine },
  ],
  // per-leaf lr factors (a parametrization's lrScales) = torch parameter groups with lr·factor
  [
    "sgd + decoupled, per-leaf lr ×3, ×0.5",
    { name: "sgd", weightDecay: 0.1 },
    { weight_decay: 0.1, decoupled: true, groupLr: [3, 0.5] },
  ],
  [
    "adamw, per-leaf lr ×0.25, ×2 (a parametrization's Adam column), cosine schedule",
    { name: "adam", weightDecay: 0.05 },
    { kind: "adam", weight_decay: 0.05, decoupled: true, groupLr: [0.25, 2], lr: cosine },
  ],
  [
    "nesterov + l2, per-leaf lr ×0.2, ×4, cosine schedule",
    { name: "momentum", momentum: 0.9, nesterov: true, weightDecay: 0.01, wdMode: "l2" },
    { momentum: 0.9, nesterov: true, weight_decay: 0.01, groupLr: [0.2, 4], lr: cosine },
  ],
];

/**
 * What the 1e-12 comparisons below rest on. Measured: +, −, × and sqrt are correctly rounded, but
 * ÷ is computed as x·(1/y) (two roundings: up to ~1 ulp off the correctly rounded quotient, 25 % of
 * random pairs differ in the last bit).
 */
it("jax-js float64 run eagerly: +, −, ×, sqrt bit-equal to JS; ÷ bit-equal to x·(1/y)", async () => {
  const np = jax.numpy;
  const rng = new Rng(1);
  const a = Float64Array.from(rng.normals(512), (v) => Math.exp(3 * v));
  const b = Float64Array.from(rng.normals(512), (v) => v * 1e-3 + 0.7);
  const arr = (v: Float64Array) => np.array(v, { dtype: np.float64 });
  const ops: Array<
    [string, (x: JaxArray, y: JaxArray) => JaxArray, (x: number, y: number) => number]
  > = [
    ["add", (x, y) => np.add(x, y), (x, y) => x + y],
    ["subtract", (x, y) => np.subtract(x, y), (x, y) => x - y],
    ["multiply", (x, y) => np.multiply(x, y), (x, y) => x * y],
    ["divide", (x, y) => np.divide(x, y), (x, y) => x * (1 / y)],
    [
      "sqrt",
      (x, y) => {
        y.dispose();
        return np.sqrt(x);
      },
      (x) => Math.sqrt(x),
    ],
    [
      "scalar",
      (x, y) => {
        y.dispose();
        return np.add(np.multiply(x, 0.1234567890123), 1e-8);
      },
      (x) => x * 0.1234567890123 + 1e-8,
    ],
  ];
  for (const [name, op, ref] of ops) {
    const got = await readF64(op(arr(a), arr(b)));
    const want = Float64Array.from(a, (x, i) => ref(x, b[i]!));
    expect([name, got]).toEqual([name, want]);
  }
  const quotient = await readF64(np.divide(arr(a), arr(b)));
  for (const [i, q] of quotient.entries())
    expect(Math.abs(q - a[i]! / b[i]!)).toBeLessThanOrEqual(2.3e-16 * Math.abs(a[i]! / b[i]!));
});

describe("optimizers match torch.optim update formulas (float64, 12 steps)", () => {
  for (const [name, cfg, torch] of cases) {
    it(name, async () => {
      const ref = { ...base, ...torch };
      const want = torchReference(p0, gradAt, ref, 12);
      const got = await runJax(cfg, ref.lr, 12, ref.groupLr);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(
          1e-12 * Math.max(1, Math.abs(want[i]!)),
        );
      }
      // The run moved the parameters (a no-op optimizer would fail here).
      expect(Math.abs(want[0]! - p0[0]!)).toBeGreaterThan(1e-3);
    });
  }
});

describe("optimizer config", () => {
  it("bad fields are InputErrors naming the field", () => {
    const bad: Array<[OptimizerConfig, string]> = [
      [{ name: "rmsprop" as never }, "optimizer"],
      [{ name: "sgd", weightDecay: -1 }, "weightDecay"],
      [{ name: "momentum", momentum: 1 }, "momentum"],
      [{ name: "adam", beta2: Number.NaN }, "beta2"],
      [{ name: "momentum", nesterov: true, dampening: 0.5 }, "nesterov"],
    ];
    for (const [cfg, field] of bad) {
      let err: unknown;
      try {
        makeOptimizer(jax, cfg);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).field).toBe(field);
    }
  });
});

describe("schedules", () => {
  it("constant, warm-up and cosine against their closed forms", () => {
    const lr = 0.4;
    expect(makeSchedule({ name: "constant", lr, steps: 10 })(7)).toBe(lr);
    const w = makeSchedule({ name: "warmup", lr, steps: 10, warmup: 4 });
    expect([0, 1, 2, 3, 4, 9].map(w)).toEqual([0.1, 0.2, 0.30000000000000004, 0.4, 0.4, 0.4]);
    const T = 20;
    const cos = makeSchedule({ name: "cosine", lr, steps: T, warmup: 4 });
    expect(cos(1)).toBeCloseTo(0.2, 15);
    expect(cos(4)).toBe(lr); // peak at the end of warm-up
    expect(cos(12)).toBeCloseTo(lr / 2, 15); // half-way through the decay: cos(π/2) = 0
    expect(cos(19)).toBeCloseTo(lr * 0.5 * (1 + Math.cos((Math.PI * 15) / 16)), 15);
    const noWarm = makeSchedule({ name: "cosine", lr, steps: T });
    expect(noWarm(0)).toBe(lr);
    expect(noWarm(10)).toBeCloseTo(lr / 2, 15);
    for (let t = 5; t < T; t++) expect(cos(t)).toBeLessThan(cos(t - 1));
  });

  it("bad schedule fields are InputErrors naming the field", () => {
    expect(() => makeSchedule({ name: "constant", lr: 0, steps: 5 })).toThrow(/^lr:/);
    expect(() => makeSchedule({ name: "constant", lr: 0.1, steps: 0 })).toThrow(/^steps:/);
    expect(() => makeSchedule({ name: "cosine", lr: 0.1, steps: 5, warmup: 5 })).toThrow(
      /^warmup:/,
    );
  });
});
