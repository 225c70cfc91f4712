import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mlpBlock } from "../../src/nets/layers/index.js";
import { activation } from "../../src/theory/activations.js";
import { fixedPoint } from "../../src/theory/recurrence.js";
import { argv, itRejects, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "critkit-report-"));
const tiny = join(import.meta.dirname, "../../examples/report-tiny.yaml");

function config(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function report(cfg: string, out = join(dir, `${Math.random()}.html`)) {
  const r = await runCli("report", "--config", cfg, "--out", out, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return { json: JSON.parse(r.stdout), html: readFileSync(out, "utf8") };
}

/** The JSON block embedded in the report. */
function embedded(html: string): Record<string, unknown> {
  const m = /<script type="application\/json" id="critkit-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

/** E[f(√q z)], z ~ N(0,1), by the trapezoid rule on [−12, 12] (independent of the library's quadrature). */
function gaussMean(f: (x: number) => number, q: number): number {
  const n = 24000;
  const h = 24 / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const z = -12 + i * h;
    const w = i === 0 || i === n ? 0.5 : 1;
    s += w * f(Math.sqrt(q) * z) * Math.exp((-z * z) / 2);
  }
  return (s * h) / Math.sqrt(2 * Math.PI);
}

describe("critkit report", () => {
  it("tanh: the theory equals `critical` and `apjn-theory`, and q*, χ_J solve the mean-field equations", async () => {
    const { json, html } = await report(tiny);
    const t = json.theory;
    const crit = JSON.parse(
      (await runCli(...argv("critical --activation tanh --sigma-b2 0.05 --json"))).stdout,
    );
    expect(t.critical_sigma_w2).toBeCloseTo(crit.sigma_w2, 10);
    expect(t.critical_q_star).toBeCloseTo(crit.q_star, 10);
    expect(t.transition).toBe("continuous");
    const th = JSON.parse(
      (
        await runCli(
          ...argv("apjn-theory --activation tanh --sigma-b2 0.05 --sigma-w2 1.5 --depth 4 --json"),
        )
      ).stdout,
    );
    expect(json.measured.log_theory).toHaveLength(4);
    for (const [i, v] of (json.measured.log_theory as number[]).entries())
      expect(v).toBeCloseTo(th.log_apjn[i + 1], 12);
    // the library's fixed point, called directly
    const fp = fixedPoint(
      mlpBlock({ activation: activation("tanh"), sigmaW2: 1.5, sigmaB2: 0.05 }),
      1,
    );
    expect(t.q_star).toBeCloseTo(fp.qStar, 12);
    expect(t.chi_J).toBeCloseTo(fp.chiJ, 12);
    expect(t.chi_q).toBeCloseTo(fp.chiQ, 10);
    // independent: q* = σ_w² E[tanh²] + σ_b², χ_J = σ_w² E[sech⁴] by the trapezoid rule
    const q = t.q_star;
    expect(1.5 * gaussMean((x) => Math.tanh(x) ** 2, q) + 0.05).toBeCloseTo(q, 9);
    expect(1.5 * gaussMean((x) => 1 / Math.cosh(x) ** 4, q)).toBeCloseTo(t.chi_J, 9);
    expect(t.xi_J).toBeCloseTo(1 / Math.abs(Math.log(t.chi_J)), 12);
    // χ_J < 1: the advice is to raise σ_w² to the critical value
    expect(t.chi_J).toBeLessThan(1);
    expect(json.verdict).toMatch(/raise σ_w² to that/);
    // the HTML shows the same numbers as the JSON, and embeds them
    expect(html).toContain(`<td>${t.chi_J.toPrecision(6)}</td>`);
    expect(html).toContain(`<td>${t.critical_sigma_w2.toPrecision(6)}</td>`);
    expect(embedded(html).theory).toEqual(t);
  });

  it("ReLU at σ_w² = 2, σ_b² = 0 (closed form): χ_J = 1, critical σ_w² = 2, J^{0,l} = 1", async () => {
    const cfg = config(
      "relu.yaml",
      "activation: relu\nsigma_w2: 2\nsigma_b2: 0\nwidth: 8\ndepth: 4\nmeasure: {seeds: 2, inputs: 1, probes: 2}\n",
    );
    const { json, html } = await report(cfg);
    expect(json.theory.chi_J).toBeCloseTo(1, 12);
    expect(json.theory.critical_sigma_w2).toBeCloseTo(2, 10);
    for (const v of json.measured.log_theory) expect(Math.abs(v)).toBeLessThan(1e-12);
    expect(json.phase).toBe("critical");
    expect(json.verdict).toMatch(/is at the critical σ_w²/);
    expect(html).toContain("<td>1.00000</td>");
  });

  it("ReLU at σ_b² > 0 above σ_w² = 2 (closed form): q* = ∞, χ_J = σ_w²/2, critical σ_w² = 2", async () => {
    const cfg = config(
      "relu-chaos.yaml",
      "activation: relu\nsigma_w2: 2.5\nsigma_b2: 0.1\nwidth: 8\ndepth: 10\nmeasure: {seeds: 1, inputs: 1, probes: 2}\n",
    );
    const { json, html } = await report(cfg);
    expect(json.theory.q_star).toBeNull();
    expect(json.theory.q_star_infinite).toBe(true);
    expect(json.theory.chi_J).toBeCloseTo(1.25, 12);
    expect(json.theory.critical_sigma_w2).toBeCloseTo(2, 10);
    // |log χ_J| × depth = 10 log 1.25 > 2
    expect(json.phase).toBe("chaotic");
    expect(html).toContain("<td>fixed point q*</td><td>∞</td>");
  });

  it("tanh at σ_b² = 0 (closed form): critical σ_w² = 1 (χ_J = σ_w² φ′(0)² at q* = 0)", async () => {
    const cfg = config(
      "tanh0.json",
      JSON.stringify({
        activation: "tanh",
        sigma_w2: 3,
        sigma_b2: 0,
        width: 8,
        depth: 4,
        measure: { seeds: 1, inputs: 1, probes: 2 },
      }),
    );
    const { json } = await report(cfg);
    expect(json.theory.critical_sigma_w2).toBeCloseTo(1, 8);
    expect(json.theory.chi_J).toBeGreaterThan(1);
    expect(json.verdict).toMatch(/lower σ_w² to that/);
  });

  it("one self-contained HTML document: one <html>, inline <svg>s, no external resource, user text escaped", async () => {
    const cfg = config(
      "evil.yaml",
      `name: "<script>alert('x')</script> & <b>bold</b>"\nsigma_w2: 1.5\nwidth: 8\ndepth: 4\nmeasure: {seeds: 1, inputs: 1, probes: 2}\n`,
    );
    const { html } = await report(cfg);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html.match(/<html\b/g)).toHaveLength(1);
    expect(html.match(/<\/html>/g)).toHaveLength(1);
    expect(html.match(/<body\b/g)).toHaveLength(1);
    // two plots (APJN, phase diagram), inline, without XML prologues
    expect(html.match(/<svg\b/g)).toHaveLength(2);
    expect(html).not.toContain("<?xml");
    // no external resource: only the SVG/XLink namespace names are URLs
    const urls = html.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'<)]*/gi) ?? [];
    expect(new Set(urls)).toEqual(
      new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]),
    );
    // only in-document references (url(#clip1) in the SVGs)
    expect(html.match(/<(link|img|iframe)\b|\bsrc=|@import|url\((?!#)/gi)).toBeNull();
    // the one <script> is the inert JSON block; the name appears only escaped
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<b>bold");
    expect(html).toContain(
      "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;",
    );
    expect(embedded(html).name).toBe("<script>alert('x')</script> & <b>bold</b>");
    // the marker of the network on the phase diagram
    expect(html).toContain("this network");
  });

  it("a Mixer config: measured APJN only, no phase diagram", async () => {
    const cfg = config(
      "mixer.yaml",
      "arch: mixer\nactivation: gelu\nsigma_w2: 1\ndepth: 2\ntokens: 2\nchannels: 4\ntoken_hidden: 4\nchannel_hidden: 4\nmeasure: {seeds: 1, inputs: 1, probes: 2}\n",
    );
    const { json, html } = await report(cfg);
    expect(json.theory).toBeNull();
    expect(json.measured.log_theory).toBeNull();
    expect(json.measured.log_apjn).toHaveLength(2);
    expect(html.match(/<svg\b/g)).toHaveLength(1);
    expect(json.verdict).toMatch(/No infinite-width theory/);
  });

  it("writes atomically: nothing but the report in the folder", async () => {
    const out = join(dir, "atomic", "r.html");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir, "atomic"));
    await report(tiny, out);
    expect(readdirSync(join(dir, "atomic"))).toEqual(["r.html"]);
  });

  it("flags describe the network without a file, and override a file's fields", async () => {
    const flagsOnly = await runCli(
      ...argv(
        "report --activation relu --sigma-w2 2 --sigma-b2 0 --width 8 --depth 4 --seeds 1 --inputs 1 --probes 2 --json --out",
      ),
      join(dir, "flags.html"),
    );
    expect(flagsOnly.code).toBe(0);
    const j = JSON.parse(flagsOnly.stdout);
    expect(j.file).toBeNull();
    expect(j.theory.chi_J).toBeCloseTo(1, 12);
    expect(j.network).toMatchObject({ activation: "relu", width: 8, depth: 4, seeds: [0] });

    const over = await runCli(
      "report",
      "--config",
      tiny,
      "--sigma-w2",
      "2",
      "--activation",
      "relu",
      "--probes",
      "3",
      "--json",
      "--out",
      join(dir, "over.html"),
    );
    expect(over.code).toBe(0);
    const k = JSON.parse(over.stdout);
    // from the flags
    expect(k.network).toMatchObject({ activation: "relu", sigma_w2: 2, probes: 3 });
    // from the file (report-tiny.yaml)
    expect(k.network).toMatchObject({ width: 8, depth: 4, sigma_b2: 0.05, inputs: 1 });
    expect(k.name).toBe("tiny tanh MLP");
  });

  const bad = config(
    "bad.yaml",
    "sigma_w2: 1\nblocks:\n  - activation: tanh\n  - activation: tanhh\n",
  );
  const broken = config("broken.yaml", "sigma_w2: 1\nwidth: [8\n");
  itRejects([
    [["report", "--config", join(dir, "none.yaml")], /^critkit: --config: no such file/],
    [
      ["report", "--config", bad],
      /--config: .*bad\.yaml: blocks\[1\]\.activation: unknown activation 'tanhh'/,
    ],
    [["report", "--config", broken], /--config: .*broken\.yaml:\d+:\d+: invalid YAML/],
    [["report", "--config", tiny, "--out", join(dir, "r.svg")], /--out: must end in \.html/],
    [["report", "--config", tiny, "--out", "/nonexistent/r.html"], /--out: folder/],
    [["report"], /^critkit: --sigma-w2: required without --config/],
    [
      ["report", "--config", tiny, "--activation", "tanhh"],
      /^critkit: --activation: unknown activation 'tanhh'/,
    ],
    [["report", "--config", tiny, "--sigma-w2", "-1"], /^critkit: --sigma-w2: /],
    [["report", "--config", tiny, "--depth", "0x10"], /^critkit: --depth: must be a finite number/],
    [
      ["report", "--config", tiny, "--tokens", "4"],
      /^critkit: --tokens: does not apply to --arch mlp/,
    ],
    [
      ["report", "--config", bad, "--sigma-w2", "2"],
      /--config: .*bad\.yaml: blocks\[1\]\.activation: /,
    ],
  ]);

  it("refuses a bad --out before computing (no file written)", async () => {
    const t0 = Date.now();
    const r = await runCli("report", "--config", tiny, "--out", join(dir, "nope", "r.html"));
    expect(r.code).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(existsSync(join(dir, "nope"))).toBe(false);
  });
});
