/** `critkit linearize`: JSON consistent with itself, the plot file, and one-line errors. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { argv, itRejects, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "critkit-linearize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("critkit linearize", () => {
  it("--json: per width the curves of both models, zero distances at step 0, the width exponent of the final distances", async () => {
    const plot = join(dir, "lin.svg");
    const r = await runCli(
      ...argv(
        `linearize --samples 12 --widths 16,128 --steps 20 --every 10 --kernel-samples 2 --json --out ${plot}`,
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout);
    expect(j.n_train).toBe(12);
    expect(j.widths).toEqual([16, 128]);
    expect(j.warnings).toEqual([]);
    for (const run of j.runs) {
      expect(run.step).toEqual([0, 10, 20]);
      expect(run.function_distance[0]).toBe(0);
      expect(run.kernel_change[0]).toBe(0);
      for (const a of run.kernel_alignment) expect(Math.abs(a)).toBeLessThanOrEqual(1);
      expect(run.real_train_loss[0]).toBe(run.linear_train_loss[0]);
      expect(run.real_test_accuracy[0]).toBe(run.linear_test_accuracy[0]);
      for (const a of [...run.real_test_accuracy, ...run.linear_test_accuracy]) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
      }
      // GD with a small step lowers the training loss of both models
      expect(run.real_train_loss[2]).toBeLessThan(run.real_train_loss[0]);
      expect(run.linear_train_loss[2]).toBeLessThan(run.linear_train_loss[0]);
    }
    // slope of log(final distance) over log(width) from two points
    const slope = (key: string) =>
      Math.log(j.runs[1][key].at(-1) / j.runs[0][key].at(-1)) / Math.log(128 / 16);
    expect(j.width_exponent.function_distance).toBeCloseTo(slope("function_distance"), 10);
    expect(j.width_exponent.kernel_change).toBeCloseTo(slope("kernel_change"), 10);
    expect(j.width_exponent.param_distance).toBeCloseTo(slope("param_distance"), 10);
    expect(j.width_exponent.function_distance).toBeLessThan(0);
    const svg = readFileSync(plot, "utf8");
    expect(svg).toMatch(/^<svg/);
    // two panels: the training curves of both models, then the three distances
    expect(svg).toMatch(/real vs linearized/);
    expect(svg).toMatch(/parameter distances/);
  });

  it("text output: a row per measurement and the width exponent", async () => {
    const r = await runCli(...argv("linearize --samples 6 --width 8 --steps 2 --every 1"));
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => /^\s+8\s/.test(l));
    expect(rows).toHaveLength(3);
    expect(r.stdout).not.toMatch(/width\^p/);
  });

  it("--task a,b,…: the same inputs relabelled; a wide network and its linearization rank the tasks alike", async () => {
    const r = await runCli(
      ...argv(
        "linearize --task random,parity:2,ovr:0 --width 256 --samples 48 --steps 100 --every 100 --kernel-samples 1 --json",
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.runs.map((x: { task: string }) => x.task)).toEqual(["random", "parity:2", "ovr:0"]);
    const final = (task: string, key: string) =>
      j.runs.find((x: { task: string }) => x.task === task)[key].at(-1);
    // the ranking is the order of the final test losses, for each model
    for (const [order, key] of [
      [j.ranking.real, "real_test_loss"],
      [j.ranking.linear, "linear_test_loss"],
    ] as const) {
      const losses = order.map((t: string) => final(t, key));
      expect([...losses].sort((a, b) => a - b)).toEqual(losses);
    }
    // setosa-vs-rest is linearly separable, random labels cannot generalize: both models agree
    expect(j.ranking.real).toEqual(["ovr:0", "parity:2", "random"]);
    expect(j.ranking.linear).toEqual(j.ranking.real);
    expect(j.ranking.kendall_tau).toBe(1);
    expect(j.ranking.test_loss_gap["ovr:0"]).toBeCloseTo(
      final("ovr:0", "real_test_loss") - final("ovr:0", "linear_test_loss"),
      12,
    );
  });

  itRejects([
    [argv("linearize --task ovr:0,random --widths 8,16"), /--task.*one width/],
    [argv("linearize --task ovr:9"), /--task/],
    [argv("linearize --task ovr:0,ovr:0 --width 8"), /--task.*twice/],
    [argv("linearize --dataset teacher_regression --task class"), /--task/],
    [argv("linearize --widths 16,abc"), /--widths/],
    [argv("linearize --widths 0"), /--widths/],
    [argv("linearize --width 0"), /--width/],
    [argv("linearize --samples 1"), /--samples/],
    [argv("linearize --samples 1999"), /--samples/],
    [argv("linearize --samples 4 --kernel-samples 5"), /--kernel-samples/],
    [argv("linearize --lr -1"), /--lr/],
    [argv("linearize --dataset mnist"), /--dataset/],
    [argv("linearize --arch resnet"), /--arch/],
    [argv("linearize --activation nope"), /--activation/],
    [argv(`linearize --out ${join(dir, "x.txt")}`), /--out/],
  ]);
  it("a refused --out leaves no file", () => {
    expect(existsSync(join(dir, "x.txt"))).toBe(false);
  });
});
