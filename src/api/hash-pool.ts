import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Catalogued, ErrorCode } from '../core/errors.js';
import { ApiError } from './errors.js';

/** What a worker is asked: check a password against its stored form, or make a new one's. */
export type HashTask = { kind: 'verify'; password: string; stored: string } | { kind: 'hash'; password: string };

/** A worker's answer: the check's result or the new stored form, and whether it ran off the main thread. */
export interface HashAnswer {
  result: boolean | string;
  offMainThread: boolean;
}

/**
 * Why the password workers did not answer: `busy` (this user's change waits already: 429), `stopped`
 * (the daemon is stopping) or `failed` (a worker died): 503. An ApiError, so every face answers it in
 * its own envelope.
 */
export class HashPoolError extends ApiError implements Catalogued {
  override name = 'HashPoolError';
  constructor(
    readonly code: 'busy' | 'stopped' | 'failed',
    message: string,
  ) {
    super(code === 'busy' ? 429 : 503, message);
  }

  get errorCode(): ErrorCode {
    return this.code === 'busy' ? 'rate_limited' : 'unavailable';
  }
}

interface Job {
  task: HashTask;
  resolve: (answer: boolean | string) => void;
  reject: (err: Error) => void;
}

/** Hashes done, by where they ran: what a test checks instead of timing the event loop. */
export interface HashCounts {
  verified: number;
  hashed: number;
  /** Answers from a worker that ran on the main thread: never, unless the pool is broken. */
  onMainThread: number;
}

/**
 * Password verification in a few worker threads of lower priority (see hash-worker.ts): never on the
 * event loop, and not in libuv's threadpool either, whose 4 threads the file system and DNS need.
 * Logins and password changes wait in queues of their own, taken in turn: `maxQueued` bounds the
 * logins only, so changes (authenticated, limited per user by the caller) cannot fill it and turn
 * every login away. Workers start at the first use and are ended by close().
 */
export class HashPool {
  private readonly all = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly logins: Job[] = [];
  private readonly changes: Job[] = [];
  /** Which queue the next free worker takes from first (alternating, so neither starves). */
  private changeNext = false;
  private closed = false;
  readonly counts: HashCounts = { verified: 0, hashed: 0, onMainThread: 0 };

  constructor(
    private readonly size: number,
    private readonly maxQueued: number,
    private readonly log: Logger | null = null,
    private readonly nice = 10,
  ) {}

  /** Whether `password` matches `stored`; null at once when `maxQueued` checks wait already. */
  verify(password: string, stored: string): Promise<boolean> | null {
    if (this.busy.size >= this.size && this.logins.length >= this.maxQueued) return null;
    return this.run(this.logins, { kind: 'verify', password, stored }).then((ok) => ok === true);
  }

  /** A new password's stored form (an authenticated change: it waits its turn beside the logins). */
  hash(password: string): Promise<string> {
    return this.run(this.changes, { kind: 'hash', password }).then(String);
  }

  private run(queue: Job[], task: HashTask): Promise<boolean | string> {
    if (this.closed) return Promise.reject(new HashPoolError('stopped', 'the password workers are stopped; try again later'));
    return new Promise((resolve, reject) => {
      queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.logins.splice(0), ...this.changes.splice(0)]) job.reject(new HashPoolError('stopped', 'the password workers are stopped; try again later'));
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private next(): Job | undefined {
    const [first, second] = this.changeNext ? [this.changes, this.logins] : [this.logins, this.changes];
    const job = first.shift() ?? second.shift();
    if (job) this.changeNext = job.task.kind === 'verify';
    return job;
  }

  private pump(): void {
    while (this.logins.length + this.changes.length > 0) {
      const w = this.idle.pop() ?? (this.all.size < this.size ? this.spawn() : undefined);
      if (!w) return;
      const job = this.next()!;
      this.busy.set(w, job);
      w.postMessage(job.task);
    }
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: { nice: this.nice } });
    w.unref();
    this.all.add(w);
    w.on('message', (answer: HashAnswer) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      this.idle.push(w);
      if (job) {
        this.counts[job.task.kind === 'verify' ? 'verified' : 'hashed']++;
        if (!answer.offMainThread) this.counts.onMainThread++;
        job.resolve(answer.result);
      }
      this.pump();
    });
    // 'exit' follows an 'error'; the job in hand fails there, and the next check starts a new worker.
    w.on('error', (err) => this.log?.error({ err }, 'a password worker failed; starting another'));
    w.on('exit', () => {
      this.all.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      const job = this.busy.get(w);
      this.busy.delete(w);
      job?.reject(new HashPoolError('failed', 'the password check failed; try again later'));
      if (!this.closed) this.pump();
    });
    return w;
  }
}
