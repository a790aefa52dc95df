import { Worker } from 'node:worker_threads';
import type { NumberBatch, NumberResult } from './number-worker.js';

/** Validates numbers on a worker thread, so the dispatcher's thread only writes the results. */
export class NumberChecker {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: NumberResult[]) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor() {
    this.worker = new Worker(new URL('./number-worker.js', import.meta.url));
    this.worker.on('message', (m: { seq: number; results: NumberResult[] }) => {
      this.pending.get(m.seq)?.resolve(m.results);
      this.pending.delete(m.seq);
    });
    const fail = (err: Error) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`number worker exited with ${code}`)));
    // The worker must not keep the daemon alive on its own.
    this.worker.unref();
  }

  check(country: string, items: [number, string][]): Promise<NumberResult[]> {
    if (this.failed) return Promise.reject(this.failed);
    const seq = ++this.seq;
    const batch: NumberBatch = { seq, country, items };
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage(batch);
    });
  }

  async close(): Promise<void> {
    this.failed ??= new Error('number checker closed');
    await this.worker.terminate();
  }
}
