import type { Command } from "commander";
import { criticalPoint } from "../../theory/critical.js";
import { gaussianKernel } from "../../theory/kernel.js";
import { powerLawFit, propagate } from "../../theory/recurrence.js";
import {
  blockFamily,
  blockSettings,
  parseBlockOptions,
  withBlockOptions,
} from "../network-options.js";
import { printJson, warn } from "../output.js";

export function registerCritical(program: Command): void {
  withBlockOptions(
    program
      .command("critical")
      .description("the critical σ_w² where χ_J(q*) = 1 (infinite-width theory)"),
  )
    .option("--json", "print JSON")
    .action((o) => {
      const b = parseBlockOptions(o);
      const family = blockFamily(b);
      const cp = criticalPoint(family, b.q0);
      // APJN exponent at the critical point: J^{0,l} ∝ l^{−ζ}, fitted over l ∈ [250, 1000]
      const atCritical = family(cp.everywhere ? 1 : cp.sigmaW2);
      const t = propagate(atCritical, gaussianKernel(b.q0), 1000);
      const warnings: string[] = [];
      if (t.overflowLayer !== null)
        warn(
          warnings,
          `q^l exceeds the float64 range at layer ${t.overflowLayer} of the 1000 used to fit ζ: zeta is null`,
        );
      const zeta = t.overflowLayer === null ? powerLawFit(t.logJ, 250, 1000).zeta : Number.NaN;
      const result = {
        ...blockSettings(b),
        sigma_w2: cp.everywhere ? null : cp.sigmaW2,
        everywhere_critical: cp.everywhere,
        q_star: cp.qStar,
        q_star_infinite: !Number.isFinite(cp.qStar),
        chi_J: cp.chiJ,
        chi_1: cp.chi1,
        chi_q: cp.chiQ,
        c_star: cp.cStar,
        chi_c: cp.chiC,
        xi_q: cp.xiQ,
        xi_c: cp.xiC,
        zeta,
        zeta_convention:
          "J^{0,l} ∝ l^(−zeta) at the critical point (at σ_w² = 1 when critical everywhere), fitted over l ∈ [250, 1000]",
        warnings,
      };
      if (o.json) return printJson(result);
      const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(8) : "∞");
      process.stdout.write(
        cp.everywhere
          ? `${b.activation.name}: critical for every σ_w² (χ_J → 1): q grows without bound\n`
          : `${b.activation.name} at σ_b² = ${b.sigmaB2}: critical σ_w² = ${fmt(cp.sigmaW2)}  (q* = ${fmt(cp.qStar)}, χ_J = ${fmt(cp.chiJ)}, ξ_q = ${fmt(cp.xiQ)}, J ∝ l^(−ζ) with ζ = ${Number.isFinite(zeta) ? zeta.toFixed(4) : "— (q overflows)"})\n`,
      );
    });
}
