import type { Command } from "commander";
import { criticalPoint } from "../../theory/critical.js";
import { blockFamily, blockSettings, parseBlockOptions, withBlockOptions } from "../network-options.js";
import { printJson } from "../output.js";

export function registerCritical(program: Command): void {
  withBlockOptions(
    program.command("critical").description("the critical σ_w² where χ_J(q*) = 1 (infinite-width theory)"),
  )
    .option("--json", "print JSON")
    .action((o) => {
      const b = parseBlockOptions(o);
      const cp = criticalPoint(blockFamily(b), b.q0);
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
      };
      if (o.json) return printJson(result);
      const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(8) : "∞");
      process.stdout.write(
        cp.everywhere
          ? `${b.activation.name}: critical for every σ_w² (χ_J → 1): q grows without bound\n`
          : `${b.activation.name} at σ_b² = ${b.sigmaB2}: critical σ_w² = ${fmt(cp.sigmaW2)}  (q* = ${fmt(cp.qStar)}, χ_J = ${fmt(cp.chiJ)}, ξ_q = ${fmt(cp.xiQ)})\n`,
      );
    });
}
