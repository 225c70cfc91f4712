import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { argv, itRejects, runCli } from "./run-cli.js";

describe("critkit coord-check", () => {
  it("--json: per layer RMS of h and Δh per width and step, slopes and the step-1 theory", async () => {
    const r = await runCli(
      ...argv("coord-check --param mup --widths 16,32,64 --steps 2 --seeds 2 --depth 2 --json"),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.param).toBe("mup");
    expect(j.widths).toEqual([16, 32, 64]);
    expect(j.seeds).toEqual([0, 1]);
    expect(j.loss).toHaveLength(3);
    expect(j.warnings).toEqual([]);
    expect(j.layers.map((l: { kind: string }) => l.kind)).toEqual(["input", "hidden", "output"]);
    for (const l of j.layers) {
      expect(l.rms).toHaveLength(3);
      expect(l.delta_rms.every((d: number[]) => d.length === 3 && d[0] === 0)).toBe(true);
      expect(l.delta_slopes).toHaveLength(2);
      expect(l.delta_slopes[1]).toBe(l.delta_slope);
      expect(l.delta_exponent_step1_theory).toBe(0);
      // the slope is the least-squares fit through the printed values
      const xs = j.widths.map(Math.log);
      const ys = l.delta_rms.map((d: number[]) => Math.log(d[2]));
      const mx = xs.reduce((a: number, b: number) => a + b) / 3;
      const my = ys.reduce((a: number, b: number) => a + b) / 3;
      const num = xs.reduce((a: number, x: number, i: number) => a + (x - mx) * (ys[i] - my), 0);
      const den = xs.reduce((a: number, x: number) => a + (x - mx) ** 2, 0);
      expect(l.delta_slope).toBeCloseTo(num / den, 10);
    }
  });

  it("--optimizer adam: µP flat, SP's output change growing with the width; no SGD theory", async () => {
    const run = async (p: string, lr: number) => {
      const r = await runCli(
        ...argv(
          `coord-check --param ${p} --optimizer adam --lr ${lr} --widths 32,64,128 --steps 2 --seeds 2 --json`,
        ),
      );
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout);
    };
    const mup = await run("mup", 0.01);
    expect(mup.optimizer).toBe("adam");
    for (const l of mup.layers) {
      expect(l.delta_exponent_step1_theory).toBeNull();
      for (const s of l.delta_slopes) expect(Math.abs(s)).toBeLessThan(0.25);
    }
    const sp = await run("sp", 0.001);
    expect(sp.layers.at(-1).delta_slopes[0]).toBeGreaterThan(0.8);
  });

  it.each(["mup", "ntk", "mean-field"])(
    "--arch transformer --param %s: one row per model layer (embedding, blocks, logits), no theory column",
    async (param) => {
      const r = await runCli(
        ...argv(
          `coord-check --arch transformer --param ${param} --widths 16,32 --depth 1 --steps 1 --seeds 1 --batch 4 --json`,
        ),
      );
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect([j.param, j.arch, j.tokens, j.heads, j.ln]).toEqual([
        param,
        "transformer",
        4,
        2,
        "pre",
      ]);
      expect(j.warnings ?? []).toEqual([]);
      expect(j.layers.map((l: { kind: string }) => l.kind)).toEqual(["input", "hidden", "output"]);
      for (const l of j.layers) {
        expect(l.delta_exponent_step1_theory).toBeNull();
        expect(l.delta_rms.flat().every(Number.isFinite)).toBe(true);
        expect(l.delta_rms.every((d: number[]) => d[0] === 0 && d[1]! > 0)).toBe(true);
      }
    },
  );

  it("--dataset iris: the first --batch training rows, dimensions from the data", async () => {
    const r = await runCli(
      ...argv("coord-check --dataset iris --widths 8,16 --steps 2 --seeds 2 --batch 500 --json"),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect([j.dataset, j.input_dim, j.outputs]).toEqual(["iris", 4, 3]);
    expect(j.batch).toBeLessThan(150); // clamped to the training split
    for (const l of j.layers) expect(l.delta_rms.flat().every(Number.isFinite)).toBe(true);
  });

  it("text table and a plot file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "critkit-coord-"));
    try {
      const out = join(dir, "coord.svg");
      const r = await runCli(
        ...argv(`coord-check --param sp --widths 8,16 --steps 1 --seeds 1 --out ${out}`),
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^sp: relu MLP/);
      expect(r.stdout).toMatch(/output/);
      expect(readFileSync(out, "utf8")).toMatch(/<svg/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a diverging SP run: nulls flagged by a warning, exit 0", async () => {
    const r = await runCli(
      ...argv("coord-check --param sp --widths 64,128 --steps 30 --lr 1000 --seeds 1 --json"),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.warnings).toHaveLength(1);
    expect(r.stderr).toMatch(/^critkit: warning: training diverged/);
  });
});

itRejects([
  [argv("coord-check --param foo"), /--param/],
  [argv("coord-check --optimizer momentum"), /--optimizer/],
  [argv("coord-check --arch cnn"), /--arch/],
  [argv("coord-check --arch transformer --param foo"), /--param/],
  [argv("coord-check --arch transformer --tokens 3"), /--tokens/],
  [argv("coord-check --arch transformer --widths 6,9 --heads 2"), /--heads/],
  [argv("coord-check --arch transformer --depth 13"), /--depth/],
  [argv("coord-check --arch transformer --widths 4,8 --steps 10000"), /--steps: too many/],
  [argv("coord-check --arch transformer --ln mid"), /--ln/],
  [argv("coord-check --dataset mnist"), /--dataset/],
  [argv("coord-check --widths 0"), /--widths/],
  [argv("coord-check --widths 64"), /--widths/],
  [argv("coord-check --widths 64,64"), /--widths/],
  [argv("coord-check --widths 8,x"), /--widths/],
  [argv("coord-check --steps -1"), /--steps/],
  [argv("coord-check --steps 0"), /--steps/],
  [argv("coord-check --lr 0"), /--lr/],
  [argv("coord-check --depth 0"), /--depth/],
  [argv("coord-check --activation nope"), /--activation/],
  [argv("coord-check --widths 8000,8192 --depth 100"), /--widths/],
  [argv("coord-check --out c.txt"), /--out/],
]);
