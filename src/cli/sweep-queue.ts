/**
 * Sweeps over Redis with BullMQ (`critkit sweep --queue`, `critkit worker`). The sweep process is
 * the coordinator: it puts each pending point on a queue named after a hash of the sweep (so two
 * sweeps on one Redis never mix), with the job id `<sweep hash>-<point key>` (adding a point twice
 * is a no-op), registers the queue in the set `critkit:sweeps`, and collects finished jobs by
 * polling the queue's completed and failed jobs; each one handled is removed from Redis. Workers
 * poll that set, serve every sweep queue in it and run each point with the same `runPoint` as the
 * local sweep, on worker threads (so the event loop stays free to renew BullMQ's job locks).
 * A worker that dies mid-job loses its lock; another worker's stalled-job check puts the job back
 * in the queue (BullMQ's `lockDuration`/`stalledInterval`), and failures are retried (`attempts`).
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { type Job, Queue, Worker } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { InputError, shown } from "../errors.js";
import { ThreadPool, threadEntry } from "../node/parallel.js";
import {
  type PointOutcome,
  type PointTask,
  runPoint,
  type Sweep,
  type SweepPoint,
} from "./sweep.js";

/** The Redis set of the sweep queues in progress: what workers serve. */
export const SWEEPS_KEY = "critkit:sweeps";

/** Runs of a point before it counts as failed (a throw, a dead thread, a stalled worker). */
export const ATTEMPTS = 3;

/** How long a connection attempt to Redis may take before --queue is reported unreachable. */
const CONNECT_TIMEOUT_MS = 3000;

/** A job of a sweep queue: the point to run and its key. */
export interface PointJob {
  task: PointTask;
  key: string;
}

/** `redis://[user:password@]host[:port][/db]` (or `rediss://`, TLS) as ioredis options. */
export function redisOptions(raw: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError("--queue", `must be a URL redis://host:port, got ${shown(raw)}`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new InputError("--queue", `must start with redis:// or rediss://, got ${shown(raw)}`);
  if (!url.hostname) throw new InputError("--queue", `has no host: ${shown(raw)}`);
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db))
    throw new InputError("--queue", `the path is a database number (/0 to /15), got /${shown(db)}`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : 6379,
    db: db ? Number(db) : 0,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/**
 * A connection to the Redis of --queue, checked with a PING first: an unreachable server (refused,
 * unknown host, timeout, bad password) is an InputError on --queue at once, never a hang. The
 * connection returned reconnects as usual and, as BullMQ's workers require, retries commands
 * without limit (`maxRetriesPerRequest: null`).
 */
export async function connectRedis(raw: string): Promise<Redis> {
  const options = redisOptions(raw);
  const where = `${options.host}:${options.port}`;
  const probe = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let cause: NodeJS.ErrnoException | undefined; // why the connection closed (ECONNREFUSED, …)
  probe.on("error", (e) => {
    cause ??= e;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const err = cause ?? (e as NodeJS.ErrnoException);
    throw new InputError("--queue", `cannot reach Redis at ${where}: ${err.code ?? err.message}`);
  } finally {
    probe.disconnect();
  }
  const redis = new Redis({ ...options, maxRetriesPerRequest: null });
  redis.on("error", () => {}); // reconnects; a command that cannot finish fails on its own
  return redis;
}

/** The queue of a sweep: a hash of its command and every point's key (its full settings). */
export function sweepQueueName(sweep: Sweep): string {
  const keys = sweep.points.map((p) => p.key).sort();
  const hash = createHash("sha256")
    .update(JSON.stringify([sweep.command, keys]))
    .digest("hex")
    .slice(0, 16);
  return `critkit-sweep-${hash}`;
}

/** A point's job id: the sweep's hash and the point's key (never all digits, never a `:`). */
const jobIdOf = (queue: string, key: string) => `${queue.slice("critkit-sweep-".length)}-${key}`;

/** How often the coordinator looks for finished jobs and a worker for new sweeps. */
const POLL_MS = 200;

export interface Coordinator {
  /** the queue's name */
  name: string;
  /**
   * Enqueues `pending` and calls `finished` once per point, as its job completes (its outcome)
   * or fails for good (an internal error with the last attempt's message); resolves when every
   * point has been handed over, or when `stop()` was called.
   */
  run(
    pending: SweepPoint[],
    finished: (p: SweepPoint, outcome: PointOutcome) => void,
  ): Promise<void>;
  /** stops run() at its next poll: no call to `finished` after it returns */
  stop(): void;
  /** removes the queue from Redis (after a complete sweep) and closes the connection */
  close(complete: boolean): Promise<void>;
}

/** The coordinator of `sweep` on the Redis of --queue `url` (checked: InputError on --queue). */
export async function sweepCoordinator(url: string, sweep: Sweep): Promise<Coordinator> {
  const redis = await connectRedis(url);
  const name = sweepQueueName(sweep);
  const queue = new Queue<PointJob, PointOutcome>(name, { connection: redis });
  let stopped = false;
  return {
    name,
    stop() {
      stopped = true;
    },
    async run(pending, finished) {
      const outstanding = new Map(pending.map((p) => [jobIdOf(name, p.key), p]));
      await redis.sadd(SWEEPS_KEY, name);
      for (let i = 0; i < pending.length; i += 1000)
        await queue.addBulk(
          pending.slice(i, i + 1000).map((p) => ({
            name: "point",
            data: { task: { command: sweep.command, options: p.options }, key: p.key },
            opts: { jobId: jobIdOf(name, p.key), attempts: ATTEMPTS },
          })),
        );
      while (outstanding.size > 0 && !stopped) {
        const done = await queue.getCompleted(0, 999);
        const failed = await queue.getFailed(0, 999);
        let handled = 0;
        const ended = [
          ...done.map((job) => ({ job, ok: true })),
          ...failed.map((job) => ({ job, ok: false })),
        ];
        for (const { job, ok } of ended) {
          const p = job.id === undefined ? undefined : outstanding.get(job.id);
          if (!p || stopped) continue; // written before (a restarted coordinator), or stopping
          outstanding.delete(job.id!);
          handled++;
          const outcome: PointOutcome = ok
            ? job.returnvalue
            : { error: { message: job.failedReason ?? "failed", input: false }, seconds: 0 };
          finished(p, outcome);
          // after its line is written: a coordinator killed in between finds the key in --out
          await job.remove().catch(() => {});
        }
        if (handled === 0 && !stopped) await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    async close(complete) {
      if (complete) {
        await redis.srem(SWEEPS_KEY, name);
        await queue.obliterate({ force: true });
      }
      await queue.close();
      redis.disconnect();
    },
  };
}

export interface WorkerOptions {
  concurrency: number;
  /** BullMQ's lockDuration and stalledInterval: how soon a dead worker's job runs elsewhere */
  lockDuration: number;
  log: (line: string) => void;
}

/** A worker's name in Redis (a job's `processedBy`, field `pb`): `host:pid`. */
export const workerName = (pid = process.pid) => `${hostname()}:${pid}`;

export interface SweepWorker {
  /** closes every queue's worker (waiting for their jobs to finish), the threads, the connection */
  close(): Promise<void>;
}

/**
 * Serves every sweep queue listed in `critkit:sweeps` on the Redis of --queue `url`, running
 * points on `concurrency` worker threads shared by all sweeps. A point whose outcome is an
 * internal error (not bad input) throws, so BullMQ retries it; bad input is a result.
 */
export async function serveSweeps(url: string, o: WorkerOptions): Promise<SweepWorker> {
  const redis = await connectRedis(url);
  const pool = new ThreadPool<PointTask, PointOutcome>(
    o.concurrency,
    threadEntry("./sweep-worker", import.meta.url),
    runPoint,
  );
  const workers = new Map<string, Worker<PointJob, PointOutcome>>();
  const processJob = async (job: Job<PointJob, PointOutcome>) => {
    const outcome = await pool.run(job.data.task);
    if ("error" in outcome && !outcome.error.input) throw new Error(outcome.error.message);
    return outcome;
  };
  const open = (name: string) => {
    const w = new Worker<PointJob, PointOutcome>(name, processJob, {
      connection: redis,
      name: workerName(),
      concurrency: o.concurrency,
      lockDuration: o.lockDuration,
      stalledInterval: o.lockDuration,
      maxStalledCount: ATTEMPTS - 1,
    });
    w.on("error", () => {}); // connection trouble: BullMQ reconnects
    w.on("stalled", (id) =>
      o.log(`job ${id} of ${name} stalled (its worker stopped): back in the queue`),
    );
    w.on("failed", (job, e) => {
      if (job)
        o.log(`job ${job.id} failed (attempt ${job.attemptsMade}/${ATTEMPTS}): ${e.message}`);
    });
    workers.set(name, w);
  };
  let closing = false;
  const sync = async () => {
    const names = new Set(await redis.smembers(SWEEPS_KEY));
    if (closing) return;
    for (const name of names) if (!workers.has(name)) open(name);
    for (const [name, w] of workers)
      if (!names.has(name)) {
        workers.delete(name);
        await w.close();
      }
  };
  await sync();
  const timer = setInterval(() => void sync().catch(() => {}), POLL_MS * 5);
  return {
    async close() {
      closing = true;
      clearInterval(timer);
      await Promise.all([...workers.values()].map((w) => w.close()));
      await pool.close();
      redis.disconnect();
    },
  };
}
