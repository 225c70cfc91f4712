import { afterAll, describe, expect, it } from "vitest";
import { shutdownJax } from "../../src/nets/jax.js";
import { argv, itRejects, runCli } from "./run-cli.js";

afterAll(shutdownJax);

describe("critkit resnet-scaling", () => {
  it("--json: one row per (β, L) with measurement beside the recursion", async () => {
    const r = await runCli(
      ...argv(
        "resnet-scaling --beta 0.5,1 --depths 2,6 --width 16 --seeds 2 --inputs 2 --probes 2 --json",
      ),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows.map((x: { beta: number; depth: number }) => [x.beta, x.depth])).toEqual([
      [0.5, 2],
      [0.5, 6],
      [1, 2],
      [1, 6],
    ]);
    for (const row of j.rows) {
      expect(row.grad_norm2).toHaveLength(row.depth);
      // ReLU, σ_w² = 2: log Var theory = L log(1 + α²)
      expect(row.log_variance_theory).toBeCloseTo(row.depth * Math.log1p(row.alpha ** 2), 10);
      expect(Math.abs(row.log_apjn - row.log_apjn_theory)).toBeLessThan(0.5);
    }
  });

  it("--weights smooth: no i.i.d. theory (null), finite measurements", async () => {
    const r = await runCli(
      ...argv(
        "resnet-scaling --beta 1 --depths 4 --width 8 --seeds 2 --inputs 1 --probes 2 --weights smooth --no-grads --json",
      ),
    );
    expect(r.code).toBe(0);
    const row = JSON.parse(r.stdout).rows[0];
    expect(row.log_variance_theory).toBeNull();
    expect(row.grad_norm2).toBeNull();
    expect(Number.isFinite(row.log_variance)).toBe(true);
  });
});

itRejects([
  [argv("resnet-scaling --beta 0.5,x"), /--beta/],
  [argv("resnet-scaling --beta 0.5,"), /--beta/],
  [argv("resnet-scaling --depths 0"), /--depths/],
  [argv("resnet-scaling --weights wiener"), /--weights/],
  [argv("resnet-scaling --width -3"), /--width/],
  [argv("resnet-scaling --activation nope"), /--activation/],
  [argv("resnet-scaling --plot loss"), /--plot/],
  [argv("resnet-scaling --out r.txt"), /--out/],
]);
