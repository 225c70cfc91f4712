/**
 * Errors a user can fix. The CLI prints `critkit: <field>: <message>` on one line and exits 2;
 * library callers get a typed error naming the offending field.
 */
export class InputError extends Error {
  constructor(
    /** the library's name of the offending field (e.g. "sigmaW2"); the CLI maps it to a flag */
    readonly field: string,
    /** what is wrong, without the field */
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = "InputError";
  }
}

/** Throws InputError unless `x` is a finite number satisfying `ok`. */
export function requireNumber(
  field: string,
  x: number,
  ok: (v: number) => boolean = () => true,
  what = "a finite number",
): number {
  if (typeof x !== "number" || !Number.isFinite(x) || !ok(x)) {
    throw new InputError(field, `must be ${what}, got ${String(x)}`);
  }
  return x;
}

export const requireInteger = (
  field: string,
  x: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) =>
  requireNumber(
    field,
    x,
    (v) => Number.isInteger(v) && v >= min && v <= max,
    `an integer in [${min}, ${max}]`,
  );

/** A user's value as it may appear in a message: one line, at most 60 characters. */
export function shown(raw: unknown): string {
  const s = String(raw).replace(/\s+/g, " ");
  return s.length > 60 ? `${s.slice(0, 40)}… (${s.length} characters)` : s;
}
