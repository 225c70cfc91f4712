/**
 * Slow tier (20–60 s on the shared 2-core machine, with load): the default `critkit convex` run on digits
 * (n = 1797, d = 65 with 3 blank pixel columns, 15 patterns, Pd < n so the weights form of the
 * Newton system). It stalled at a relative gap of 1.5e-4 after 300 Newton steps while the Newton
 * matrix was inverted through K_i⁻¹ (docs/convex.md).
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";

describe("critkit convex --dataset digits (defaults)", () => {
  it("interior point certifies a relative duality gap ≤ 1e-6 well inside its step budget", async () => {
    const r = await runCli("convex", "--dataset", "digits", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect([j.solver, j.patterns, j.d]).toEqual(["ipm", 15, 65]);
    expect(j.converged).toBe(true);
    expect(j.solverRelGap).toBeLessThanOrEqual(1e-6);
    expect(j.iterations).toBeLessThanOrEqual(100);
    // weak duality: the dual bound is below the recovered network's own objective
    expect(j.lowerBound).toBeLessThanOrEqual(j.networkObjective);
    expect((j.networkObjective - j.lowerBound) / j.networkObjective).toBeLessThanOrEqual(1e-6);
    expect(j.coneViolation).toBe(0);
  }, 300_000);
});
