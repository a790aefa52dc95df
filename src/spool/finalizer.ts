import type { Logger } from 'pino';
import type { SpoolStore, JobCounterDelta } from '../store/spool.js';
import type { CallbackStore } from '../store/callbacks.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { CallbackFormatters } from '../events/callbacks.js';
import { isSuccess, type RecipientState } from '../core/model.js';
import type { JobCache, SpoolJob } from './job-cache.js';
import { queueUpdated, viewOf } from './recipient-updates.js';

/**
 * A recipient became final, and what follows in the same transaction: its job's counters, its status
 * callback written to the outbox, its event; a job whose last recipient went final is finished. The
 * caller owns the transaction and emits the events once it has committed.
 */
export class Finalizer {
  constructor(
    private readonly spool: SpoolStore,
    private readonly callbacks: CallbackStore,
    private readonly jobs: JobCache,
    private readonly formatters: CallbackFormatters,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  /** A recipient became final: job counters, status callback and event, all in the caller's transaction. */
  recipientFinal(job: SpoolJob, recipientId: number, destination: string, state: RecipientState, reason: string | null, now: number, cost: number | null, events: SpoolEvent[], counters: Map<number, JobCounterDelta>): void {
    const d = counters.get(job.info.id) ?? { done: 0, succeeded: 0, failed: 0, cost: 0 };
    d.done++;
    if (isSuccess(state)) d.succeeded++;
    else d.failed++;
    d.cost += cost ?? 0;
    counters.set(job.info.id, d);
    // The full row is read only when there is a callback to format.
    const formatter = job.info.callbackUrl ? this.formatters.for(job.info.face) : undefined;
    const row = formatter && this.spool.current(recipientId);
    const cb = row ? formatter!.status(job.info, viewOf(row, state, reason), now) : null;
    if (cb) this.callbacks.enqueue(cb, { userId: job.info.userId, jobId: job.info.id, recipientId }, now);
    queueUpdated(this.bus, events, job, recipientId, destination, state, reason, now);
    this.log.debug({ jobId: job.info.id, recipientId, state, reason }, 'recipient final');
  }

  /** Finalize a queued recipient that never reached a gateway (invalid number, opted out, expired, cancelled). */
  finalizeNow(job: SpoolJob, recipientId: number, destination: string, state: RecipientState, reason: string, now: number, events: SpoolEvent[], counters: Map<number, JobCounterDelta>): void {
    if (this.spool.finalizeQueued(recipientId, state, reason, now)) this.recipientFinal(job, recipientId, destination, state, reason, now, null, events, counters);
  }

  /** Apply the job counters a transaction collected (inside it); a job whose last recipient went final is finished. */
  applyCounters(counters: Map<number, JobCounterDelta>, now: number, events: SpoolEvent[]): void {
    for (const [jobId, d] of counters) {
      const row = this.spool.applyJobCounters(jobId, d, now);
      if (row && row.remaining <= 0 && d.done > 0) {
        events.push({ type: 'job.finished', at: now, userId: row.user_id, jobId, status: row.status as 'complete', succeeded: row.succeeded, failed: row.failed });
        this.jobs.forget(jobId);
      }
    }
  }
}
