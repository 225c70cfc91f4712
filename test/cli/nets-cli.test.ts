import { afterAll, describe, expect, it } from "vitest";
import { shutdownJax } from "../../src/nets/jax.js";
import { argv, itRejects, runCli } from "./run-cli.js";

afterAll(shutdownJax);

const small = ["--width", "32", "--depth", "6", "--seeds", "2", "--inputs", "2", "--probes", "4"];

describe("critkit apjn", () => {
  it("--json: per-layer apjn, stderr and theory arrays of the same length, settings echoed", async () => {
    const r = await runCli(
      ...argv("apjn --activation tanh --sigma-w2 1.76 --sigma-b2 0.05"),
      ...small,
      ...argv("--seed 0 --json"),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.layers).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const k of ["apjn", "stderr", "theory", "log_apjn", "rel_stderr", "log_theory"])
      expect(j[k]).toHaveLength(7);
    expect(j.apjn[0]).toBe(1);
    expect(j).toMatchObject({
      activation: "tanh",
      sigma_w2: 1.76,
      sigma_b2: 0.05,
      width: 32,
      depth: 6,
      seeds: [0, 1],
    });
    for (const [i, v] of (j.log_theory as number[]).entries())
      expect(Math.abs(v - j.log_apjn[i])).toBeLessThan(1);
  });

  it("the same seed prints bit-identical output", async () => {
    const a = await runCli(...argv("apjn --sigma-w2 2"), ...small, ...argv("--seed 7 --json"));
    const b = await runCli(...argv("apjn --sigma-w2 2"), ...small, ...argv("--seed 7 --json"));
    expect(a.stdout).toBe(b.stdout);
  });

  it("--arch mixer has no theory (null) and measures the residual stream", async () => {
    const r = await runCli(
      ...argv(
        "apjn --arch mixer --sigma-w2 1 --tokens 4 --channels 8 --token-hidden 8 --channel-hidden 8 --depth 4 --seeds 1 --probes 4 --json",
      ),
    );
    const j = JSON.parse(r.stdout);
    expect(j.theory).toBeNull();
    expect(j.apjn).toHaveLength(5);
  });

  it("--l0 measures J^{l0,l}", async () => {
    const j = JSON.parse(
      (await runCli(...argv("apjn --sigma-w2 2"), ...small, ...argv("--l0 3 --json"))).stdout,
    );
    expect(j.layers).toEqual([3, 4, 5, 6]);
  });
});

describe("critkit init-search", () => {
  it("--json: relu at σ_b² = 0 finds σ_w² ≈ 2 at width N and extrapolated, with uncertainties and the exponent", async () => {
    const r = await runCli(
      ...argv(
        "init-search --activation relu --sigma-b2 0 --width 32 --depth 10 --tol 0.03 --extrapolate 2 --json",
      ),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Math.abs(j.sigma_w2 / 2 - 1)).toBeLessThan(0.08);
    expect(j.sigma_w2_stderr).toBeGreaterThan(0);
    expect(Math.abs(j.sigma_w2_infinite_width / 2 - 1)).toBeLessThan(0.15);
    expect(j.extrapolation).toMatchObject({ factor: 2 });
    expect(j.sigma_w2_infinite_width_stderr).toBeGreaterThan(j.sigma_w2_stderr);
    expect(typeof j.exponent).toBe("number");
    expect(j.theory_sigma_w2).toBeCloseTo(2, 10);
    expect(j.forward_pass_equivalents).toBeGreaterThan(0);
  });
});

describe("critkit chi-grid", () => {
  it("--json: a 2×2 grid with χ_J, its standard error and the theory per point", async () => {
    const r = await runCli(
      ...argv("chi-grid --grid 2,2 --sw2 1,3 --sb2 0,1 --width 32 --depth 8 --threads 0 --json"),
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.points).toHaveLength(4);
    for (const p of j.points) {
      expect(p.chi_J_stderr).toBeGreaterThan(0);
      expect(Math.abs(p.chi_J - p.chi_J_theory)).toBeLessThan(0.25);
    }
    expect(j.window).toEqual([4, 8]);
    expect(j.critical_line.length).toBeGreaterThan(0);
  });
});

describe("bad input: one line naming the option, exit 2", () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["apjn", "--sigma-w2", "1", "--width", "100000", "--depth", "1000"],
      /--width: the network would need .* GiB/,
    ],
    [["apjn", "--sigma-w2", "1", "--probes", "0"], /--probes: must be an integer/],
    [["apjn", "--sigma-w2", "1", "--arch", "transformer"], /--arch/],
    [["apjn", "--sigma-w2", "1", "--dtype", "float16"], /--dtype/],
    [
      ["apjn", "--sigma-w2", "1", "--activation", "tanh,foo"],
      /--activation: unknown activation 'foo'/,
    ],
    [["apjn", "--sigma-w2", "nan"], /--sigma-w2: must be a finite number/],
    [["apjn", "--sigma-w2", "1", "--depth", "5", "--l0", "5"], /--l0/],
    [["apjn", "--sigma-w2", "1", "--out", "plot.jpg"], /--out: must end in .svg or .png/],
    [["init-search", "--range", "3,1"], /--range: must be > 3/],
    [["init-search", "--tol", "0"], /--tol: must be > 0/],
    [["init-search", "--extrapolate", "1"], /--extrapolate: must differ from 1/],
    [["chi-grid", "--grid", "9"], /--grid: expected 'nw,nb'/],
    [["chi-grid", "--grid", "1,3"], /--grid: must be an integer in \[2, 1000\]/],
    [["chi-grid", "--residual", "-1"], /--residual: must be ≥ 0/],
    [["chi-grid", "--out", "g.jpg"], /--out: must end in .svg or .png/],
  ];
  itRejects(cases);
});
