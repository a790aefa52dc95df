import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { RetentionStore } from '../store/retention.js';

export interface RetentionOptions {
  /** The data dir the files' keys (media/<dir>/<file>) are under. */
  dataDir: string;
  /** How often the sweep runs; it also runs soon after start, so a restart catches up. */
  intervalMs: number;
  /** Jobs marked, and files removed, per transaction. */
  batch?: number;
  /**
   * A file taken again this recently (media/store-file.ts `reuseStored` sets its time) is left for a
   * later sweep: a submit that found it may not have made its job yet.
   */
  reuseGraceMs?: number;
}

export interface SweepResult {
  jobs: number;
  removed: number;
}

const HOUR = 3_600_000;

/**
 * The v1 user setting `maximum_document_retention_hours`, on the spool engine's thread: every
 * `intervalMs`, the finished jobs whose time is up are marked (their documents no longer kept) and the
 * files no job keeps any more are removed from the data dir. Durable: what to remove is decided in the
 * store's transaction and queued there (`file_removals`), so a crash between the decision and the unlink
 * removes them at the next sweep; a file is checked against every job again just before it goes.
 */
export class DocumentRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepResult> | null = null;
  private stopped = false;

  constructor(
    private readonly store: RetentionStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RetentionOptions,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = (ms: number) => {
      this.timer = setTimeout(() => {
        void this.sweep().finally(() => this.stopped || tick(this.opts.intervalMs));
      }, ms);
      this.timer.unref();
    };
    tick(Math.min(5_000, this.opts.intervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One sweep (one at a time); a failure is logged and the next sweep tries again. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.run()
      .catch((err: unknown) => {
        this.log.error({ err }, 'document retention sweep failed; the next sweep tries again');
        return { jobs: 0, removed: 0 };
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<SweepResult> {
    const batch = this.opts.batch ?? 1000;
    let jobs = 0;
    for (;;) {
      const n = this.store.expire(this.clock.now(), batch);
      jobs += n;
      if (n < batch || this.stopped) break;
      await turn();
    }
    let removed = 0;
    for (;;) {
      const files = this.store.pending(batch);
      if (files.length === 0) break;
      const r = this.removeBatch(files);
      removed += r.removed;
      // Files taken again meanwhile stay queued for a later sweep: this one is done with them.
      if (r.settled === 0 || files.length < batch || this.stopped) break;
      await turn();
    }
    if (jobs || removed) this.log.info({ jobs, removed }, 'documents past their retention removed');
    return { jobs, removed };
  }

  /**
   * Check and unlink one batch in one turn of this thread, where every job is made: no job can name a
   * file between its check and its removal. A submit on the main thread that found the file before the
   * check set its time (reuseStored): a file renamed aside and found that recent is put back.
   */
  private removeBatch(files: string[]): { removed: number; settled: number } {
    const used = this.store.inUse(files);
    const settled: string[] = [];
    let removed = 0;
    const recent = this.clock.now() - (this.opts.reuseGraceMs ?? HOUR);
    for (const key of files) {
      if (used.has(key)) {
        settled.push(key);
        continue;
      }
      const path = join(this.opts.dataDir, key);
      const aside = `${path}.removing`;
      try {
        // A crash between the rename and its end left the file aside: it is the file.
        if (existsSync(aside) && !existsSync(path)) renameSync(aside, path);
        try {
          renameSync(path, aside);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          settled.push(key);
          continue;
        }
        if (statSync(aside).mtimeMs > recent) {
          renameSync(aside, path);
          continue;
        }
        rmSync(aside, { force: true });
        removed++;
        settled.push(key);
      } catch (err) {
        this.log.warn({ err, file: key }, 'a document past its retention could not be removed; tried again at the next sweep');
      }
    }
    this.store.done(settled);
    return { removed, settled: settled.length };
  }
}

const turn = () => new Promise<void>((done) => setImmediate(done));
