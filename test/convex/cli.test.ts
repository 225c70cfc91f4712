import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { registerConvex } from "../../src/cli/commands/convex.js";
import { admm } from "../../src/convex/admm.js";
import { squared } from "../../src/convex/losses.js";
import { samplePatterns } from "../../src/convex/patterns.js";
import { parseCsv } from "../../src/data/datasets.js";
import { InputError } from "../../src/errors.js";
import { Rng } from "../../src/rng.js";
import { runCli } from "../cli/run-cli.js";
import { tinyData } from "./helpers.js";

async function fieldOf(args: string[]): Promise<string | undefined> {
  const program = new Command("critkit").exitOverride();
  registerConvex(program);
  try {
    await program.parseAsync(["node", "critkit", "convex", ...args]);
  } catch (e) {
    if (e instanceof InputError) return e.field;
    throw e;
  }
  return undefined;
}

describe("bad input gives an InputError naming the field", () => {
  it.each([
    [["--lambda", "0"], "--lambda"],
    [["--lambda", "-1"], "--lambda"],
    [["--solver", "sgd"], "--solver"],
    [["--dataset", "mnist"], "--dataset"],
    [["--patterns", "0"], "--patterns"],
    [["--admm", "1,3,1"], "--admm"],
    [["--admm", "10,1.8"], "--admm"],
    [["--loss", "hinge"], "--loss"],
    [["--dataset", "iris", "--robust", "--loss", "logistic"], "--loss"],
    [["--dataset", "iris", "--robust", "--eps", "0"], "--eps"],
    [["--dataset", "iris", "--robust", "--eps", "-0.1"], "--eps"],
    [["--robust"], "--loss"],
    [["--tol", "1"], "--tol"],
    [["--lambda-frac", "0"], "--lambda-frac"],
    [["--dataset", "iris", "--loss", "hinge", "--solver", "al"], "--solver"],
    [["--dataset", "iris", "--loss", "hinge", "--solver", "fista"], "--solver"],
    [["--sgd-steps", "0"], "--sgd-steps"],
    [["--solver", "admm", "--no-working-set"], "--no-working-set"],
    [["--solver", "fista", "--no-working-set"], "--no-working-set"],
    [["--dataset", "iris", "--robust", "--no-working-set"], "--no-working-set"],
  ])("%j → %s", async (args, field) => {
    expect(await fieldOf(args)).toBe(field);
  });

  const { X, y } = tinyData(1, 8, 2);
  const patterns = samplePatterns(X, 10, new Rng(1));
  it("mismatched X / y sizes", () => {
    expect(() =>
      admm({ X, y: y.subarray(0, 7), patterns, lambda: 0.1, loss: squared, gated: false }),
    ).toThrow(expect.objectContaining({ field: "y" }));
  });
  it("NaN in the data", () => {
    const bad = { ...X, data: X.data.map((v, i) => (i === 5 ? Number.NaN : v)) };
    expect(() => admm({ X: bad, y, patterns, lambda: 0.1, loss: squared, gated: false })).toThrow(
      expect.objectContaining({ field: "X" }),
    );
    expect(() => parseCsv("1,2,0\n3,NaN,1\n", "file.csv")).toThrow(/file.csv: row 2, column 2/);
  });
  it("λ ≤ 0 in the library API", () => {
    expect(() => admm({ X, y, patterns, lambda: 0, loss: squared, gated: false })).toThrow(
      expect.objectContaining({ field: "lambda" }),
    );
  });
});

describe("critkit convex --robust", () => {
  it.each([
    [["--loss", "squared"], /^critkit: --loss: --robust trains the worst-case hinge loss/],
    [["--eps", "0"], /^critkit: --eps: --robust needs a radius > 0/],
    [["--solver", "admm"], /^critkit: --solver: --robust is solved by ipm \(default\) or al/],
  ])("%j: one line naming the option, exit 2", async (extra, message) => {
    const r = await runCli("convex", "--dataset", "iris", "--robust", ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toBe("");
  });

  it("iris, ε = 0.05 --json: exit 0; PGD hinge ≤ certificate; clean and attacked accuracy reported", async () => {
    const r = await runCli(
      ...["convex", "--dataset", "iris", "--robust", "--eps", "0.05"],
      ...["--patterns", "20", "--max-iter", "2000", "--lambda", "0.1", "--json"],
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.solver).toBe("robust");
    expect(j.loss).toBe("hinge");
    expect(j.pgd.eps).toBe(0.05);
    expect(j.pgd.adversarialHinge).toBeLessThanOrEqual(j.certificate + 1e-9);
    expect(j.certificate).toBeLessThanOrEqual(j.robustObjective);
    expect(j.method).toBe("ipm");
    expect(j.converged).toBe(true);
    expect(j.relGap).toBeLessThanOrEqual(1e-6);
    expect(j.lowerBound).toBeLessThanOrEqual(j.robustObjective);
    expect(j.minSlack).toBeGreaterThanOrEqual(-1e-12);
    expect(j.trainAccuracy).toBe(j.pgd.cleanAccuracy);
    expect(j.pgd.cleanAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(j.pgd.adversarialAccuracy).toBeGreaterThanOrEqual(0.9);
  });
});

describe("critkit convex defaults", () => {
  it("plain run on iris: interior point, λ = 0.1 λ_max, certified relative gap ≤ 1e-6", async () => {
    const r = await runCli("convex", "--dataset", "iris", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.solver).toBe("ipm");
    expect(j.converged).toBe(true);
    expect(j.solverRelGap).toBeLessThanOrEqual(1e-6);
    expect(j.lambda).toBeCloseTo(0.1 * j.lambdaMax, 12);
    expect(j.coneViolation).toBe(0);
    expect(Math.abs(j.networkObjective - j.reluObjective)).toBeLessThan(1e-8 * j.reluObjective);
    // a working set of patterns by default; --no-working-set solves on all of them: same optimum
    expect(j.workingSet.patterns).toBeLessThan(j.patterns);
    const all = JSON.parse(
      (await runCli("convex", "--dataset", "iris", "--json", "--no-working-set")).stdout,
    );
    expect(all.workingSet).toBeUndefined();
    expect(all.converged).toBe(true);
    expect(all.lowerBound).toBeLessThanOrEqual(j.reluObjective);
    expect(j.lowerBound).toBeLessThanOrEqual(all.reluObjective);
    expect(Math.abs(all.reluObjective - j.reluObjective)).toBeLessThan(2e-6 * j.reluObjective);
  });

  it("--loss hinge on iris: interior point by default, certified relative gap ≤ 1e-6", async () => {
    // Measured (default 193 patterns, λ = 0.1 λ_max): ipm 32 Newton steps, 2.4 s; admm 99300
    // iterations, 1487 s (β, α, ρ₀ = 1, 1, 1) or 11870, 312 s (10, 1.8, 10), on a loaded 2-core machine.
    const r = await runCli("convex", "--dataset", "iris", "--loss", "hinge", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.solver).toBe("ipm");
    expect(j.converged).toBe(true);
    expect(j.solverRelGap).toBeLessThanOrEqual(1e-6);
    expect(j.coneViolation).toBe(0);
    expect(j.lowerBound).toBeLessThanOrEqual(j.reluObjective);
    expect(Math.abs(j.networkObjective - j.reluObjective)).toBeLessThan(1e-8 * j.reluObjective);
  });

  it("--loss hinge --lambda-path 5 on iris: the interior point by default, every λ down to 1e-3 λ_max certified ≤ 1e-6", async () => {
    const r = await runCli(
      ...["convex", "--dataset", "iris", "--loss", "hinge", "--lambda-path", "5", "--json"],
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.solver).toBe("ipm");
    expect(j.path).toHaveLength(5);
    for (const q of j.path) expect(q.relGap).toBeLessThanOrEqual(1e-6);
  });

  it("--lambda-path 3 --lambda-frac 0.01: λ_max, 0.1, 0.01 λ_max, objectives falling, no neuron at λ_max; JSON shape", async () => {
    const r = await runCli(
      ...["convex", "--dataset", "iris", "--patterns", "50", "--lambda-path", "3"],
      ...["--lambda-frac", "0.01", "--json"],
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ solver: "ipm", loss: "squared", warmStart: true, activeTol: 1e-8 });
    expect(j.path.map((q: { lambdaFraction: number }) => q.lambdaFraction)).toEqual([
      1,
      expect.closeTo(0.1, 12),
      expect.closeTo(0.01, 12),
    ]);
    for (const q of j.path) {
      expect(Object.keys(q).sort()).toEqual(
        [
          ...["activeNeurons", "converged", "iterations", "lambda", "lambdaFraction"],
          ...["lowerBound", "ms", "objective", "relGap", "trainAccuracy"],
        ].sort(),
      );
      expect(q.lambda).toBeCloseTo(q.lambdaFraction * j.lambdaMax, 10);
      expect(q.converged).toBe(true);
      expect(q.relGap).toBeLessThanOrEqual(1e-6);
      expect(q.lowerBound).toBeLessThanOrEqual(q.objective);
    }
    expect(j.iterations).toBe(
      j.path.reduce((s: number, q: { iterations: number }) => s + q.iterations, 0),
    );
    expect(j.path[0].activeNeurons).toBe(0);
    // u = 0: the squared loss at 0 is ½ Σ y² = n/2 with ±1 labels
    expect(j.path[0].objective).toBeCloseTo(j.n / 2, 8);
    expect(j.path[1].activeNeurons).toBeGreaterThan(0);
    expect(j.path[1].objective).toBeLessThan(j.path[0].objective);
    expect(j.path[2].objective).toBeLessThan(j.path[1].objective);
    expect(j.path[2].trainAccuracy).toBeGreaterThan(0.9);
  });

  it("--lambda-path text: a row per λ, --lambda is the smallest λ", async () => {
    const r = await runCli(
      ...["convex", "--dataset", "iris", "--patterns", "50", "--lambda-path", "2", "--lambda", "5"],
    );
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n").slice(3);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/^5\.000e\+0 /);
  });

  it.each([
    [["--lambda-path", "1"], "--lambda-path"],
    [["--lambda-path", "0"], "--lambda-path"],
    [["--lambda-path", "abc"], "--lambda-path"],
    [["--lambda-path", "1e9"], "--lambda-path"],
    [["--lambda-path", "2.5"], "--lambda-path"],
    [["--lambda-path", "3", "--robust"], "--lambda-path"],
    [["--lambda-path", "3", "--sgd-runs", "2"], "--lambda-path"],
    [["--lambda-path", "3", "--solver", "fista"], "--solver"],
    [["--lambda-path", "3", "--lambda", "1000"], "--lambda"],
    [["--lambda-path", "3", "--lambda-frac", "1"], "--lambda-frac"],
  ])("%j: exit 2, one line naming %s", async (extra, option) => {
    const r = await runCli("convex", "--dataset", "iris", "--patterns", "10", ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^critkit: ${option}:`));
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stdout).toBe("");
  });

  it("an explicit small --max-iter: converged false, and the message names the gap and what to raise", async () => {
    const r = await runCli("convex", "--dataset", "iris", "--max-iter", "3");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/converged=false/);
    expect(r.stdout).toMatch(
      /not converged: relative duality gap \S+ > --tol 1e-6 after 3 ipm iterations \(--max-iter 3\); raise --max-iter \(default 300\)/,
    );
  });
});

describe("critkit convex --sgd-runs", () => {
  it("iris: runs at widths m, 2m, 4m, objectives sorted, excess relative to the convex objective", async () => {
    const r = await runCli(
      ...["convex", "--dataset", "iris", "--patterns", "20", "--sgd-runs", "2"],
      ...["--sgd-steps", "300", "--json"],
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const m = j.neurons;
    expect(j.sgd).toMatchObject({ method: "adam", steps: 300, runs: 2 });
    expect(j.sgd.widths.map((w: { hidden: number }) => w.hidden)).toEqual([m, 2 * m, 4 * m]);
    for (const w of j.sgd.widths) {
      expect(w.objectives).toHaveLength(2);
      expect(w.objectives[0]).toBeLessThanOrEqual(w.objectives[1]);
      expect(w.best).toBe(w.objectives[0]);
      expect(w.bestExcess).toBeCloseTo((w.best - j.reluObjective) / j.reluObjective, 12);
    }
    expect(j.sgd.best).toBe(Math.min(...j.sgd.widths.map((w: { best: number }) => w.best)));
  });
});

describe("critkit convex --solver fista", () => {
  it("iris, 50 patterns: the converted upper bound meets the interior point's p* to 1e-6 (measured 7e-8); gated ≤ p*", async () => {
    const args = ["convex", "--dataset", "iris", "--patterns", "50", "--json"];
    const f = JSON.parse((await runCli(...args, "--solver", "fista")).stdout);
    const e = JSON.parse((await runCli(...args)).stdout);
    expect(e.solver).toBe("ipm");
    expect(f.lambda).toBe(e.lambda);
    expect(f.lowerBound).toBeLessThanOrEqual(e.lowerBound);
    expect(f.reluObjective).toBeGreaterThanOrEqual(e.lowerBound);
    expect((f.reluObjective - e.reluObjective) / e.reluObjective).toBeLessThanOrEqual(1e-6);
    expect(f.coneViolation).toBe(0);
    expect(f.conversion.relGap).toBeLessThanOrEqual(1e-6);
    expect(f.conversion.pricedIn).toBeLessThanOrEqual(f.conversion.patterns);
    expect(f.conversion.coneDecompositionObjective).toBeGreaterThan(10 * f.reluObjective);
    expect(Math.abs(f.networkObjective - f.reluObjective)).toBeLessThan(1e-8 * f.reluObjective);
  });
});

describe("critkit convex --json", () => {
  it.each([["admm"], ["fista"]])(
    "%s on iris (logistic): lower bound ≤ ReLU objective = recovered network's, cone-feasible, PGD reported",
    async (solver) => {
      const chunks: string[] = [];
      const spy = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
        chunks.push(String(s));
        return true;
      });
      try {
        const program = new Command("critkit").exitOverride();
        registerConvex(program);
        await program.parseAsync(
          ["convex", "--dataset", "iris", "--loss", "logistic", "--solver", solver].concat([
            "--patterns",
            "20",
            "--lambda",
            "0.1",
            "--max-iter",
            "300",
            "--json",
          ]),
          { from: "user" },
        );
      } finally {
        spy.mockRestore();
      }
      const r = JSON.parse(chunks.join(""));
      expect(r.lowerBound).toBeLessThanOrEqual(r.reluObjective);
      expect(r.reluRelGap).toBeCloseTo((r.reluObjective - r.lowerBound) / r.reluObjective, 12);
      expect(r.coneViolation).toBeLessThan(1e-12);
      expect(Math.abs(r.networkObjective - r.reluObjective)).toBeLessThan(1e-8 * r.reluObjective);
      expect(r.pgd.adversarialAccuracy).toBeLessThanOrEqual(r.pgd.cleanAccuracy);
    },
  );
});
