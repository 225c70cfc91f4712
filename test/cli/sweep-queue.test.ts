/**
 * `critkit sweep --queue` and `critkit worker` against a real redis-server (Debian's, started on a
 * free port in a temporary folder, no persistence): the distributed results equal a local run's,
 * a worker SIGKILLed mid-job has its job retried elsewhere, a coordinator killed and restarted
 * writes every point exactly once. Where redis-server is missing these tests fail, naming
 * scripts/setup-system.sh (npm test runs it first).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisOptions, workerName } from "../../src/cli/sweep-queue.js";
import { runCli, spawnCli } from "./run-cli.js";
import { byKey, lines, sweepFile as makeSweepFile, SLOW, THEORY } from "./sweep-fixtures.js";

const REDIS_SERVER = "/usr/bin/redis-server";

/** A TCP port free on localhost now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds, checking every 20 ms; fails after `ms`. */
async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let dir = "";
let url = "";
let redisServer: ChildProcess | undefined;
let redis: Redis | undefined;
const children: ChildProcess[] = [];

/** A `critkit worker` child process; its stderr collected in `log()`. */
function worker(queue: string) {
  const child = spawnCli(
    ["worker", "--queue", queue, "--lock-duration", "1000"],
    ["ignore", "ignore", "pipe"],
  );
  children.push(child);
  let log = "";
  child.stderr!.on("data", (d) => {
    log += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { child, log: () => log, exited };
}

const sweepFile = (text: string) => makeSweepFile(dir, text);

/** The local (threads) run's results of a sweep file, by key (once per sweep text). */
const references = new Map<string, Map<string, unknown>>();
async function reference(file: string) {
  const text = readFileSync(file, "utf8");
  const known = references.get(text);
  if (known) return known;
  const out = join(mkdtempSync(join(dir, "ref-")), "ref.jsonl");
  expect((await runCli("sweep", file, "--out", out, "--threads", "2")).code).toBe(0);
  const ref = byKey(lines(out));
  references.set(text, ref);
  return ref;
}

/** Whether a job of the sweep queues of database `db` is now active on the worker `pid`. */
async function busy(db: number, pid: number): Promise<boolean> {
  const r = redis!.duplicate({ db });
  try {
    for (const name of await r.smembers("critkit:sweeps"))
      for (const id of await r.lrange(`bull:${name}:active`, 0, -1))
        if ((await r.hget(`bull:${name}:${id}`, "pb")) === workerName(pid)) return true;
    return false;
  } finally {
    r.disconnect();
  }
}

let w1: ReturnType<typeof worker>;
let w2: ReturnType<typeof worker>;

beforeAll(async () => {
  // npm test installs it first (pretest); a missing server fails these tests, never skips them
  if (!existsSync(REDIS_SERVER))
    throw new Error(
      `${REDIS_SERVER} is missing: scripts/setup-system.sh (npm test's pretest) installs it with apt as root or with password-less sudo`,
    );
  dir = mkdtempSync(join(tmpdir(), "critkit-queue-"));
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  redisServer = spawn(
    REDIS_SERVER,
    ["--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  redis = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on("error", () => {});
  await until(
    () =>
      redis!.ping().then(
        () => true,
        () => false,
      ),
    10_000,
    "redis-server",
  );
  w1 = worker(url);
  w2 = worker(url);
  await until(() => /serving/.test(w1.log()) && /serving/.test(w2.log()), 30_000, "workers");
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  redis?.disconnect();
  redisServer?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("critkit sweep --queue with critkit worker (BullMQ, Redis)", () => {
  it("two workers finish a sweep: the same keys and results as the local threads, Redis left clean", async () => {
    const { file, out } = sweepFile(THEORY);
    const r = await runCli("sweep", file, "--out", out, "--queue", url, "--json");
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ points: 6, done: 6, skipped: 0, failed: 0 });
    expect(summary.queue).toMatch(/^critkit-sweep-[0-9a-f]{16}$/);
    const ls = lines(out);
    expect(ls).toHaveLength(6);
    expect(byKey(ls)).toEqual(await reference(file));
    expect(await redis!.smembers("critkit:sweeps")).toEqual([]);
    const again = await runCli("sweep", file, "--out", out, "--queue", url, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ points: 6, done: 0, skipped: 6 });
    expect(lines(out)).toEqual(ls);
    expect(await redis!.keys(`bull:${summary.queue}:*`)).not.toContainEqual(
      expect.stringMatching(/:(wait|active|completed|failed|id)$/),
    );
  }, 45_000);

  it("a worker SIGKILLed mid-job: its job is retried by another worker, every key exactly once", async () => {
    const db1 = `${url}/1`; // a database of its own: the workers of the other tests do not see it
    const { file, out } = sweepFile(SLOW);
    const ref = await reference(file);
    const coordinator = runCli("sweep", file, "--out", out, "--queue", db1, "--json");
    const a = worker(db1);
    await until(() => busy(1, a.child.pid!), 30_000, "a job on worker A");
    const b = worker(db1); // starts while A's job runs; the only worker left after the kill
    a.child.kill("SIGKILL");
    await a.exited;
    const r = await coordinator;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ points: 12, done: 12, failed: 0 });
    const ls = lines(out);
    expect(ls).toHaveLength(12);
    expect(new Set(ls.map((l) => l.key)).size).toBe(12);
    expect(byKey(ls)).toEqual(ref);
    expect(b.log()).toMatch(/stalled \(its worker stopped\): back in the queue/);
    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
  }, 90_000);

  it("the coordinator SIGKILLed and restarted: no point lost, none twice", async () => {
    const { file, out } = sweepFile(SLOW);
    const ref = await reference(file);
    const child = spawnCli(["sweep", file, "--out", out, "--queue", url]);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await until(
      () => child.exitCode !== null || (existsSync(out) && lines(out).length >= 2),
      30_000,
      "two lines",
    );
    child.kill("SIGKILL");
    await exited;
    const before = lines(out).length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(12);
    const r = await runCli("sweep", file, "--out", out, "--queue", url, "--json");
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.skipped).toBe(before);
    expect(summary.done + summary.skipped).toBe(12);
    const ls = lines(out);
    expect(ls).toHaveLength(12);
    expect(byKey(ls)).toEqual(ref);
  }, 60_000);

  it("a bad or unreachable --queue: exit 2, one line naming --queue, no results file", async () => {
    const { file, out } = sweepFile(THEORY);
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const cases: Array<[string[], RegExp]> = [
      [["sweep", file, "--out", out, "--queue", "http://x"], /--queue: must start with redis:/],
      [
        ["sweep", file, "--out", out, "--queue", closed],
        /--queue: cannot reach Redis .*ECONNREFUSED/,
      ],
      [
        ["sweep", file, "--out", out, "--queue", url, "--threads", "2"],
        /--threads: not with --queue/,
      ],
      [["worker", "--queue", "redis://127.0.0.1:99999"], /--queue: must be a URL/],
      [["worker", "--queue", closed], /--queue: cannot reach Redis .*ECONNREFUSED/],
      [["worker", "--queue", url, "--concurrency", "0"], /--concurrency: /],
    ];
    for (const [args, message] of cases) {
      const t = Date.now();
      const r = await runCli(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(Date.now() - t).toBeLessThan(5000);
      expect(existsSync(out)).toBe(false);
    }
  }, 30_000);

  it("SIGTERM stops a worker gracefully (exit 0)", async () => {
    w1.child.kill("SIGTERM");
    w2.child.kill("SIGINT");
    expect(await w1.exited).toBe(0);
    expect(await w2.exited).toBe(0);
    expect(w1.log()).toMatch(/SIGTERM: finishing the points in progress/);
  }, 20_000);
});

describe("--queue URLs", () => {
  it("host, port (6379 by default), database, user and password (percent-decoded), TLS", () => {
    expect(redisOptions("redis://example.org")).toEqual({ host: "example.org", port: 6379, db: 0 });
    expect(redisOptions("rediss://u:p%40ss@[::1]:7000/3")).toEqual({
      host: "::1",
      port: 7000,
      db: 3,
      username: "u",
      password: "p@ss",
      tls: {},
    });
    expect(() => redisOptions("redis://h/x")).toThrow(/database number/);
    expect(() => redisOptions("h:6379")).toThrow(/redis:\/\//);
  });
});
