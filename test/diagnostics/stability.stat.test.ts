/**
 * The stability bound against measured divergence: a linear model with MSE has a quadratic loss,
 * its λ_max comes from Lanczos on HVPs, and the divergence threshold is found by bisection on η
 * with real GD runs (the core optimizers: sgd with L2 weight decay, heavy-ball momentum).
 */
import { afterAll, describe, expect, it } from "vitest";
import { flatParams, hessianOperator, lanczos } from "../../src/diagnostics/hvp.js";
import { maxStableLr } from "../../src/diagnostics/stability.js";
import { loadJax, readF64, shutdownJax } from "../../src/nets/jax.js";
import { dense, type JaxParams } from "../../src/nets/layers/index.js";
import { createModel, valueAndGrad } from "../../src/nets/model.js";
import { Rng } from "../../src/rng.js";
import { makeOptimizer, type OptimizerConfig } from "../../src/train/optimizers.js";

afterAll(shutdownJax);

describe("stable learning rate on a quadratic model", () => {
  it("measured divergence threshold = 2(1+β)/(λ_max + λ) within 2 % (GD, L2 decay, momentum)", async () => {
    const jax = await loadJax();
    const model = await createModel(
      { inputWidth: 4, blocks: [dense(2, 1, 0.5)] },
      { loss: "mse", dtype: "float64" },
    );
    const rng = new Rng(3);
    const f64 = (v: Float64Array, shape: number[]) =>
      jax.numpy.array(v, { shape, dtype: jax.numpy.float64 });
    const batch = { x: f64(rng.normals(12 * 4), [12, 4]), y: f64(rng.normals(12 * 2), [12, 2]) };
    const params = model.init(0);
    const op = await hessianOperator(model, params, batch);
    const lambdaMax = (await lanczos(op, { tol: 1e-10, maxIter: op.size })).values[0]!;
    op.dispose();
    const grad = valueAndGrad(model);
    const flat = await flatParams(params);
    const theta0 = await flat.toFlat(jax.tree.ref(params as never) as JaxParams);
    /** true if 80 GD steps at lr grow the loss above its start */
    const diverges = async (lr: number, cfg: OptimizerConfig) => {
      const opt = makeOptimizer(jax, cfg);
      let p = flat.fromFlat(theta0);
      let state = opt.init(p);
      let first = 0;
      let last = 0;
      for (let t = 0; t < 80; t++) {
        const [v, g] = grad(p, batch.x, batch.y);
        last = (await readF64(v))[0]!;
        if (t === 0) first = last;
        const next = opt.step(p, g as JaxParams, state, lr);
        p = next.params;
        state = next.state;
      }
      jax.tree.dispose([p, state.slots] as never);
      opt.dispose();
      return !(last <= first);
    };
    const cases: Array<[OptimizerConfig, { weightDecay?: number; momentum?: number }]> = [
      [{ name: "sgd" }, {}],
      [{ name: "sgd", weightDecay: 0.3, wdMode: "l2" }, { weightDecay: 0.3 }],
      [{ name: "momentum", momentum: 0.5 }, { momentum: 0.5 }],
    ];
    for (const [cfg, bound] of cases) {
      const predicted = maxStableLr(lambdaMax, bound);
      let lo = 0.9 * predicted;
      let hi = 1.1 * predicted;
      expect(await diverges(lo, cfg), `${cfg.name} converges below`).toBe(false);
      expect(await diverges(hi, cfg), `${cfg.name} diverges above`).toBe(true);
      for (let i = 0; i < 5; i++) {
        const mid = (lo + hi) / 2;
        if (await diverges(mid, cfg)) hi = mid;
        else lo = mid;
      }
      expect(Math.abs((lo + hi) / 2 / predicted - 1), JSON.stringify(cfg)).toBeLessThan(0.02);
    }
    jax.tree.dispose([params, batch] as never);
  });
});
