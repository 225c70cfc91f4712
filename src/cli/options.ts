/**
 * Parsing of command-line option values with zod. Every parser names its option in the
 * error, so a bad value becomes one line `critkit: --option: ...` and exit code 2.
 */
import { z } from "zod";
import { InputError, shown } from "../errors.js";

function parseWith<T>(schema: z.ZodType<T>, option: string, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (!r.success)
    throw new InputError(
      option,
      `${r.error.issues[0]?.message ?? "invalid value"}, got '${shown(raw)}'`,
    );
  return r.data;
}

/** Decimal notation only: `0x10`, `0b1`, `1_000` and `Infinity` are not numbers here. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const numeric = z
  .string()
  .trim()
  .refine((s) => DECIMAL.test(s) && Number.isFinite(Number(s)), {
    message: "must be a finite number",
  })
  .transform(Number);

/** A finite number; `min`/`minExclusive` bound it from below, `max` from above. */
export function num(
  option: string,
  raw: unknown,
  bounds: { min?: number; minExclusive?: number; max?: number } = {},
): number {
  const v = parseWith(numeric, option, String(raw));
  if (bounds.min !== undefined && v < bounds.min)
    throw new InputError(option, `must be ≥ ${bounds.min}, got ${v}`);
  if (bounds.minExclusive !== undefined && v <= bounds.minExclusive)
    throw new InputError(option, `must be > ${bounds.minExclusive}, got ${v}`);
  if (bounds.max !== undefined && v > bounds.max)
    throw new InputError(option, `must be ≤ ${bounds.max}, got ${v}`);
  return v;
}

/** An integer in [min, max]. */
export function int(option: string, raw: unknown, min: number, max: number): number {
  const v = num(option, raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new InputError(option, `must be an integer in [${min}, ${max}], got ${shown(raw)}`);
  return v;
}

/** One of a fixed set of words. */
export function oneOf<const T extends readonly string[]>(
  option: string,
  raw: unknown,
  choices: T,
): T[number] {
  return parseWith(z.enum(choices as unknown as [string, ...string[]]), option, raw) as T[number];
}

/** The comma-separated fields of an option value, exactly as many as `names` (named in the error). */
export function fields(option: string, raw: unknown, names: readonly string[]): string[] {
  const parts = String(raw).split(",");
  if (parts.length !== names.length)
    throw new InputError(option, `expected '${names.join(",")}', got '${shown(raw)}'`);
  return parts;
}

/** A 'min,max' range: min within `bound`, max > min. */
export function range(
  option: string,
  raw: unknown,
  bound: { min?: number; minExclusive?: number },
): [number, number] {
  const [a, b] = fields(option, raw, ["min", "max"]);
  const lo = num(option, a, bound);
  return [lo, num(option, b, { minExclusive: lo })];
}
