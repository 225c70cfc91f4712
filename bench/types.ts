/** One line of the `npm run bench` table. */
export interface BenchRow {
  /** What was timed, e.g. "phase diagram 256×256×100 (tanh)". */
  name: string;
  /** critkit's wall time in milliseconds (a median of repeats, by convention). */
  ms: number;
  /** The numpy reference's wall time for the same job, when there is one. */
  referenceMs?: number;
  /** ms / referenceMs (< 1: critkit faster); filled in by the harness when omitted. */
  ratio?: number;
  /** What ms and referenceMs count when they are not times (e.g. "HVPs"); the reference is then
   * another method of critkit's, named in the note, not numpy. */
  unit?: string;
  /** Anything a reader needs: sizes, accuracy against the reference, why the reference is absent. */
  note?: string;
}

/** What every bench module listed in bench/run.ts exports. */
export interface BenchModule {
  run(): Promise<BenchRow[]>;
}
