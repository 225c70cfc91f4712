/** Output helpers shared by the commands: JSON to stdout, human text, progress on stderr. */
import { SingleBar } from "cli-progress";

/** Prints a JSON document; non-finite numbers become null (JSON has no Infinity/NaN). */
export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
}

export interface Progress {
  tick(done: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr for work that takes more than a second: it appears at the first tick
 * after one second, only on a TTY and when the output is not JSON (scripted use sees clean stdout
 * and stderr).
 */
export function progress(total: number, label: string, json: boolean): Progress {
  if (json || !process.stderr.isTTY) return { tick() {}, stop() {} };
  const start = Date.now();
  let bar: SingleBar | undefined;
  return {
    tick(done) {
      if (!bar && Date.now() - start > 1000) {
        bar = new SingleBar({
          format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta}s`,
          stream: process.stderr,
          hideCursor: true,
        });
        bar.start(total, done);
      }
      bar?.update(done);
    },
    stop: () => bar?.stop(),
  };
}
