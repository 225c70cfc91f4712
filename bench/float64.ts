/**
 * `npx tsx bench/float64.ts`: the numbers of docs/float64.md. Max error (ulp) of critkit's float64
 * functions and their autodiff derivatives against the plain-JS float64 references of
 * test/nets/reference64.ts on a sweep of −40…40 in steps of 0.025 plus extremes, beside the
 * relative error of jax-js's own float64 function; then the cost of the float64 path against the
 * float32 one (APJN of a tanh MLP, elementwise tanh).
 */
import { apjnEmpirical } from "../src/diagnostics/apjn.js";
import * as F from "../src/nets/f64.js";
import { type JaxArray, type JaxModule, loadJax } from "../src/nets/jax.js";
import { instantiate, mlpArchitecture } from "../src/nets/network.js";
import { Rng } from "../src/rng.js";
import { activation } from "../src/theory/activations.js";
import * as R from "../test/nets/reference64.js";

const jax = await loadJax();
const np = jax.numpy;

const xs: number[] = [0, -0, 0.35, -0.35, 0.46875, -0.46875, 4, -4];
for (let i = -1600; i <= 1600; i++) xs.push(i / 40 + 0.0013);
for (const e of [-300, -100, -30, -16, -8, -4])
  for (const s of [1, -1, 1.7, -3.3]) xs.push(s * 10 ** e);
xs.push(1e300, -1e300, 709, -709, 745, -745, 1e5, -1e5);

const arr = (v: number[]) => np.array(Float64Array.from(v), { dtype: np.float64 });

function maxUlp(got: ArrayLike<number>, want: number[]): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    const e =
      Math.abs(want[i]!) < 1e-300
        ? Math.abs(got[i]! - want[i]!) / 1e-300
        : R.ulpError(got[i]!, want[i]!);
    if (!(e <= w)) w = e;
  }
  return w;
}

function maxRel(got: ArrayLike<number>, want: number[]): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-300);
    if (!(d <= w)) w = d;
  }
  return w;
}

type Fn = (jax: JaxModule, x: JaxArray) => JaxArray;
const rows: Array<
  [
    string,
    Fn,
    (x: number) => number,
    ((x: number) => number) | null,
    Fn | null,
    (x: number) => boolean,
  ]
> = [
  ["exp", F.exp64, Math.exp, Math.exp, (j, x) => j.numpy.exp(x), (x) => Math.abs(x) < 709],
  ["expm1", F.expm164, Math.expm1, Math.exp, (j, x) => j.numpy.expm1(x), (x) => Math.abs(x) < 709],
  ["tanh", F.tanh64, Math.tanh, R.sech2Ref, (j, x) => j.numpy.tanh(x), () => true],
  [
    "sigmoid",
    F.sigmoid64,
    R.sigmoidRef,
    (x) => R.sigmoidRef(x) * R.sigmoidRef(-x),
    (j, x) => j.nn.sigmoid(x),
    () => true,
  ],
  ["softplus", F.softplus64, R.softplusRef, R.sigmoidRef, (j, x) => j.nn.softplus(x), () => true],
  [
    "erf",
    F.erf64,
    R.erfRef,
    (x) => (2 / Math.sqrt(Math.PI)) * R.expNegSquareRef(x),
    (j, x) => j.lax.erf(x),
    () => true,
  ],
  ["erfc", F.erfc64, R.erfcRef, null, (j, x) => j.lax.erfc(x), () => true],
  ["Φ (normal cdf)", F.normalCdf64, R.normalCdfRef, R.normalPdfRef, null, () => true],
  ["sin", F.sin64, Math.sin, Math.cos, (j, x) => j.numpy.sin(x), (x) => Math.abs(x) < 1e5],
  [
    "cos",
    F.cos64,
    Math.cos,
    (x) => -Math.sin(x),
    (j, x) => j.numpy.cos(x),
    (x) => Math.abs(x) < 1e5,
  ],
];

console.log(
  "| function | max error of φ (ulp) | of autodiff φ′ (ulp) | jax-js's own float64 (max rel. error) |",
);
console.log("|---|---|---|---|");
for (const [name, f, ref, dref, own, dom] of rows) {
  const pts = xs.filter(dom);
  const want = pts.map(ref);
  const fErr = maxUlp(f(jax, arr(pts)).dataSync(), want);
  const dErr = dref
    ? maxUlp(
        jax
          .grad((x: JaxArray) => f(jax, x).sum())(arr(pts))
          .dataSync(),
        pts.map(dref),
      ).toFixed(0)
    : "—";
  const ownErr = own ? maxRel(own(jax, arr(pts)).dataSync(), want).toExponential(1) : "—";
  console.log(`| ${name} | ${fErr.toFixed(0)} | ${dErr} | ${ownErr} |`);
}
const pos: number[] = [5e-324, 1e-310, Number.MAX_VALUE];
for (let u = -323; u <= 308; u += 0.037) pos.push(10 ** u);
for (let i = -2000; i <= 2000; i++) pos.push(1 + i * 1e-4);
const logErr = maxUlp(F.log64(jax, arr(pos)).dataSync(), pos.map(Math.log));
const mid = pos.filter((x) => x > 1e-300 && x < 1e300);
const dlogErr = maxUlp(
  jax
    .grad((x: JaxArray) => F.log64(jax, x).sum())(arr(mid))
    .dataSync(),
  mid.map((x) => 1 / x),
);
const ownLog = maxRel(np.log(arr(mid)).dataSync(), mid.map(Math.log));
console.log(
  `| log, x ∈ [5e-324, 1.8e308] | ${logErr.toFixed(0)} | ${dlogErr.toFixed(0)} | ${ownLog.toExponential(1)} |`,
);
const us = Array.from({ length: 2001 }, (_, i) => i / 2000);
console.log(
  `| log(1+u), u ∈ [0,1] | ${maxUlp(F.log1pUnit64(jax, arr(us)).dataSync(), us.map(Math.log1p)).toFixed(0)} | — | ${maxRel(np.log1p(arr(us)).dataSync(), us.map(Math.log1p)).toExponential(1)} |`,
);

async function time(fn: () => Promise<void>, reps: number): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return Math.min(...t);
}

const [width, depth, probes] = [256, 10, 16];
const arch = mlpArchitecture({
  activations: [activation("tanh")],
  sigmaW2: 1.5,
  sigmaB2: 0.05,
  width,
  depth,
});
console.log(
  `\nCost (min of 3, noisy shared machine): APJN tanh MLP width ${width}, depth ${depth}, 1 input × ${probes} probes`,
);
for (const dtype of ["float32", "float64"] as const) {
  const net = await instantiate(arch, 0, dtype);
  const x = new Rng(1).normals(width);
  const inputs = np.array(dtype === "float64" ? x : Float32Array.from(x), {
    shape: [1, width],
    dtype: dtype === "float64" ? np.float64 : np.float32,
  });
  const ms = await time(async () => {
    await apjnEmpirical(net.blocks as never, inputs, { probes, dtype });
  }, 3);
  console.log(
    `  ${dtype} (${dtype === "float64" ? "eager steps, jit-compiled accurate φ′ kernel" : "jit"}): ${ms.toFixed(0)} ms`,
  );
  inputs.dispose();
  net.dispose();
}
const big = Array.from(new Rng(2).normals(256 * 256));
const tanh32 = jax.jit((x: JaxArray) => np.tanh(x));
const t32 = await time(async () => {
  tanh32(np.array(Float32Array.from(big), { dtype: np.float32 })).dataSync();
}, 3);
const t64 = await time(async () => {
  F.tanh64(jax, arr(big)).dataSync();
}, 3);
console.log(
  `  elementwise tanh on 256×256: float32 jit ${t32.toFixed(1)} ms, float64 accurate (eager) ${t64.toFixed(1)} ms`,
);
