import type { Logger } from 'pino';
import type { SpoolStore, JobCounterDelta } from '../store/spool.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { Clock } from '../core/clock.js';
import type { JobCache } from './job-cache.js';
import type { NumberChecker } from './number-checker.js';
import type { NumberResult } from './number-worker.js';
import { checkEmailAddress } from '../core/email-address.js';
import type { Recorder } from './recorder.js';

/**
 * Validates a new job's numbers on the worker thread, ahead of the dispatcher, so that the dispatcher's
 * thread only writes each E.164 address (or fails the recipient as invalid). Rows the dispatcher reaches
 * first it validates itself; every write here is guarded so a row already taken is left alone.
 */
export class Preparer {
  private readonly queue: number[] = [];
  private running = false;
  private working: Promise<void> | null = null;

  constructor(
    private readonly spool: SpoolStore,
    private readonly jobs: JobCache,
    private readonly checker: NumberChecker,
    private readonly recorder: Recorder,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly chunk = 5000,
  ) {}

  /** Start, picking up the open jobs a previous run may not have finished preparing. */
  start(): void {
    this.running = true;
    for (const id of this.spool.openJobs()) this.add(id);
  }

  add(jobId: number): void {
    this.queue.push(jobId);
    this.working ??= this.work().finally(() => (this.working = null));
  }

  private async work(): Promise<void> {
    while (this.running && this.queue.length > 0) {
      const jobId = this.queue[0]!;
      try {
        await this.prepare(jobId);
      } catch (err) {
        // Not fatal: the dispatcher validates whatever is left, row by row.
        this.log.warn({ err, jobId }, 'validating numbers ahead of the dispatcher failed');
      }
      this.queue.shift();
    }
  }

  private async prepare(jobId: number): Promise<void> {
    let afterSeq = -1;
    while (this.running) {
      const job = this.jobs.get(jobId);
      if (!job) return;
      const rows = this.spool.unvalidated(jobId, afterSeq, this.chunk);
      if (rows.length === 0) return;
      afterSeq = rows[rows.length - 1]!.seq;
      // A mailbox check is a regex: e-mail jobs' addresses are checked here, numbers on the worker.
      const results: NumberResult[] =
        job.info.channel === 'email'
          ? rows.map((r) => {
              const c = checkEmailAddress(r.destination);
              return c.ok ? [r.id, c.address, null] : [r.id, null, c.reason];
            })
          : await this.checker.check(
              job.info.country,
              rows.map((r) => [r.id, r.destination]),
            );
      if (!this.running) return;
      const now = this.clock.now();
      const events: SpoolEvent[] = [];
      const counters = new Map<number, JobCounterDelta>();
      const given = new Map(rows.map((r) => [r.id, r.destination]));
      this.spool.tx(() => {
        this.spool.batch.setAddresses(results.flatMap(([id, e164]) => (e164 !== null ? [[id, e164] as const] : [])));
        this.recorder.finalizeQueued(
          results.flatMap(([id, e164, reason]) => (e164 === null ? [{ job, recipientId: id, destination: given.get(id)!, state: 'invalid' as const, reason: reason ?? (job.info.channel === 'email' ? 'invalid address' : 'invalid number') }] : [])),
          now,
          events,
          counters,
        );
        this.recorder.applyCounters(counters, now, events);
      });
      for (const e of events) this.bus.emit(e);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.working;
  }
}
