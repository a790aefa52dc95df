import type { Logger } from 'pino';
import type { SpoolStore, JobCounterDelta } from '../store/spool.js';
import type { SpoolBatch } from '../store/spool-batch.js';
import type { CallbackStore, QueuedCallback } from '../store/callbacks.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { CallbackFormatters } from '../events/callbacks.js';
import { isSuccess, type RecipientState } from '../core/model.js';
import type { JobCache, SpoolJob } from './job-cache.js';
import { queueUpdated, viewOf } from './recipient-updates.js';
import type { MailFollowUpWriter } from './mail-follow-ups.js';

/** A recipient that became final in a batch. */
export interface FinalItem {
  job: SpoolJob;
  recipientId: number;
  destination: string;
  state: RecipientState;
  reason: string | null;
  cost: number | null;
  /** It was final as a success and a bounce undid that: counted again as a failure, not as one more done. */
  reopened?: boolean;
}

/**
 * Recipients became final, and what follows in the same transaction: their jobs' counters, their status
 * callbacks written to the outbox, their events; a job whose last recipient went final is finished. Set-
 * based: one read of the rows callbacks are formatted from, one write of the callbacks, per batch. The
 * caller owns the transaction and emits the events once it has committed.
 */
export class Finalizer {
  /** The faces' report e-mails: a finished job's timer is set in its transaction (set by the wiring). */
  followUps: MailFollowUpWriter | null = null;

  constructor(
    private readonly spool: SpoolStore,
    private readonly batch: SpoolBatch,
    private readonly callbacks: CallbackStore,
    private readonly jobs: JobCache,
    private readonly formatters: CallbackFormatters,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  /** Recipients whose final state was written: job counters, status callbacks and events, all in the caller's transaction. */
  recipientsFinal(items: readonly FinalItem[], now: number, events: SpoolEvent[], counters: Map<number, JobCounterDelta>): void {
    if (items.length === 0) return;
    // The full rows are read only for the recipients with a callback to format.
    const formatted = items.filter((i) => i.job.info.callbackUrl && this.formatters.for(i.job.info.face));
    const rows = this.batch.currents(formatted.map((i) => i.recipientId));
    const queued: QueuedCallback[] = [];
    for (const i of items) {
      const { job } = i;
      const d = counters.get(job.info.id) ?? { done: 0, succeeded: 0, failed: 0, cost: 0 };
      if (i.reopened) d.succeeded--;
      else d.done++;
      if (isSuccess(i.state)) d.succeeded++;
      else d.failed++;
      d.cost += i.cost ?? 0;
      counters.set(job.info.id, d);
      const row = rows.get(i.recipientId);
      const cb = row ? this.formatters.for(job.info.face)!.status(job.info, viewOf(row, i.state, i.reason), now) : null;
      if (cb) queued.push({ req: cb, owner: { userId: job.info.userId, jobId: job.info.id, recipientId: i.recipientId } });
      queueUpdated(this.bus, events, job, i.recipientId, i.destination, i.state, i.reason, now);
    }
    this.callbacks.enqueueMany(queued, now);
    this.log.debug({ recipients: items.length }, 'recipients final');
  }

  /** Finalize queued recipients that never reached a gateway (invalid number, opted out, expired, cancelled); those taken meanwhile are left. */
  finalizeQueued(items: readonly (Omit<FinalItem, 'cost'> & { reason: string })[], now: number, events: SpoolEvent[], counters: Map<number, JobCounterDelta>): void {
    if (items.length === 0) return;
    const applied = this.batch.finalizeQueued(
      items.map((i) => ({ id: i.recipientId, state: i.state, reason: i.reason })),
      now,
    );
    this.recipientsFinal(
      items.filter((i) => applied.has(i.recipientId)).map((i) => ({ ...i, cost: null })),
      now,
      events,
      counters,
    );
  }

  /** Apply the job counters a transaction collected (inside it); a job whose last recipient went final is finished. */
  applyCounters(counters: Map<number, JobCounterDelta>, now: number, events: SpoolEvent[]): void {
    for (const [jobId, d] of counters) {
      const row = this.spool.applyJobCounters(jobId, d, now);
      if (row && row.remaining <= 0 && d.done > 0) {
        events.push({ type: 'job.finished', at: now, userId: row.user_id, jobId, status: row.status as 'complete', succeeded: row.succeeded, failed: row.failed });
        this.followUps?.finished(jobId, now, events);
        this.jobs.forget(jobId);
      }
    }
  }
}
