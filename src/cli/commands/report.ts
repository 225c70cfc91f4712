import type { Command } from "commander";
import { measureApjn, theoryApjn } from "../../diagnostics/apjn-profile.js";
import { InputError } from "../../errors.js";
import { shutdownJax } from "../../nets/jax.js";
import { mlpBlock, serial } from "../../nets/layers/index.js";
import { type ReportSection, reportHtml } from "../../report/html.js";
import { phaseHeatmap } from "../../report/phase-plot.js";
import { lineSpec, type Overlay, renderSvg } from "../../report/plot.js";
import { activation } from "../../theory/activations.js";
import { criticalLine, criticalTransition } from "../../theory/critical.js";
import type { KernelLayer } from "../../theory/kernel.js";
import { linspace, PHASES, phaseDiagram, phaseOf, quadspace } from "../../theory/phase.js";
import { depthScale, fixedPoint } from "../../theory/recurrence.js";
import { tabulated } from "../../theory/tabulate.js";
import { withArchOptions } from "../arch-options.js";
import {
  activationNames,
  applyFlags,
  readConfigFile,
  resolveNetworkConfig,
} from "../network-config.js";
import { checkOutputFile, printJson, progress, warn, writeFileAtomic } from "../output.js";

/** Phase-diagram grid per axis, σ_b² points of its critical line, and its largest depth. */
const PHASE_GRID = 32;
const LINE_POINTS = 12;
const PHASE_MAX_DEPTH = 1000;

const fmt = (x: number | null, p = 4) =>
  x === null || Number.isNaN(x) ? "—" : Number.isFinite(x) ? x.toPrecision(p) : x > 0 ? "∞" : "−∞";

/** The theory at the network's σ_w² and the critical σ_w² (as `critical` computes it). */
function theoryAt(family: (sigmaW2: number) => KernelLayer, sw2: number, q0: number) {
  const { analysis, kind: transition, critical: cp } = criticalTransition(family, q0);
  const first = analysis.transitions[0];
  const fp = fixedPoint(family(sw2), q0);
  return {
    transition,
    critical_sigma_w2: transition === "everywhere" ? null : (first?.sigmaW2 ?? null),
    critical_q_star: cp && !cp.everywhere ? cp.qStar : null,
    q_star: fp.qStar,
    /** q* = ∞ (null in JSON): the variance grows without bound, χ's are taken at q → ∞ */
    q_star_infinite: fp.qStar === Number.POSITIVE_INFINITY,
    chi_J: fp.chiJ,
    chi_q: fp.chiQ,
    c_star: fp.cStar,
    chi_c: fp.chiC,
    xi_q: fp.xiQ,
    xi_c: fp.xiC,
    xi_J: depthScale(fp.chiJ),
  };
}

/** A "+" marker at (x, y) drawn as two short overlay lines, sized by the axis ranges. */
function marker(x: number, y: number, dx: number, dy: number, label: string): Overlay[] {
  return [
    { x: [x - dx, x + dx], y: [y, y], label },
    { x: [x, x], y: [y - dy, y + dy], label },
  ];
}

export function registerReport(program: Command): void {
  withArchOptions(
    program
      .command("report")
      .description(
        "one self-contained HTML report of a network (a YAML/JSON config, flags, or both): theory, measured APJN, phase diagram, verdict",
      ),
    { seeds: "2", inputs: "2", probes: "8" },
  )
    .option("--config <file>", "network config (.yaml, .yml or .json; see docs/config.md)")
    .option("--sigma-w2 <v>", "weight variance σ_w² > 0 (required without --config)")
    .option("--out <file>", "the report (.html)", "report.html")
    .option("--json", "also print the report's numbers as JSON")
    .action(async (o, cmd: Command) => {
      // flags given on the command line override the file's fields; without a file, every
      // flag (defaults included) describes the network: one schema checks both
      const file = o.config === undefined ? undefined : String(o.config);
      if (file === undefined && o.sigmaW2 === undefined)
        throw new InputError("--sigma-w2", "required without --config");
      const { doc, flagged } = applyFlags(
        file === undefined ? undefined : readConfigFile(file),
        o,
        (key) => file === undefined || cmd.getOptionValueSource(key) === "cli",
      );
      const { config: c, arch: a } = resolveNetworkConfig(
        doc,
        file ?? "(flags)",
        "--config",
        flagged,
      );
      const out = checkOutputFile("--out", o.out, [".html"]);
      const sw2 = c.sigma_w2;
      const net = a.archFor(sw2);
      const depth = net.blocks.length;
      const names = activationNames(c);
      const warnings: string[] = [];
      const periods = depth / a.period;

      // infinite-width theory (MLP): fixed point, criticality, APJN vs depth
      const theory = a.theoryBlockFor ? theoryAt(a.theoryBlockFor, sw2, a.q0) : null;
      const logTheory = theoryApjn(net, a.q0);

      const bar = progress(a.seeds.length, "networks", Boolean(o.json));
      let measured: Awaited<ReturnType<typeof measureApjn>>;
      try {
        measured = await measureApjn(net, {
          seeds: a.seeds,
          inputs: a.inputs,
          probes: a.probes,
          q0: a.q0,
          dtype: a.dtype,
          onProgress: bar.tick,
        });
      } finally {
        bar.stop();
        await shutdownJax();
      }
      const layers = measured.layers;
      const logJ = Array.from(measured.logJ);
      const rel = Array.from(measured.relStderr);
      const lost = logJ.findIndex((v) => !Number.isFinite(v));
      if (lost >= 0)
        warn(
          warnings,
          `the finite networks' log J^{0,l} is not finite from layer ${layers[lost]} on (${a.dtype} over- or underflow): try measure.dtype float64 or a smaller sigma_w2`,
        );
      const agree = logJ.map((v, i) =>
        logTheory && Number.isFinite(v) && Number.isFinite(logTheory[i]!)
          ? Math.abs(v - logTheory[i]!) <= 3 * rel[i]!
          : null,
      );

      // the theory's phase at the network's depth, from χ_J per period
      const logChi = theory ? Math.log(theory.chi_J) : logJ[logJ.length - 1]! / periods;
      const phase = Number.isFinite(logChi) ? PHASES[phaseOf(logChi, periods)]! : "unknown";

      // phase diagram with the network marked (MLP theory only)
      let phaseSvg: string | undefined;
      let phaseCaption = "";
      if (theory) {
        const acts = names.map((n) => activation(n));
        const layernorm = c.layernorm ?? "none";
        const mu = c.residual ?? 0;
        const familyOf = (tab: boolean) => (w: number, b: number) =>
          serial(
            ...acts.map((phi) =>
              mlpBlock({
                activation: tab ? tabulated(phi) : phi,
                sigmaW2: w,
                sigmaB2: b,
                layernorm,
                mu,
              }),
            ),
          );
        const crit = theory.critical_sigma_w2;
        const w1 = Math.max(4, 1.5 * sw2, crit !== null ? 1.5 * crit : 0);
        const w0 = w1 / 40;
        const b1 = Math.max(0.5, 1.5 * c.sigma_b2);
        const phaseDepth = Math.min(periods, PHASE_MAX_DEPTH);
        const grid = phaseDiagram(
          familyOf(true),
          linspace(w0, w1, PHASE_GRID),
          linspace(0, b1, PHASE_GRID),
          Math.max(1, Math.round(phaseDepth)),
          a.q0,
        );
        const line = criticalLine(familyOf(false), quadspace(0, b1, LINE_POINTS), a.q0, [w0, w1]);
        const mark = marker(sw2, c.sigma_b2, (w1 - w0) / 30, b1 / 30, "this network");
        phaseSvg = await renderSvg(phaseHeatmap(grid, names.join(","), line, mark));
        phaseCaption = `log χ_J per ${a.period === 1 ? "block" : `period of ${a.period} blocks`} over (σ_w², σ_b²) at depth ${Math.round(phaseDepth)} (blue ordered, red chaotic), with the order-to-chaos line; the cross marks this network (σ_w² = ${sw2}, σ_b² = ${c.sigma_b2}).`;
      }

      // APJN vs depth: finite networks (± s.e.) beside the infinite-width theory
      const x = [0, ...layers];
      const series = [{ name: "finite (± s.e.)", x, y: [0, ...logJ], yErr: [0, ...rel] }];
      if (logTheory)
        series.push({
          name: "theory",
          x,
          y: [0, ...logTheory],
          yErr: x.map(() => 0),
        });
      const apjnSvg = await renderSvg(
        lineSpec({ series, xTitle: "layer l", yTitle: "log J^{0,l}", title: "APJN vs depth" }),
      );

      const verdict = verdictText({
        theory,
        phase,
        sw2,
        depth,
        periods,
        logJ: logJ[logJ.length - 1]!,
        logTheory: logTheory ? logTheory[logTheory.length - 1]! : null,
      });
      const title =
        c.name ??
        `${c.arch === "mlp" ? "MLP" : "MLP-Mixer"}: ${names.join(", ")}, σ_w² = ${sw2}, σ_b² = ${c.sigma_b2}, depth ${depth}`;
      const data = {
        file: file ?? null,
        name: c.name ?? null,
        network: { ...a.settings, sigma_w2: sw2 },
        theory,
        phase,
        measured: {
          layers,
          log_apjn: logJ,
          rel_stderr: rel,
          log_theory: logTheory ? Array.from(logTheory) : null,
          agrees_within_3_se: agree,
        },
        verdict,
        warnings,
      };

      // The verdict (and any warning) first: what a reader wants; the evidence follows.
      const sections: ReportSection[] = [
        { title: "Verdict", text: [verdict] },
        ...(warnings.length ? [{ title: "Warnings", text: warnings }] : []),
        {
          title: "Network",
          table: [
            ["field", "value"],
            ...Object.entries({ ...a.settings, sigma_w2: sw2 }).map(([k, v]) => [
              k,
              Array.isArray(v) ? v.join(", ") : String(v),
            ]),
          ],
        },
      ];
      if (theory) {
        const distance =
          theory.critical_sigma_w2 === null
            ? "—"
            : `${fmt(sw2 - theory.critical_sigma_w2)} (${fmt((100 * (sw2 - theory.critical_sigma_w2)) / theory.critical_sigma_w2, 3)} %)`;
        sections.push({
          title: "Infinite-width theory",
          text: [
            `Mean-field recurrence of the blocks${a.period > 1 ? ` (one period = ${a.period} blocks; χ per period)` : ""}, inputs with variance q^0 = ${a.q0}. Values as \`critkit critical\` and \`critkit apjn-theory\` compute them.`,
          ],
          table: [
            ["quantity", "value"],
            ["fixed point q*", fmt(theory.q_star, 6)],
            ["χ_J at q*", fmt(theory.chi_J, 6)],
            ["log χ_J × depth", fmt(Math.log(theory.chi_J) * periods, 4)],
            ["χ_q at q*", fmt(theory.chi_q, 6)],
            ["correlation fixed point c*", fmt(theory.c_star, 6)],
            ["χ_c at c*", fmt(theory.chi_c, 6)],
            ["depth scale ξ_J = 1/|log χ_J|", fmt(theory.xi_J, 4)],
            ["depth scale ξ_q", fmt(theory.xi_q, 4)],
            ["depth scale ξ_c", fmt(theory.xi_c, 4)],
            ["order-to-chaos transition", theory.transition],
            ["critical σ_w²", fmt(theory.critical_sigma_w2, 6)],
            ["σ_w² − critical σ_w²", distance],
            [`phase at depth ${depth}`, phase],
          ],
        });
      } else
        sections.push({
          title: "Infinite-width theory",
          text: ["No infinite-width theory for this architecture (MLP-Mixer): measured APJN only."],
        });
      const stride = Math.max(1, Math.floor(layers.length / 20));
      const rows: string[][] = [
        ["layer l", "log J (finite)", "s.e.", "log J (theory)", "within 3 s.e."],
      ];
      for (let i = 0; i < layers.length; i += stride)
        rows.push([
          String(layers[i]),
          fmt(logJ[i]!, 5),
          fmt(rel[i]!, 3),
          logTheory ? fmt(logTheory[i]!, 5) : "—",
          agree[i] === null ? "—" : agree[i] ? "yes" : "no",
        ]);
      sections.push({
        title: "APJN vs depth",
        text: [
          `Empirical APJN J^{0,l} of ${a.seeds.length} finite network(s) of this architecture (${a.inputs} inputs × ${a.probes} Hutchinson probes each, ${a.dtype}), as \`critkit apjn\` measures it, with the infinite-width theory beside it. The standard error is the spread over networks.`,
        ],
        svg: apjnSvg,
        caption: "log J^{0,l}: finite networks (± standard error) and the infinite-width theory.",
        table: rows,
      });
      if (phaseSvg) sections.push({ title: "Phase diagram", svg: phaseSvg, caption: phaseCaption });

      const html = reportHtml({
        title,
        lead: `critkit report of ${file ?? "a network given by flags"}`,
        sections,
        data,
      });
      await writeFileAtomic(out, html);
      if (o.json) return printJson({ ...data, out });
      process.stdout.write(`${verdict}\nwrote ${out}\n`);
    });
}

/** The plain-language verdict: phase, trainability (L ≤ 6 ξ_c), and which way to move σ_w². */
function verdictText(v: {
  theory: ReturnType<typeof theoryAt> | null;
  phase: string;
  sw2: number;
  depth: number;
  periods: number;
  logJ: number;
  logTheory: number | null;
}): string {
  const t = v.theory;
  if (!t) {
    const perLayer = v.logJ / v.depth;
    return `Measured: log J^{0,${v.depth}} = ${fmt(v.logJ)} (${fmt(perLayer)} per block): ${v.phase === "critical" ? "neither exploding nor vanishing over this depth" : v.phase === "ordered" ? "gradients vanish with depth" : v.phase === "chaotic" ? "gradients explode with depth" : "not finite"}. No infinite-width theory for this architecture, so no critical σ_w² is suggested.`;
  }
  const state =
    v.phase === "ordered"
      ? `ordered (vanishing gradients): χ_J = ${fmt(t.chi_J, 5)} < 1`
      : v.phase === "chaotic"
        ? `chaotic (exploding gradients): χ_J = ${fmt(t.chi_J, 5)} > 1`
        : `critical at this depth: χ_J = ${fmt(t.chi_J, 5)}, |log χ_J| × depth ≤ 2`;
  // Schoenholz et al. (2017): trainable while the depth stays below ~6 correlation depth scales
  const trainable = v.periods <= 6 * t.xi_c;
  // ξ_c counts periods of blocks (one block each with a single activation)
  const d =
    v.periods === v.depth
      ? `depth ${v.depth}`
      : `depth ${v.depth} (${Number.isInteger(v.periods) ? v.periods : fmt(v.periods)} periods of ${v.depth / v.periods} blocks)`;
  const train = trainable
    ? `Trainable by the depth-scale criterion: ${d} ≤ 6 ξ_c = ${fmt(6 * t.xi_c)}.`
    : `Likely untrainable: ${d} > 6 ξ_c = ${fmt(6 * t.xi_c)} (Schoenholz et al. 2017: signals through ~6 ξ_c layers at most).`;
  let advice: string;
  if (t.transition === "everywhere") advice = "Critical for every σ_w² (χ_J → 1): no σ_w² to tune.";
  else if (t.transition === "none" || t.critical_sigma_w2 === null)
    advice = "χ_J(q*) does not cross 1 for any σ_w² ∈ [0, 1e4]: no critical σ_w² at this σ_b².";
  else {
    const sc = t.critical_sigma_w2;
    const kind =
      t.transition === "discontinuous" ? " (a jump of q*: a discontinuous transition)" : "";
    advice =
      Math.abs(v.sw2 - sc) <= 1e-3 * sc
        ? `σ_w² = ${v.sw2} is at the critical σ_w² = ${fmt(sc, 6)}${kind}.`
        : `The critical σ_w² is ${fmt(sc, 6)}${kind}: ${v.sw2 > sc ? "lower" : "raise"} σ_w² to that.`;
  }
  const vs =
    v.logTheory !== null && Number.isFinite(v.logJ)
      ? ` Measured log J^{0,${v.depth}} = ${fmt(v.logJ)} vs theory ${fmt(v.logTheory)}.`
      : "";
  return `This network is ${state}. ${train} ${advice}${vs}`;
}
