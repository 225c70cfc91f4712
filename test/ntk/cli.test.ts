/** `critkit ntk`: JSON output consistent with its own matrices, and one-line errors for bad input. */
import { describe, expect, it } from "vitest";
import { argv, itRejects, runCli } from "../cli/run-cli.js";

describe("critkit ntk", () => {
  it("--json: symmetric matrices, relative error = ‖Θ_emp − Θ_∞‖_F/‖Θ_∞‖_F of the printed matrices", async () => {
    const r = await runCli(...argv("ntk --dataset iris --samples 6 --width 64 --json"));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const inf: number[][] = j.ntk_infinite;
    const emp: number[][] = j.ntk_empirical;
    let d = 0;
    let s = 0;
    for (let a = 0; a < 6; a++)
      for (let b = 0; b < 6; b++) {
        expect(inf[a]![b]).toBe(inf[b]![a]);
        d += (emp[a]![b]! - inf[a]![b]!) ** 2;
        s += inf[a]![b]! ** 2;
      }
    expect(j.relative_error).toBeCloseTo(Math.sqrt(d / s), 10);
    expect(j.relative_error).toBeLessThan(0.6);
  });
  it("--seeds 2: the fluctuation is ‖Θ_0 − Θ_1‖/(√2 ‖Θ̄‖) of the two single-seed runs' matrices", async () => {
    const base = "ntk --samples 5 --width 16 --depth 3 --json";
    const run = async (extra: string) =>
      JSON.parse((await runCli(...argv(`${base} ${extra}`))).stdout);
    const [both, s0, s1] = [await run("--seeds 2"), await run("--seed 0"), await run("--seed 1")];
    const [a, b] = [s0.ntk_empirical.flat(), s1.ntk_empirical.flat()] as number[][];
    const diff = Math.hypot(...a!.map((v, i) => v - b![i]!));
    const mean = Math.hypot(...a!.map((v, i) => (v + b![i]!) / 2));
    expect(both.over_seeds.fluctuation).toBeCloseTo(diff / Math.SQRT2 / mean, 10);
    expect(both.over_seeds.mean_relative_error).toBeCloseTo(
      (s0.relative_error + s1.relative_error) / 2,
      10,
    );
    expect(both.over_seeds.depth_over_width).toBe(3 / 16);
    expect(s0.over_seeds).toBeNull();
  });

  it("the seed-to-seed fluctuation of Θ grows with depth/width: more depth raises it, more width lowers it", async () => {
    const fl = async (depth: number, width: number) =>
      JSON.parse(
        (
          await runCli(
            ...argv(`ntk --samples 8 --seeds 8 --depth ${depth} --width ${width} --json`),
          )
        ).stdout,
      ).over_seeds.fluctuation as number;
    const [shallow, deep, wide] = [await fl(1, 32), await fl(8, 32), await fl(1, 128)];
    // relative variance ≈ c·L/N (Hanin & Nica 2019): ×8 depth → fluctuation ×~2.8, ×4 width → ×~0.5
    expect(deep / shallow).toBeGreaterThan(1.7);
    expect(wide / shallow).toBeLessThan(0.75);
  });

  itRejects([
    [argv("ntk --seeds 0"), /--seeds/],
    [argv("ntk --samples 1"), /--samples/],
    [argv("ntk --dataset mnist"), /--dataset/],
    [argv("ntk --activation nope"), /--activation/],
    [argv("ntk --out k.txt"), /--out/],
  ]);
});
