import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { registerConvex } from "../../src/cli/commands/convex.js";
import { admm } from "../../src/convex/admm.js";
import { squared } from "../../src/convex/losses.js";
import { samplePatterns } from "../../src/convex/patterns.js";
import { parseCsv } from "../../src/data/datasets.js";
import { InputError } from "../../src/errors.js";
import { Rng } from "../../src/rng.js";
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
    [["--loss", "hinge"], "--loss"],
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
          ["convex", "--dataset", "iris", "--loss", "logistic", "--solver", solver]
            .concat(["--patterns", "20", "--lambda", "0.1", "--max-iter", "300", "--json"]),
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
