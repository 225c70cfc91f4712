/** The README's library example, run as written (through the package entry point). */
import { afterAll, expect, it } from "vitest";
import * as critkit from "../src/index.js";

afterAll(critkit.shutdownJax);

it("README example: theory and a finite network through the public API", async () => {
  const { activation, criticalPoint, mlpBlock, mlpArchitecture, measureApjn, theoryApjn } = critkit;
  const tanh = activation("tanh");
  const cp = criticalPoint((sigmaW2) => mlpBlock({ activation: tanh, sigmaW2, sigmaB2: 0.05 }));
  expect(cp.sigmaW2).toBeCloseTo(1.76095, 4);
  const arch = mlpArchitecture({
    activations: [tanh],
    sigmaW2: cp.sigmaW2,
    sigmaB2: 0.05,
    width: 128,
    depth: 10,
  });
  const measured = await measureApjn(arch, { seeds: [0, 1], inputs: 4, probes: 8 });
  const theory = theoryApjn(arch)!;
  expect(Math.abs(measured.logJ[9]! - theory[9]!)).toBeLessThan(4 * measured.relStderr[9]! + 0.1);
});

it("critkit/node holds the Node-only API (files, worker threads) that the main entry leaves out", async () => {
  const node = await import("../src/node.js");
  for (const name of ["trainingSet", "stratifiedSplit", "saveCheckpoint", "MeasurePool"])
    expect([name, typeof (node as Record<string, unknown>)[name]]).toEqual([name, "function"]);
  expect("trainingSet" in critkit).toBe(false);
});
