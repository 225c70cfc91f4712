/** `critkit sharpness`: JSON fields consistent with the stability bound, and bad input → exit 2. */
import { describe, expect, it } from "vitest";
import { argv, itRejects, runCli } from "./run-cli.js";

describe("critkit sharpness", () => {
  it("tracks sharpness; max stable lr at init = 2/λ_max(0); onset is the first step with λ ≥ 0.9·2/η", async () => {
    const r = await runCli(
      ...argv("sharpness --dataset iris --width 8 --depth 1 --lr 0.5 --steps 60 --every 20 --json"),
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tracked.step).toEqual([0, 20, 40, 60]);
    expect(out.max_stable_lr_at_init).toBeCloseTo(2 / out.sharpness_at_init, 12);
    const i = out.tracked.sharpness.findIndex((s: number) => s >= 0.9 * (2 / 0.5));
    expect(out.edge_of_stability_onset).toBe(i < 0 ? null : out.tracked.step[i]);
    expect(out.loss.value).toHaveLength(60);
  });
  itRejects([
    [argv("sharpness --lr 0"), /--lr/],
    [argv("sharpness --every 0"), /--every/],
    [argv("sharpness --dataset nope"), /--dataset/],
    [argv("sharpness --out s.txt"), /--out/],
  ]);
});
