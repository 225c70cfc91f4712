import type { Command } from "commander";
import type { Branch, FixedPointBranches, ReachedPoint } from "../../theory/branches.js";
import { criticalTransition } from "../../theory/critical.js";
import { fixedPoints } from "../../theory/fixed-points.js";
import { gaussianKernel } from "../../theory/kernel.js";
import { type FixedPoint, powerLawFit, propagate } from "../../theory/recurrence.js";
import {
  blockFamily,
  blockSettings,
  parseBlockOptions,
  withBlockOptions,
} from "../network-options.js";
import { printJson, warn } from "../output.js";

const ZETA_DEPTH = 1000;
const ZETA_FROM = 250;

/**
 * The APJN exponent ζ (J^{0,l} ∝ l^{−ζ}) at the critical point. With a finite q* > 0, q^l
 * approaches it like χ_q^l, so the fit over l ∈ [max(250, 5ξ_q), 1000] starts after q^l has
 * converged (to e^{−5}); null when 5ξ_q > 750 (not yet measurable within 1000 layers). With
 * q* = 0 or ∞ (χ_q = 1) the approach is itself a power law and the fit is over [250, 1000].
 */
function criticalExponent(
  block: Parameters<typeof propagate>[0],
  q0: number,
  fp: FixedPoint,
): { zeta: number | null; from: number; overflowLayer: number | null } {
  const from =
    fp.qStar > 0 && Number.isFinite(fp.qStar) && Number.isFinite(fp.xiQ)
      ? Math.max(ZETA_FROM, Math.ceil(5 * fp.xiQ))
      : ZETA_FROM;
  if (from > 0.75 * ZETA_DEPTH) return { zeta: null, from, overflowLayer: null };
  const t = propagate(block, gaussianKernel(q0), ZETA_DEPTH);
  if (t.overflowLayer !== null) return { zeta: null, from, overflowLayer: t.overflowLayer };
  return { zeta: powerLawFit(t.logJ, from, ZETA_DEPTH).zeta, from, overflowLayer: null };
}

/** A range [min, max] in JSON; a null end is unbounded (0 or ∞ in the theory, never a lost value). */
const interval = ([min, max]: readonly [number, number] | readonly number[]) => ({ min, max });

const fmt = (x: number, p = 6) => (Number.isFinite(x) ? x.toPrecision(p) : x > 0 ? "∞" : "—");

function branchJson(b: Branch, index: number) {
  return {
    index,
    stability: b.stability,
    q_star: interval(b.qStar),
    sigma_w2: interval(b.sigmaW2),
    critical: b.critical.map((c) => ({
      sigma_w2: c.sigmaW2,
      q_star: c.qStar,
      reached_by_iteration: b.stability === "attracting",
    })),
  };
}

function reachedJson(r: ReachedPoint) {
  return { q_star: r.qStar, chi_J: r.chiJ, branch: r.branch };
}

/** One sentence per branch: where it lives and where χ_J = 1 on it. */
function describeBranches(a: FixedPointBranches): string {
  const parts = a.branches.map((b) => {
    const where =
      b.qStar[0] === 0 && b.qStar[1] === 0
        ? "q* = 0"
        : b.qStar[0] === Number.POSITIVE_INFINITY
          ? "q → ∞"
          : `q* ∈ [${fmt(b.qStar[0], 4)}, ${fmt(b.qStar[1], 4)}]`;
    const crit = b.critical.map(
      (c) =>
        `χ_J = 1 at σ_w² = ${fmt(c.sigmaW2)}${Number.isFinite(c.qStar) ? ` (q* = ${fmt(c.qStar, 4)})` : ""}${b.stability === "repelling" ? ", repelling: never reached by iteration" : ""}`,
    );
    return `${b.stability} ${where} for σ_w² ∈ [${fmt(b.sigmaW2[0])}, ${fmt(b.sigmaW2[1])}]${crit.length ? ` (${crit.join("; ")})` : ""}`;
  });
  const sn = a.saddleNodes.map((s) => `σ_w² = ${fmt(s.sigmaW2)} (q* = ${fmt(s.qStar, 4)})`);
  return `Fixed-point branches: ${parts.join("; ")}.${sn.length ? ` Saddle-nodes (an attracting and a repelling branch merge) at ${sn.join(" and ")}.` : ""}`;
}

/**
 * The `critical` result (the JSON document) and its text for commander's options `o` (its flags
 * as camelCase keys, values as strings): the command and `critkit sweep` both call it.
 */
export function criticalReport(o: Record<string, unknown>) {
  const b = parseBlockOptions(o);
  const family = blockFamily(b);
  const { analysis, kind, critical: cp } = criticalTransition(family, b.q0);
  const first = analysis.transitions[0];
  const atSigma = cp ? (cp.everywhere ? 1 : cp.sigmaW2) : first ? first.sigmaW2 : null;
  const exponent = cp ? criticalExponent(family(atSigma!), b.q0, cp) : null;
  const warnings: string[] = [];
  if (exponent?.overflowLayer != null)
    warn(
      warnings,
      `q^l exceeds the float64 range at layer ${exponent.overflowLayer} of the ${ZETA_DEPTH} used to fit ζ: zeta is null`,
    );
  const points = atSigma !== null ? fixedPoints(family(atSigma)) : null;
  const result = {
    ...blockSettings(b),
    transition: kind,
    sigma_w2: kind === "everywhere" ? null : (first?.sigmaW2 ?? null),
    everywhere_critical: kind === "everywhere",
    ...(cp
      ? {
          q_star: cp.qStar,
          q_star_infinite: !Number.isFinite(cp.qStar),
          chi_J: cp.chiJ,
          chi_1: cp.chi1,
          chi_q: cp.chiQ,
          c_star: cp.cStar,
          chi_c: cp.chiC,
          xi_q: cp.xiQ,
          xi_c: cp.xiC,
          zeta: exponent!.zeta,
          zeta_convention: `J^{0,l} ∝ l^(−zeta) at the critical point (at σ_w² = 1 when critical everywhere), fitted over l ∈ [${exponent!.from}, ${ZETA_DEPTH}] after q^l has converged; null: q^l still converging at depth ${ZETA_DEPTH} (not yet measurable)`,
        }
      : {}),
    jump:
      first && !first.continuous
        ? {
            sigma_w2: first.sigmaW2,
            cause: first.cause,
            below: reachedJson(first.below),
            above: reachedJson(first.above),
          }
        : null,
    reached_branch: first ? { below: first.below.branch, above: first.above.branch } : null,
    branches: analysis.branches.map(branchJson),
    saddle_nodes: analysis.saddleNodes.map((s) => ({ sigma_w2: s.sigmaW2, q_star: s.qStar })),
    transitions: analysis.transitions.map((t) => ({
      sigma_w2: t.sigmaW2,
      continuous: t.continuous,
      cause: t.cause,
      below: reachedJson(t.below),
      above: reachedJson(t.above),
    })),
    fixed_points_at_sigma_w2: points && {
      neutral: points.neutral,
      divergent: points.divergent,
      points: points.points.map((p) => ({
        q_star: p.qStar,
        attracting: p.attracting,
        chi_J: p.chiJ,
        chi_q: p.chiQ,
        basin: interval(p.basin),
      })),
    },
    warnings,
  };
  const head = `${b.activation.name} at σ_b² = ${b.sigmaB2}, q^0 = ${b.q0}: `;
  let text: string;
  if (kind === "everywhere") {
    text = `${b.activation.name}: critical for every σ_w² (χ_J → 1): q grows without bound.`;
  } else if (kind === "none") {
    text = `${head}χ_J(q*) does not cross 1 for σ_w² ∈ [0, 1e4]: no order-to-chaos transition.`;
  } else if (cp) {
    const z =
      exponent!.overflowLayer !== null
        ? "ζ — (q overflows)"
        : exponent!.zeta === null
          ? `ζ not yet measurable (q^l converges over ξ_q = ${fmt(cp.xiQ, 4)} layers)`
          : `J ∝ l^(−ζ) with ζ = ${exponent!.zeta.toFixed(4)}`;
    text = `${b.activation.name} at σ_b² = ${b.sigmaB2}: critical σ_w² = ${fmt(cp.sigmaW2, 8)}  (q* = ${fmt(cp.qStar, 8)}, χ_J = ${fmt(cp.chiJ, 8)}, ξ_q = ${fmt(cp.xiQ, 8)}, ${z})`;
    if (analysis.saddleNodes.length) text += `\n${describeBranches(analysis)}`;
  } else {
    const t = first!;
    const why =
      t.cause === "saddle-node"
        ? "the attracting branch it was on ends in a saddle-node there"
        : `the repelling fixed point bounding its basin passes q^0 = ${b.q0} there`;
    text =
      `${head}discontinuous order-to-chaos transition at σ_w² = ${fmt(t.sigmaW2)}: below it the network reaches q* = ${fmt(t.below.qStar, 4)} (χ_J = ${fmt(t.below.chiJ, 4)}), above it q* jumps to ${fmt(t.above.qStar, 4)} (χ_J = ${fmt(t.above.chiJ, 4)}), because ${why}; ` +
      `no σ_w² has χ_J(q*) = 1 on the path from q^0. ${describeBranches(analysis)}`;
  }
  return { result, text };
}

export function registerCritical(program: Command): void {
  withBlockOptions(
    program
      .command("critical")
      .description(
        "the σ_w² where the network from q^0 turns chaotic (χ_J(q*) = 1, or a jump of q*), with every fixed-point branch (infinite-width theory)",
      ),
  )
    .option("--json", "print JSON")
    .action((o) => {
      const { result, text } = criticalReport(o);
      if (o.json) return printJson(result);
      process.stdout.write(`${text}\n`);
    });
}
