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
  itRejects([
    [argv("ntk --samples 1"), /--samples/],
    [argv("ntk --dataset mnist"), /--dataset/],
    [argv("ntk --activation nope"), /--activation/],
    [argv("ntk --out k.txt"), /--out/],
  ]);
});
