/** `critkit transformer-grads` and `critkit transformer-warmup` at small sizes. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { shutdownJax } from "../../src/nets/jax.js";
import { argv, itRejects, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "critkit-transformer-"));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdownJax();
});

describe("critkit transformer-grads", () => {
  it("--json: per-layer mean ± s.e. for each L, last-layer ratio beside Xiong et al.'s prediction, plot", async () => {
    const out = join(dir, "g.svg");
    const r = await runCli(
      ...argv(
        `transformer-grads --ln pre --layers 1,4 --width 16 --heads 2 --seeds 2 --batch 16 --json --out ${out}`,
      ),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.results.map((x: { grad_norm: unknown[] }) => x.grad_norm.length)).toEqual([1, 4]);
    for (const res of j.results)
      for (const g of res.grad_norm) {
        expect(g.mean).toBeGreaterThan(0);
        expect(g.se).toBeGreaterThanOrEqual(0);
      }
    expect(j.last_layer[0].ratio_measured).toBe(1);
    expect(j.last_layer[1].ratio_theory).toBeCloseTo(0.5, 12);
    expect(existsSync(out)).toBe(true);
  });
});

describe("critkit transformer-warmup", () => {
  it("--json: one loss curve per (LN, lr, warm-up), loss falls", async () => {
    const r = await runCli(
      ...argv(
        "transformer-warmup --ln post --layers 1 --width 8 --heads 2 --lr 0.01 --warmup 0,5 --steps 20 --batch-size 32 --json",
      ),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.runs.map((x: { warmup: number }) => x.warmup)).toEqual([0, 5]);
    for (const run of j.runs) {
      expect(run.loss).toHaveLength(20);
      expect(run.final_train_loss).toBeLessThan(run.loss[0]);
    }
  });
});

describe("bad input → one line naming the option, exit 2", () => {
  itRejects([
    [argv("transformer-grads --ln mid"), /--ln/],
    [argv("transformer-grads --layers 2,,3"), /--layers/],
    [argv("transformer-grads --layers 0"), /--layers/],
    [argv("transformer-grads --width 30 --heads 4"), /--heads/],
    [argv("transformer-grads --out g.txt"), /--out/],
    [argv("transformer-warmup --lr 1e-3,-1"), /--lr/],
    [argv("transformer-warmup --warmup 0,500 --steps 100"), /--warmup/],
    [argv("transformer-warmup --ln pre,side"), /--ln/],
  ]);
});
