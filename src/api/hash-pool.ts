import { Worker } from 'node:worker_threads';

/** What a worker is asked: check a password against its stored form, or make a new one's. */
export type HashTask = { kind: 'verify'; password: string; stored: string } | { kind: 'hash'; password: string };

interface Job {
  task: HashTask;
  resolve: (answer: boolean | string) => void;
  reject: (err: Error) => void;
}

/**
 * Password verification in a few worker threads of lower priority (see hash-worker.ts): never on the
 * event loop, and not in libuv's threadpool either, whose 4 threads the file system and DNS need.
 * Workers start at the first login and are ended by close().
 */
export class HashPool {
  private readonly all = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly waiting: Job[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly maxQueued: number,
    private readonly nice = 10,
  ) {}

  /** Whether `password` matches `stored`; null at once when `maxQueued` checks wait already. */
  verify(password: string, stored: string): Promise<boolean> | null {
    if (this.busy.size >= this.size && this.waiting.length >= this.maxQueued) return null;
    return this.run({ kind: 'verify', password, stored }).then((ok) => ok === true);
  }

  /** A new password's stored form (an authenticated user's change: it waits its turn, never refused). */
  hash(password: string): Promise<string> {
    return this.run({ kind: 'hash', password }).then(String);
  }

  private run(task: HashTask): Promise<boolean | string> {
    if (this.closed) return Promise.reject(new Error('the password workers are stopped'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ task, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new Error('the password workers are stopped'));
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const w = this.idle.pop() ?? (this.all.size < this.size ? this.spawn() : undefined);
      if (!w) return;
      const job = this.waiting.shift()!;
      this.busy.set(w, job);
      w.postMessage(job.task);
    }
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: { nice: this.nice } });
    w.unref();
    this.all.add(w);
    w.on('message', (answer: boolean | string) => {
      const job = this.busy.get(w);
      this.busy.delete(w);
      this.idle.push(w);
      job?.resolve(answer);
      this.pump();
    });
    // 'exit' follows an 'error'; the job in hand fails there, and the next check starts a new worker.
    w.on('error', () => {});
    w.on('exit', () => {
      this.all.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      const job = this.busy.get(w);
      this.busy.delete(w);
      job?.reject(new Error('the password worker stopped'));
      if (!this.closed && this.waiting.length) this.pump();
    });
    return w;
  }
}
