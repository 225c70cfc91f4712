import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  activationNames,
  applyFlags,
  pathString,
  readConfigFile,
  resolveNetworkConfig,
} from "../../src/cli/network-config.js";
import { InputError } from "../../src/errors.js";

const examples = join(import.meta.dirname, "../../examples");
const dir = mkdtempSync(join(tmpdir(), "critkit-config-"));

/** The one-line message a document gets, or "ok". */
function messageOf(doc: unknown): string {
  try {
    resolveNetworkConfig(doc, "net.yaml");
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).field).toBe("--config");
    return (e as InputError).detail;
  }
}

function fileMessage(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  try {
    readConfigFile(path);
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).detail;
  }
}

describe("network configs", () => {
  // sweep-*.yaml are sweep files (docs/sweep.md), not network configs
  const files = readdirSync(examples).filter(
    (f) => /\.(ya?ml|json)$/.test(f) && !f.startsWith("sweep-"),
  );

  it("ships example configs", () => {
    expect(files).toEqual(expect.arrayContaining(["mlp-tanh.yaml", "resnet-ln.yaml"]));
  });

  for (const f of files)
    it(`examples/${f} is a valid config`, () => {
      const { config, arch } = resolveNetworkConfig(readConfigFile(join(examples, f)), f);
      expect(arch.settings.depth).toBe(config.depth);
      expect(arch.settings.activation).toBe(activationNames(config).join(","));
    });

  it("the flat form and the blocks form describe the same network", () => {
    const flat = resolveNetworkConfig({ sigma_w2: 1, activation: ["gelu", "tanh"] }, "a");
    const blocks = resolveNetworkConfig(
      { sigma_w2: 1, blocks: [{ activation: "gelu" }, { activation: "tanh" }] },
      "b",
    );
    expect(flat.arch.settings).toEqual(blocks.arch.settings);
    expect(flat.arch.period).toBe(2);
  });

  it("fills the defaults (the JSON form reads the same as YAML)", () => {
    const { config, arch } = resolveNetworkConfig({ sigma_w2: 2 }, "x.json");
    expect(config).toMatchObject({ arch: "mlp", sigma_b2: 0.05, depth: 30, q0: 1 });
    expect(config.measure).toEqual({ seed: 0, seeds: 2, inputs: 2, probes: 8, dtype: "float32" });
    expect(arch.settings).toMatchObject({ width: 256, layernorm: "none", residual: 0 });
  });

  it("flags set or override fields (nested ones too); a flag's bad value names the flag", () => {
    const base = { sigma_w2: 1, blocks: [{ activation: "gelu" }], measure: { seeds: 3 } };
    const o = { sigmaW2: "2", activation: "relu,tanh", probes: "5", depth: "30" };
    const { doc, flagged } = applyFlags(base, o, (k) => k !== "depth");
    expect(doc).toEqual({
      sigma_w2: 2,
      activation: ["relu", "tanh"],
      measure: { seeds: 3, probes: 5 },
    });
    expect(base.sigma_w2).toBe(1); // the file's document is not changed
    expect(flagged).toEqual({
      sigma_w2: "--sigma-w2",
      activation: "--activation",
      "measure.probes": "--probes",
    });
    const bad = applyFlags(base, { seeds: "0" }, () => true);
    expect(() => resolveNetworkConfig(bad.doc, "net.yaml", "--config", bad.flagged)).toThrow(
      expect.objectContaining({ field: "--seeds" }),
    );
    expect(() => applyFlags(base, { sigmaW2: "0x10" }, () => true)).toThrow(
      expect.objectContaining({ field: "--sigma-w2" }),
    );
  });

  it("writes paths as blocks[3].activation", () => {
    expect(pathString(["blocks", 3, "activation"])).toBe("blocks[3].activation");
    expect(pathString([])).toBe("(top level)");
  });

  const cases: Array<[unknown, RegExp]> = [
    [
      {
        sigma_w2: 1,
        blocks: [0, 1, 2, 3].map((i) => ({ activation: i === 3 ? "tanhh" : "relu" })),
      },
      /^net\.yaml: blocks\[3\]\.activation: unknown activation 'tanhh' \(known: relu, .*tanh/,
    ],
    [{ sigma_w2: 1, activation: ["tanh", "gelu("] }, /^net\.yaml: activation\[1\]: unknown/],
    [{ sigma_w2: 1, activation: "leaky_relu(2)" }, /^net\.yaml: activation: leaky_relu slope/],
    [{}, /^net\.yaml: sigma_w2: .*expected number/],
    [{ sigma_w2: -1 }, /^net\.yaml: sigma_w2: .*>0/],
    [{ sigma_w2: Number.POSITIVE_INFINITY }, /^net\.yaml: sigma_w2: /],
    [{ sigma_w2: "1.5" }, /^net\.yaml: sigma_w2: .*expected number, received string/],
    [{ sigma_w2: 1, sigma_b2: -0.1 }, /^net\.yaml: sigma_b2: /],
    [{ sigma_w2: 1, depth: 2.5 }, /^net\.yaml: depth: .*int/],
    [{ sigma_w2: 1, layernorm: "mid" }, /^net\.yaml: layernorm: .*"none"\|"pre"\|"post"/],
    [{ sigma_w2: 1, colour: "red" }, /^net\.yaml: colour: unknown field$/],
    [{ sigma_w2: 1, measure: { probes: 0 } }, /^net\.yaml: measure\.probes: /],
    [{ sigma_w2: 1, measure: { dtype: "float16" } }, /^net\.yaml: measure\.dtype: /],
    [
      { sigma_w2: 1, blocks: [{ activation: "tanh", sigma_w2: 2 }] },
      /^net\.yaml: blocks\[0\]\.sigma_w2: unknown field: blocks differ only in their activation/,
    ],
    [
      { sigma_w2: 1, activation: "tanh", blocks: [{ activation: "relu" }] },
      /^net\.yaml: blocks: give either activation or blocks/,
    ],
    [{ sigma_w2: 1, arch: "mixer", width: 8 }, /^net\.yaml: width: does not apply to arch mixer/],
    [{ sigma_w2: 1, arch: "mixer", activation: ["tanh", "relu"] }, /^net\.yaml: activation: /],
    [
      { sigma_w2: 1, width: 65536, measure: { probes: 4096 } },
      /^net\.yaml: measure\.probes: measure\.probes × measure\.inputs × width/,
    ],
    ["tanh", /^net\.yaml: \(top level\): .*expected object/],
    [null, /^net\.yaml: \(top level\): /],
  ];
  for (const [doc, message] of cases)
    it(`refuses ${JSON.stringify(doc)?.slice(0, 80)}`, () => {
      const m = messageOf(doc);
      expect(m).toMatch(message);
      expect(m).not.toContain("\n");
    });

  it("YAML syntax errors give file:line:column", () => {
    expect(fileMessage("bad.yaml", "sigma_w2: 1\nwidth: [8\n")).toMatch(
      /bad\.yaml:\d+:\d+: invalid YAML: /,
    );
    expect(fileMessage("dup.yaml", "sigma_w2: 1\nsigma_w2: 2\n")).toMatch(
      /dup\.yaml:2:1: invalid YAML: .*unique/i,
    );
  });

  it("JSON syntax errors are one line naming the file (line:column when the YAML reader finds it)", () => {
    expect(fileMessage("bad.json", '{"sigma_w2": 1,\n  "width": [8\n')).toMatch(
      /^.*bad\.json:3:1: invalid JSON: /,
    );
    expect(fileMessage("trail.json", '{"sigma_w2": 1,}')).toMatch(/trail\.json.*: invalid JSON: /);
  });

  it("a missing file, a folder and a huge file are refused", () => {
    expect(() => readConfigFile(join(dir, "none.yaml"))).toThrow(/no such file/);
    expect(() => readConfigFile(dir)).toThrow(/is not a file/);
    expect(fileMessage("big.yaml", `# ${"x".repeat(2 << 20)}\n`)).toMatch(/limit/);
  });
});
