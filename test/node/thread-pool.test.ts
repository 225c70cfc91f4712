import { describe, expect, it } from "vitest";
import { ThreadPool } from "../../src/node/parallel.js";

const entry = new URL("./fixtures/crash-worker.ts", import.meta.url);

describe("ThreadPool", () => {
  it("a thread that dies fails its own task only: a fresh thread takes the tasks queued after it", async () => {
    const pool = new ThreadPool<number, number>(1, entry, async (n) => 2 * n);
    try {
      const runs = [1, -1, 2, 3].map((n) =>
        pool.run(n).then(
          (v) => ({ v }),
          (e: Error) => ({ e: e.message }),
        ),
      );
      expect(await Promise.all(runs)).toEqual([{ v: 2 }, { e: "crash on -1" }, { v: 4 }, { v: 6 }]);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("threads = 0 runs the tasks in the calling thread", async () => {
    const pool = new ThreadPool<number, number>(0, entry, async (n) => 3 * n);
    expect(await pool.run(2)).toBe(6);
    await pool.close();
  });
});
