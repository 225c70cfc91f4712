/**
 * Network config files (YAML or JSON) for `critkit report`: one zod schema describes a network
 * (the fields of the `apjn` flags, in snake_case) and the measurement settings. A config is
 * checked in two steps, both naming the field's path in the file on one line:
 *   1. `networkConfigSchema`: shape, types, enums, activation names;
 *   2. `parseArchOptions` (the parser of the `apjn`/`init-search` flags), fed the config as the
 *      flags it stands for: ranges, sizes and cross-field rules are the flags' own, never copied.
 */
import { readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { InputError, shown } from "../errors.js";
import { activation } from "../theory/activations.js";
import { type ArchOptions, parseArchOptions } from "./arch-options.js";
import { num } from "./options.js";

/** An activation name as `activation()` accepts it ("tanh", "leaky_relu(0.2)", …). */
const activationName = z.string().superRefine((s, ctx) => {
  try {
    activation(s);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    ctx.addIssue({ code: "custom", message: e.detail });
  }
});

const positiveInt = z.number().int().min(1);

/** Measurement of the finite networks' APJN: small by default, so a report takes seconds. */
export const measureSchema = z
  .strictObject({
    seed: z.number().int().min(0).default(0),
    seeds: positiveInt.default(2),
    inputs: positiveInt.default(2),
    probes: positiveInt.default(8),
    dtype: z.enum(["float32", "float64"]).default("float32"),
  })
  .prefault({});

export const networkConfigSchema = z
  .strictObject({
    /** shown as the report's title */
    name: z.string().max(200).optional(),
    arch: z.enum(["mlp", "mixer"]).default("mlp"),
    /** one activation, or a list used in turn block by block */
    activation: z.union([activationName, z.array(activationName).min(1)]).optional(),
    /** the same as a list of activations: one period of blocks, used in turn */
    blocks: z
      .array(z.strictObject({ activation: activationName }))
      .min(1)
      .optional(),
    sigma_w2: z.number().positive(),
    sigma_b2: z.number().min(0).default(0.05),
    depth: positiveInt.default(30),
    q0: z.number().positive().default(1),
    residual: z.number().min(0).optional(),
    parametrization: z.enum(["standard", "ntk"]).default("standard"),
    // mlp only
    width: positiveInt.optional(),
    layernorm: z.enum(["none", "pre", "post"]).optional(),
    ln_affine: z.boolean().optional(),
    // mixer only
    tokens: positiveInt.optional(),
    channels: positiveInt.optional(),
    token_hidden: positiveInt.optional(),
    channel_hidden: positiveInt.optional(),
    measure: measureSchema,
  })
  .superRefine((c, ctx) => {
    if (c.activation !== undefined && c.blocks !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["blocks"],
        message: "give either activation or blocks, not both",
      });
  });

export type NetworkConfig = z.infer<typeof networkConfigSchema>;

/** A zod path as written in messages: blocks[3].activation. */
export function pathString(path: readonly PropertyKey[]): string {
  let s = "";
  for (const p of path)
    s += typeof p === "number" ? `[${p}]` : `${s === "" ? "" : "."}${String(p)}`;
  return s === "" ? "(top level)" : s;
}

/**
 * The flags of `withArchOptions` (commander key, flag) and the config field each stands for:
 * the report's flags set or override these fields, and the flags' parser's errors are mapped
 * back to them.
 */
const FLAGS: ReadonlyArray<{
  key: string;
  flag: string;
  path: string;
  kind: "num" | "word" | "list" | "bool";
}> = [
  { key: "arch", flag: "--arch", path: "arch", kind: "word" },
  { key: "activation", flag: "--activation", path: "activation", kind: "list" },
  { key: "sigmaW2", flag: "--sigma-w2", path: "sigma_w2", kind: "num" },
  { key: "sigmaB2", flag: "--sigma-b2", path: "sigma_b2", kind: "num" },
  { key: "width", flag: "--width", path: "width", kind: "num" },
  { key: "depth", flag: "--depth", path: "depth", kind: "num" },
  { key: "layernorm", flag: "--layernorm", path: "layernorm", kind: "word" },
  { key: "lnAffine", flag: "--ln-affine", path: "ln_affine", kind: "bool" },
  { key: "residual", flag: "--residual", path: "residual", kind: "num" },
  { key: "parametrization", flag: "--parametrization", path: "parametrization", kind: "word" },
  { key: "tokens", flag: "--tokens", path: "tokens", kind: "num" },
  { key: "channels", flag: "--channels", path: "channels", kind: "num" },
  { key: "tokenHidden", flag: "--token-hidden", path: "token_hidden", kind: "num" },
  { key: "channelHidden", flag: "--channel-hidden", path: "channel_hidden", kind: "num" },
  { key: "seed", flag: "--seed", path: "measure.seed", kind: "num" },
  { key: "seeds", flag: "--seeds", path: "measure.seeds", kind: "num" },
  { key: "inputs", flag: "--inputs", path: "measure.inputs", kind: "num" },
  { key: "probes", flag: "--probes", path: "measure.probes", kind: "num" },
  { key: "q0", flag: "--q0", path: "q0", kind: "num" },
  { key: "dtype", flag: "--dtype", path: "measure.dtype", kind: "word" },
];

/** The config field behind each flag (and library field) that `parseArchOptions` names. */
const FIELD_OF_FLAG: Record<string, string> = {
  ...Object.fromEntries(FLAGS.map((f) => [f.flag, f.path])),
  width: "width",
};

/**
 * A config document with the flags that `isSet` says were given written over `base` (the
 * parsed file, or {} without one), and which flag set which field. Numbers are read with the
 * flags' own parser (`num`: decimal notation only); everything else is left to the schema.
 */
export function applyFlags(
  base: unknown,
  o: Record<string, unknown>,
  isSet: (key: string) => boolean,
): { doc: unknown; flagged: Record<string, string> } {
  const given = FLAGS.filter((f) => isSet(f.key) && o[f.key] !== undefined);
  if (given.length === 0) return { doc: base, flagged: {} };
  // a file that is not a mapping: the schema says so, naming the file
  if (base !== undefined && (base === null || typeof base !== "object" || Array.isArray(base)))
    return { doc: base, flagged: {} };
  const doc = structuredClone((base ?? {}) as Record<string, unknown>);
  const flagged: Record<string, string> = {};
  for (const f of given) {
    const raw = o[f.key];
    const value =
      f.kind === "num"
        ? num(f.flag, raw)
        : f.kind === "bool"
          ? Boolean(raw)
          : f.kind === "list"
            ? String(raw)
                .split(",")
                .map((s) => s.trim())
            : String(raw);
    const [head, leaf] = f.path.split(".") as [string, string | undefined];
    if (leaf === undefined) doc[head] = value;
    else {
      const inner = doc[head];
      doc[head] = {
        ...(inner !== null && typeof inner === "object" && !Array.isArray(inner) ? inner : {}),
        [leaf]: value,
      };
    }
    // --activation replaces the file's blocks (the same field in another form)
    if (f.key === "activation") delete doc.blocks;
    flagged[f.path] = f.flag;
  }
  return { doc, flagged };
}

/** The activations of a config, in block order of one period. */
export function activationNames(c: NetworkConfig): string[] {
  if (c.blocks) return c.blocks.map((b) => b.activation);
  if (Array.isArray(c.activation)) return c.activation;
  return [c.activation ?? "tanh"];
}

/**
 * Validates a parsed document as a network config and builds the network with the flags'
 * parser. Errors: InputError(`option`, "<file>: <path>: <message>").
 */
export function resolveNetworkConfig(
  doc: unknown,
  file: string,
  option = "--config",
  flagged: Record<string, string> = {},
): { config: NetworkConfig; arch: ArchOptions } {
  /** An error in a field: named by the flag that set it, else by the file and its path. */
  const fail = (path: string, message: string, fromFlags = message): never => {
    const flag = flagged[path] ?? flagged[path.split(/[.[]/)[0]!];
    throw flag
      ? new InputError(flag, fromFlags)
      : new InputError(option, `${shown(file)}: ${path}: ${message}`);
  };
  const r = networkConfigSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    if (issue.code === "unrecognized_keys") {
      const key = issue.keys[0]!;
      const hint =
        issue.path[0] === "blocks" && key in networkConfigSchema.shape
          ? `: blocks differ only in their activation; set ${key} for the whole network`
          : "";
      return fail(pathString([...issue.path, key]), `unknown field${hint}`);
    }
    return fail(pathString(issue.path), issue.message);
  }
  const c = r.data;
  const flags: Record<string, unknown> = {
    arch: c.arch,
    activation: activationNames(c).join(","),
    sigmaB2: c.sigma_b2,
    depth: c.depth,
    width: c.width,
    layernorm: c.layernorm,
    lnAffine: c.ln_affine || undefined,
    residual: c.residual,
    parametrization: c.parametrization,
    tokens: c.tokens,
    channels: c.channels,
    tokenHidden: c.token_hidden,
    channelHidden: c.channel_hidden,
    seed: c.measure.seed,
    seeds: c.measure.seeds,
    inputs: c.measure.inputs,
    probes: c.measure.probes,
    q0: c.q0,
    dtype: c.measure.dtype,
  };
  try {
    return { config: c, arch: parseArchOptions(flags) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const field = FIELD_OF_FLAG[e.field] ?? e.field;
    // the flags' messages name flags: in a file, name the config's fields instead
    const detail = e.detail.replace(/--[a-z0-9-]+/g, (f) => FIELD_OF_FLAG[f] ?? f);
    return fail(field, detail, e.detail);
  }
}

/** Largest config file read (a network description is a few hundred bytes). */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Reads a config file: `.json` as JSON, anything else as YAML (a superset of JSON). A missing
 * or unreadable file, or a syntax error (with file:line:column where the parser gives it), is
 * an InputError naming `option`.
 */
export function readConfigFile(path: string, option = "--config"): unknown {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError(option, `'${shown(path)}' is not a file`);
    if (st.size > MAX_CONFIG_BYTES)
      throw new InputError(
        option,
        `'${shown(path)}' has ${st.size} bytes (limit ${MAX_CONFIG_BYTES}): not a network config`,
      );
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      option,
      code === "ENOENT"
        ? `no such file '${shown(path)}'`
        : `cannot read '${shown(path)}' (${code ?? "error"})`,
    );
  }
  if (extname(path).toLowerCase() === ".json") {
    try {
      return JSON.parse(text);
    } catch (e) {
      // JSON.parse names no line (Node ≥ 21 not even an offset): the YAML parser, which
      // reads JSON too, usually locates the same error
      const what = (e as Error).message.split(/,? "|\s+in JSON| at position/)[0];
      throw new InputError(option, `${shown(path)}${yamlWhere(text)}: invalid JSON: ${what}`);
    }
  }
  try {
    return parseYaml(text);
  } catch (e) {
    if (!(e instanceof YAMLParseError)) throw e;
    const first = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new InputError(option, `${shown(path)}${where(e)}: invalid YAML: ${first}`);
  }
}

/** ":line:column" of a YAML parse error, or "" where the parser gives none. */
function where(e: YAMLParseError): string {
  const pos = e.linePos?.[0];
  return pos ? `:${pos.line}:${pos.col}` : "";
}

/** ":line:column" of the first syntax error the YAML parser finds in `text`, or "". */
function yamlWhere(text: string): string {
  try {
    parseYaml(text);
    return "";
  } catch (e) {
    return e instanceof YAMLParseError ? where(e) : "";
  }
}
