import type { Command } from "commander";
import { initSearch } from "../../diagnostics/init-search.js";
import { InputError } from "../../errors.js";
import { shutdownJax } from "../../nets/jax.js";
import { criticalPoint } from "../../theory/critical.js";
import { parseArchOptions, withArchOptions } from "../arch-options.js";
import { int, num, range } from "../options.js";
import { printJson, warn } from "../output.js";

/** The narrowest σ_w² scan init-search accepts: max/min. */
const MIN_RANGE_RATIO = 1.1;

export function registerInitSearch(program: Command): void {
  withArchOptions(
    program
      .command("init-search")
      .description(
        "the cheap numerical test: find the critical σ_w² of short finite networks (and its infinite-width extrapolation)",
      ),
    { seeds: "4", inputs: "1", probes: "2" },
  )
    .option("--range <min,max>", "σ_w² search range", "0.25,16")
    .option(
      "--tol <rel>",
      "target standard error of the extrapolated (else the finite-width) σ_w², relative",
      "0.01",
    )
    .option(
      "--max-seeds <n>",
      "most networks at width N, seeds added until --tol is met (a narrower second width: as many more as the same cost buys)",
      "512",
    )
    .option(
      "--extrapolate <factor>",
      "also measure at width × factor and extrapolate to infinite width in 1/N ('none' to skip; a narrower second width is cheaper)",
      "0.125",
    )
    .option("--fit-from <l1>", "first layer of the rate window [l1, L] (default L/4)")
    .option("--json", "print JSON")
    .action(async (o) => {
      // the uncertainty of σ_w² comes from the seed-to-seed spread of the rates: ≥ 2 networks
      const a = parseArchOptions(o, { minSeeds: 2 });
      const [lo, hi] = range("--range", o.range, { minExclusive: 0 });
      if (hi < MIN_RANGE_RATIO * lo)
        throw new InputError(
          "--range",
          `max must be at least ${MIN_RANGE_RATIO} × min to search (got ${lo},${hi})`,
        );
      const tol = num("--tol", o.tol, { minExclusive: 0, max: 1 });
      const maxSeeds = int("--max-seeds", o.maxSeeds, a.seeds.length, 100_000);
      const factor =
        o.extrapolate === "none"
          ? undefined
          : num("--extrapolate", o.extrapolate, { minExclusive: 0 });
      if (factor === 1) throw new InputError("--extrapolate", "must differ from 1");
      const depth = a.archFor(1).blocks.length;
      const fitFrom =
        o.fitFrom === undefined ? undefined : int("--fit-from", o.fitFrom, 0, depth - 2);
      try {
        const t0 = performance.now();
        const r = await initSearch(a.archFor, {
          range: [lo, hi],
          seed: a.seeds[0]!,
          pilot: a.seeds.length,
          maxSeeds,
          tol,
          inputs: a.inputs,
          probes: a.probes,
          q0: a.q0,
          dtype: a.dtype,
          fitFrom,
          extrapolate: factor === undefined ? undefined : { factor },
        });
        const seconds = (performance.now() - t0) / 1000;
        const theory = a.theoryBlockFor ? theoryCritical(a.theoryBlockFor, a.q0) : null;
        const points = (e: typeof r.finite) =>
          [...e.points]
            .sort((x, y) => x.sigmaW2 - y.sigmaW2)
            .map((p) => ({
              sigma_w2: p.sigmaW2,
              rate: p.rate,
              rate_stderr: p.rateStderr,
              seeds: p.seeds,
            }));
        const warnings: string[] = [];
        const exponentOk = Number.isFinite(r.exponent) && Number.isFinite(r.exponentStderr);
        if (!exponentOk)
          warn(
            warnings,
            `the APJN power law at σ_w² = ${r.sigmaW2.toPrecision(5)} could not be fitted (the finite networks' J^{0,l} over- or underflows in ${a.dtype}): exponent is null`,
          );
        const result = {
          ...a.settings,
          sigma_w2: r.everywhere ? null : r.sigmaW2,
          sigma_w2_stderr: r.everywhere ? null : r.sigmaW2Stderr,
          sigma_w2_networks: r.finite.seeds,
          sigma_w2_infinite_width: r.infinite?.sigmaW2 ?? null,
          sigma_w2_infinite_width_stderr: r.infinite?.sigmaW2Stderr ?? null,
          extrapolation: r.infinite
            ? {
                factor: r.infinite.factor,
                sigma_w2_second: r.infinite.second.sigmaW2,
                sigma_w2_second_stderr: r.infinite.second.sigmaW2Stderr,
                networks: r.infinite.second.seeds,
                points: points(r.infinite.second),
              }
            : null,
          everywhere_critical: r.everywhere,
          exponent: r.exponent,
          exponent_stderr: r.exponentStderr,
          exponent_convention: "J^{0,l} ∝ l^(−exponent) at exponent_sigma_w2",
          exponent_sigma_w2: r.sigmaW2,
          theory_sigma_w2: theory,
          tol,
          forward_pass_equivalents: r.passes,
          seconds,
          points: points(r.finite),
          warnings,
        };
        if (o.json) return printJson(result);
        const pm = (v: number, se: number) => `${v.toFixed(4)} ± ${se.toFixed(4)}`;
        const width = (a.settings.width as number | undefined) ?? null;
        const head = r.everywhere
          ? `critical everywhere: no exponential growth or decay of the APJN for σ_w² in [${lo}, ${hi}]\n`
          : `critical σ_w² of this network${width ? ` (width ${width})` : ""}: ${pm(r.sigmaW2, r.sigmaW2Stderr)}  (${r.finite.seeds} networks)\n` +
            (r.infinite
              ? `extrapolated to infinite width: ${pm(r.infinite.sigmaW2, r.infinite.sigmaW2Stderr)}  (width × ${r.infinite.factor}: ${pm(r.infinite.second.sigmaW2, r.infinite.second.sigmaW2Stderr)}, ${r.infinite.second.seeds} networks)\n`
              : "");
        process.stdout.write(
          `${head}APJN power law at σ_w² = ${r.sigmaW2.toFixed(4)}: ${exponentOk ? `J ∝ l^(−ζ), ζ = ${r.exponent.toFixed(3)} ± ${r.exponentStderr.toFixed(3)}` : "not measurable (J over- or underflows)"}\n` +
            (theory !== null ? `infinite-width theory: σ_w² = ${theory.toFixed(4)}\n` : "") +
            `cost: ${Math.round(r.passes)} forward-pass equivalents of the width-${width ?? "N"} network, ${seconds.toFixed(1)} s\n`,
        );
      } finally {
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
