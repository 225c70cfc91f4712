import type { Command } from "commander";
import { gaussianKernel } from "../../theory/kernel.js";
import { Q_BIVARIATE_MAX } from "../../theory/quadrature.js";
import { apjnFrom, powerLawFit, propagate } from "../../theory/recurrence.js";
import {
  blockFamily,
  blockSettings,
  parseBlockOptions,
  withBlockOptions,
} from "../network-options.js";
import { int, num } from "../options.js";
import { expOfLogs, printJson, warn } from "../output.js";

/**
 * The `apjn-theory` result for commander's options `o` (its flags as camelCase keys, values as
 * strings): the command and `critkit sweep` both call it.
 */
export function apjnTheoryResult(o: Record<string, unknown>) {
  const b = parseBlockOptions(o);
  const sigmaW2 = num("--sigma-w2", o.sigmaW2, { min: 0 });
  const depth = int("--depth", o.depth, 1, 100_000);
  const l0 = int("--l0", o.l0, 0, depth - 1);
  const c0 = num("--c0", o.c0, { min: -1, max: 1 });
  const block = blockFamily(b)(sigmaW2);
  const t = propagate(block, gaussianKernel(b.q0, b.q0, c0), depth, {
    bivariateUpTo: b.activation.closedForm ? Number.POSITIVE_INFINITY : Q_BIVARIATE_MAX,
  });
  const warnings: string[] = [];
  if (t.overflowLayer !== null)
    warn(
      warnings,
      `q^l exceeds the float64 range at layer ${t.overflowLayer}: the recurrence stops there (q, c, χ_J and J are null from that layer on)`,
    );
  if (t.correlationStop !== null && c0 !== 1)
    warn(
      warnings,
      `c^l is not computed from layer ${t.correlationStop} on: q^l > ${Q_BIVARIATE_MAX.toPrecision(2)}, beyond the accurate range of the two-input quadrature (c is null there)`,
    );
  const logApjn = apjnFrom(t, l0);
  const vanishes = logApjn.indexOf(Number.NEGATIVE_INFINITY);
  if (vanishes >= 0)
    warn(
      warnings,
      `J^{${l0},l} is exactly 0 from layer ${l0 + vanishes} on (a layer with χ_J = 0): log_apjn is null (−∞) there`,
    );
  const layers = Array.from({ length: depth - l0 + 1 }, (_, i) => l0 + i);
  const fitFrom = Math.max(1, Math.floor(depth / 4));
  // σ_w² = 0 makes J vanish after one layer (log J = −∞): no power law to fit
  const fit =
    depth >= 8 && t.overflowLayer === null && Number.isFinite(t.logJ[depth]!)
      ? powerLawFit(t.logJ, fitFrom, depth)
      : undefined;
  const result = {
    ...blockSettings(b),
    sigma_w2: sigmaW2,
    depth,
    l0,
    c0,
    layers,
    log_apjn: Array.from(logApjn),
    apjn: expOfLogs(logApjn, layers, `J^{${l0},l}`, "log_apjn", warnings),
    q: Array.from(t.q.slice(l0)),
    c: Array.from(t.c.slice(l0)),
    chi_J: Array.from(t.chi.slice(l0)),
    power_law: fit
      ? { zeta: fit.zeta, rms_residual: fit.residual, fit_layers: [fitFrom, depth] }
      : null,
    warnings,
  };
  return result;
}

export function registerApjnTheory(program: Command): void {
  withBlockOptions(
    program
      .command("apjn-theory")
      .description("per-layer APJN J^{l0,l}, q^l, c^l and χ_J^l of the infinite-width recurrence"),
  )
    .requiredOption("--sigma-w2 <v>", "weight variance σ_w² ≥ 0")
    .option("--depth <L>", "number of blocks", "100")
    .option("--l0 <l0>", "reference layer l0 of J^{l0,l}", "0")
    .option("--c0 <c>", "correlation c^0 of a second input", "0.5")
    .option("--json", "print JSON")
    .action((o) => {
      const result = apjnTheoryResult(o);
      const { l0, depth } = result;
      const logApjn = result.log_apjn;
      const fit = result.power_law;
      if (o.json) return printJson(result);
      process.stdout.write(`layer        J^{${l0},l}            q^l          c^l        χ_J^l\n`);
      const stride = Math.max(1, Math.floor((depth - l0) / 20));
      const fmt = (x: number | undefined, f: (x: number) => string) =>
        x === undefined ? "" : Number.isFinite(x) ? f(x) : "—";
      for (let i = 0; i < result.layers.length; i += stride) {
        process.stdout.write(
          `${String(result.layers[i]).padStart(5)}  ${fmt(logApjn[i], expString).padStart(16)}  ${fmt(result.q[i], (x) => x.toPrecision(6)).padStart(11)}  ${fmt(result.c[i], (x) => x.toFixed(6)).padStart(9)}  ${fmt(result.chi_J[i], (x) => (x < 1e6 ? x.toFixed(6) : x.toPrecision(6))).padStart(10)}\n`,
        );
      }
      if (fit)
        process.stdout.write(
          `power-law fit over l ∈ [${fit.fit_layers[0]}, ${depth}]: J ∝ l^(−ζ), ζ = ${fit.zeta.toFixed(4)}\n`,
        );
    });
}

/** e^x written as mantissa·10^k even far outside the double range. */
function expString(logValue: number): string {
  if (logValue === Number.NEGATIVE_INFINITY) return "0";
  const log10 = logValue / Math.LN10;
  const k = Math.floor(log10);
  return `${(10 ** (log10 - k)).toFixed(4)}e${k >= 0 ? "+" : ""}${k}`;
}
