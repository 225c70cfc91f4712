/**
 * Globally optimal two-layer ReLU training on your own arrays, through the package API
 * (`import { convex } from "critkit"`): sample activation patterns, solve the convex program by
 * the interior-point method, read the certified bracket on the optimum, recover the network.
 *
 *   npx tsx examples/convex-own-data.ts
 */
import { convex, Rng } from "../src/index.js";

// Your data: n rows of features (append a constant 1 column for a bias) and targets.
const rng = new Rng(1);
const n = 150;
const rows: number[] = [];
const y = new Float64Array(n);
for (let k = 0; k < n; k++) {
  const a = rng.normal();
  const b = rng.normal();
  rows.push(a, b, 1);
  y[k] = Math.max(0, a + b) - 0.5 * Math.max(0, a - b) + 0.05 * rng.normal();
}
const X = convex.matrix(n, 3, Float64Array.from(rows));

const patterns = convex.samplePatterns(X, convex.defaultPatternCount(n, 3, true), rng.split());
const atOne = { X, y, patterns, lambda: 1, loss: convex.losses.squared, gated: false };
const problem = { ...atOne, lambda: 0.05 * convex.lambdaMax(atOne) };
const result = convex.interiorPoint(problem, { tol: 1e-6 });
const net = convex.recoverNetwork(problem, result.u);

const { primal, dual, relGap } = result.certificate;
console.log(`${patterns.count} patterns, λ = ${problem.lambda.toPrecision(4)}`);
console.log(
  `${result.iterations} Newton steps, ${result.ms.toFixed(0)} ms, converged=${result.converged}`,
);
console.log(
  `optimum bracketed: ${dual.toPrecision(10)} ≤ p* ≤ ${primal.toPrecision(10)} (relative gap ${relGap.toExponential(1)})`,
);
console.log(
  `network: ${net.m} ReLU units, objective ${convex.networkObjective(net, X, y, problem.loss, problem.lambda).toPrecision(10)}`,
);
