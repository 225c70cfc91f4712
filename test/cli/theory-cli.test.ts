import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { argv, itRejects, runCli } from "./run-cli.js";

describe("critkit critical", () => {
  it("tanh at σ_b² = 0.05 --json: σ_w² ≈ 1.76 with χ_J = 1 and the settings echoed", async () => {
    const r = await runCli(...argv("critical --activation tanh --sigma-b2 0.05 --json"));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.sigma_w2).toBeCloseTo(1.76095, 4);
    expect(Math.abs(j.chi_J - 1)).toBeLessThan(1e-9);
    expect(j.q_star).toBeGreaterThan(0);
    expect(j).toMatchObject({ activation: "tanh", sigma_b2: 0.05 });
  });

  it("reports the APJN power law at the critical point: ζ ≈ 1 for tanh at σ_b² = 0 (q^l ≈ 1/2l), ≈ 0 at σ_b² = 0.05", async () => {
    const at0 = JSON.parse(
      (await runCli(...argv("critical --activation tanh --sigma-b2 0 --json"))).stdout,
    );
    expect(at0.zeta).toBeCloseTo(1, 1);
    const at05 = JSON.parse(
      (await runCli(...argv("critical --activation tanh --sigma-b2 0.05 --json"))).stdout,
    );
    expect(Math.abs(at05.zeta)).toBeLessThan(0.01);
  });

  it("relu at σ_b² = 0 gives σ_w² = 2", async () => {
    const j = JSON.parse(
      (await runCli(...argv("critical --activation relu --sigma-b2 0 --json"))).stdout,
    );
    expect(j.sigma_w2).toBe(2);
  });

  it("LayerNorm-pre + residual 1 reports criticality everywhere (σ_w² null)", async () => {
    const j = JSON.parse(
      (await runCli(...argv("critical --layernorm pre --residual 1 --json"))).stdout,
    );
    expect(j.everywhere_critical).toBe(true);
    expect(j.sigma_w2).toBeNull();
  });
});

describe("critkit apjn-theory", () => {
  it("gives per-layer J^{0,l}, q^l, χ_J^l; at the critical point J stays O(1) over 100 layers", async () => {
    const r = await runCli(
      ...argv(
        "apjn-theory --activation tanh --sigma-w2 1.7609546 --sigma-b2 0.05 --depth 100 --json",
      ),
    );
    const j = JSON.parse(r.stdout);
    expect(j.apjn).toHaveLength(101);
    expect(j.q).toHaveLength(101);
    expect(j.chi_J).toHaveLength(100);
    expect(j.apjn[0]).toBe(1);
    expect(j.apjn[100]).toBeGreaterThan(0.2);
    expect(j.apjn[100]).toBeLessThan(5);
    expect(j.log_apjn[50]).toBeCloseTo(
      j.chi_J.slice(0, 50).reduce((s: number, c: number) => s + Math.log(c), 0),
      10,
    );
  });

  it("--l0 shifts the reference layer: J^{l0,l} = J^{0,l}/J^{0,l0}", async () => {
    const base = ["apjn-theory", "--sigma-w2", "3", "--depth", "30", "--json"];
    const a = JSON.parse((await runCli(...base)).stdout);
    const b = JSON.parse((await runCli(...base, ...argv("--l0 10"))).stdout);
    expect(b.layers[0]).toBe(10);
    expect(b.log_apjn[20]).toBeCloseTo(a.log_apjn[30] - a.log_apjn[10], 10);
  });

  it("depth 10⁴ in the chaotic phase: log_apjn finite, apjn overflows to null", async () => {
    const j = JSON.parse(
      (await runCli(...argv("apjn-theory --sigma-w2 4 --depth 10000 --json"))).stdout,
    );
    expect(Number.isFinite(j.log_apjn[10000])).toBe(true);
    expect(j.apjn[10000]).toBeNull();
  });
});

describe("critkit phase", () => {
  it("writes an SVG (and PNG with --png) and returns the grid with phase labels", async () => {
    const dir = mkdtempSync(join(tmpdir(), "critkit-"));
    const out = join(dir, "phase.svg");
    const r = await runCli(
      "phase",
      "--activation",
      "tanh",
      "--grid",
      "12",
      "--depth",
      "50",
      "--out",
      out,
      "--png",
      "--json",
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.log_chi_J).toHaveLength(12);
    expect(j.xi_J[3][5]).toBeCloseTo(1 / Math.abs(j.log_chi_J[3][5]), 10);
    expect(j.phase[0][0]).toBe("ordered");
    expect(j.phase[11][11]).toBe("chaotic");
    expect(j.critical_line.length).toBeGreaterThan(3);
    expect(readFileSync(out, "utf8")).toContain("<svg");
    expect(existsSync(join(dir, "phase.png"))).toBe(true);
  });
});

describe("bad input: one line naming the option, exit code 2, no stack trace", () => {
  const cases: Array<[string[], RegExp]> = [
    [["critical", "--activation", "tanhh"], /--activation: unknown activation 'tanhh'/],
    [["critical", "--sigma-b2", "-1"], /--sigma-b2: must be ≥ 0/],
    [["critical", "--sigma-b2", "NaN"], /--sigma-b2: must be a finite number/],
    [["critical", "--layernorm", "middle"], /--layernorm/],
    [["critical", "--q0", "0"], /--q0: must be > 0/],
    [
      ["apjn-theory", "--sigma-w2", "1", "--depth", "0"],
      /--depth: must be an integer in \[1, 100000\]/,
    ],
    [["apjn-theory", "--sigma-w2", "-2"], /--sigma-w2: must be > 0/],
    [["apjn-theory", "--sigma-w2", "1", "--l0", "5", "--depth", "5"], /--l0/],
    [["apjn-theory"], /--sigma-w2/],
    [["phase", "--grid", "5000"], /--grid: must be an integer in \[2, 1024\]/],
    [["phase", "--sw2", "3,1"], /--sw2: must be > 3/],
    [["phase", "--out", "x.pdf"], /--out: must end in .svg or .png/],
    [["nonsense"], /unknown command/],
  ];
  itRejects(cases);
});

describe("the installed binary", () => {
  it("bin/critkit.js runs the built CLI (npm ci builds dist/ through `prepare`)", () => {
    const root = join(import.meta.dirname, "../..");
    expect(existsSync(join(root, "dist/cli/main.js")), "dist/ missing: run npm run build").toBe(
      true,
    );
    const r = spawnSync(
      process.execPath,
      [
        join(root, "bin/critkit.js"),
        "critical",
        "--activation",
        "relu",
        "--sigma-b2",
        "0",
        "--json",
      ],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).sigma_w2).toBe(2);
    const bad = spawnSync(
      process.execPath,
      [join(root, "bin/critkit.js"), "critical", "--sigma-b2", "oops"],
      { encoding: "utf8" },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("critkit: --sigma-b2: must be a finite number, got 'oops'");
  });
});
