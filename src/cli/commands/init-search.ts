import type { Command } from "commander";
import { initSearch } from "../../diagnostics/init-search.js";
import { InputError } from "../../errors.js";
import { shutdownJax } from "../../nets/jax.js";
import { criticalPoint } from "../../theory/critical.js";
import { parseArchOptions, withArchOptions } from "../arch-options.js";
import { int, range } from "../options.js";
import { printJson, progress } from "../output.js";

/** The narrowest σ_w² scan init-search accepts: max/min. */
const MIN_RANGE_RATIO = 1.1;

export function registerInitSearch(program: Command): void {
  withArchOptions(
    program
      .command("init-search")
      .description(
        "the cheap numerical test: scan σ_w² on short finite networks and return the critical initialization",
      ),
    { seeds: "4", inputs: "4", probes: "16" },
  )
    .option("--range <min,max>", "σ_w² scan range (log-spaced, max ≥ 1.1 min)", "0.25,16")
    .option("--scan-points <n>", "points of the coarse scan", "9")
    .option("--refine-points <n>", "points inside the bracket", "6")
    .option("--json", "print JSON")
    .action(async (o) => {
      // the uncertainty of σ_w² comes from the seed-to-seed spread of the rates: ≥ 2 networks
      const a = parseArchOptions(o, { minSeeds: 2 });
      const [lo, hi] = range("--range", o.range, { minExclusive: 0 });
      if (hi < MIN_RANGE_RATIO * lo)
        throw new InputError(
          "--range",
          `max must be at least ${MIN_RANGE_RATIO} × min to scan (got ${lo},${hi}): the rates would not change across it`,
        );
      const scanPoints = int("--scan-points", o.scanPoints, 3, 200);
      const refinePoints = int("--refine-points", o.refinePoints, 2, 200);
      const bar = progress(
        (scanPoints + refinePoints + 1) * a.seeds.length,
        "networks",
        Boolean(o.json),
      );
      try {
        const r = await initSearch(a.archFor, {
          ...a,
          range: [lo, hi],
          scanPoints,
          refinePoints,
          onProgress: (d) => bar.tick(d),
        });
        bar.stop();
        const theory = a.theoryBlockFor ? theoryCritical(a.theoryBlockFor, a.q0) : null;
        const result = {
          ...a.settings,
          sigma_w2: r.everywhere ? null : r.sigmaW2,
          sigma_w2_stderr: r.everywhere ? null : r.sigmaW2Stderr,
          everywhere_critical: r.everywhere,
          exponent: r.exponent,
          exponent_stderr: r.exponentStderr,
          exponent_convention: "J^{0,l} ∝ l^(−exponent) at exponent_sigma_w2",
          exponent_sigma_w2: r.sigmaW2,
          theory_sigma_w2: theory,
          forward_pass_equivalents: r.passes,
          scan: [...r.scan, ...r.refine]
            .sort((x, y) => x.sigmaW2 - y.sigmaW2)
            .map((p) => ({ sigma_w2: p.sigmaW2, rate: p.rate, rate_stderr: p.rateStderr })),
        };
        if (o.json) return printJson(result);
        const head = r.everywhere
          ? `critical everywhere: no exponential growth or decay of the APJN for σ_w² in [${lo}, ${hi}]`
          : `critical σ_w² = ${r.sigmaW2.toFixed(4)} ± ${r.sigmaW2Stderr.toFixed(4)}`;
        process.stdout.write(
          `${head}\nAPJN power law at σ_w² = ${r.sigmaW2.toFixed(4)}: J ∝ l^(−ζ), ζ = ${r.exponent.toFixed(3)} ± ${r.exponentStderr.toFixed(3)}\n` +
            (theory !== null ? `infinite-width theory: σ_w² = ${theory.toFixed(4)}\n` : "") +
            `cost: ${r.passes} forward-pass equivalents\n`,
        );
      } finally {
        bar.stop();
        await shutdownJax();
      }
    });
}

/** The theory's critical σ_w² for the same blocks, or null where it has none. */
function theoryCritical(blockFor: Parameters<typeof criticalPoint>[0], q0: number): number | null {
  try {
    const cp = criticalPoint(blockFor, q0);
    return cp.everywhere ? null : cp.sigmaW2;
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
}
