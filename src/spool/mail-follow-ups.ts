import type { Logger } from 'pino';
import type { JobStore } from '../store/jobs.js';
import type { MailTimerKind, MailTimerStore } from '../store/mail-timers.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { JobInfo, NewJob } from '../core/jobs.js';
import type { Clock } from '../core/clock.js';

/** A reply just recorded for a 2-way job, as its face's reply e-mails need it. */
export interface RecordedReply {
  job: JobInfo;
  recipient: { id: number; destination: string; name: string | null; reference: string | null };
  from: string;
  to: string | null;
  text: string;
  at: number;
  /** Within the job's reply window (seed 000's `expires`): forwarded; after it only recorded. */
  forwarded: boolean;
}

/**
 * What a face sends by e-mail after the fact (the v1 API's reply and report e-mails), decided on the
 * engine's thread. `reply` and `finished` run inside the transaction that records the reply or finishes
 * the job, and must only read; the jobs they return are made in it. A later e-mail is a durable timer:
 * `due` makes its jobs when it comes (it may write files first; none: nothing to send).
 */
export interface MailFollowUps {
  /** The e-mail jobs this reply sends now, and the time of a batch e-mail its job wants (null: none). */
  reply(r: RecordedReply, now: number): { mails: NewJob[]; batchAt: number | null };
  /** Whether a job that just finished sends its report by e-mail (it is made by `due` at once). */
  wantsReport(jobId: number): boolean;
  /** A timer came: the e-mail jobs to make. */
  due(jobId: number, kind: MailTimerKind, now: number): Promise<NewJob[]>;
}

/** A timer whose e-mail could not be made is tried again this much later. */
const RETRY_MS = 60_000;
/** The timers looked at by one run; the rest wait for the next. */
const BATCH = 50;

/**
 * The engine's side of the faces' follow-up e-mails: each is an ordinary `email` job (JobStore.create)
 * made in the same transaction as what caused it, so it is paced, retried, reported and survives a
 * crash like any other job; later ones wait on durable timers (`mail_timers`), run here.
 */
export class MailFollowUpWriter {
  private hooks: MailFollowUps | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly jobs: JobStore,
    private readonly timers: MailTimerStore,
    private readonly tx: <T>(fn: () => T) => T,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  /** The faces' follow-ups (set once by the wiring on this thread). */
  register(hooks: MailFollowUps): void {
    this.hooks = hooks;
  }

  /** A reply was recorded (in its transaction): its e-mails made, a batch's timer set. */
  replied(r: RecordedReply, now: number, events: SpoolEvent[]): void {
    const hooks = this.hooks;
    if (!hooks) return;
    this.apart({ jobId: r.job.id, kind: 'reply' }, events, () => {
      const { mails, batchAt } = hooks.reply(r, now);
      for (const m of mails) this.make(m, now, events);
      if (batchAt !== null) this.timers.set(r.job.id, 'replies', batchAt);
    });
  }

  /** A job finished (in its transaction): its report's timer, due now. */
  finished(jobId: number, now: number, events: SpoolEvent[]): void {
    const hooks = this.hooks;
    if (!hooks) return;
    this.apart({ jobId, kind: 'report' }, events, () => {
      if (!hooks.wantsReport(jobId)) return;
      this.timers.set(jobId, 'report', now);
      this.wake();
    });
  }

  /**
   * In its own savepoint: an e-mail that cannot be made (a bug, a user deleted meanwhile) is logged
   * and undone alone, never rolling back the reply or the batch of outcomes that caused it.
   */
  private apart(what: { jobId: number; kind: string }, events: SpoolEvent[], fn: () => void): void {
    const mark = events.length;
    try {
      this.tx(fn);
    } catch (err) {
      events.length = mark;
      this.log.error({ err, ...what }, 'a follow-up e-mail could not be made');
    }
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Look at the timers soon (one was set due now). */
  wake(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.run().finally(() => {
        this.running = null;
        if (!this.stopped) this.schedule(this.pollMs);
      });
    }, ms);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (!this.hooks) return;
    for (const t of this.timers.due(this.clock.now(), BATCH)) {
      if (this.stopped) return;
      try {
        const mails = await this.hooks.due(t.job_id, t.kind, this.clock.now());
        const events: SpoolEvent[] = [];
        this.tx(() => {
          const now = this.clock.now();
          for (const m of mails) this.make(m, now, events);
          this.timers.remove(t.job_id, t.kind);
        });
        for (const e of events) this.bus.emit(e);
      } catch (err) {
        this.log.error({ err, jobId: t.job_id, kind: t.kind }, 'a follow-up e-mail could not be made; trying again later');
        try {
          this.timers.postpone(t.job_id, t.kind, this.clock.now() + RETRY_MS);
        } catch (again) {
          // The store itself failing: the timer stays due and is tried at the next poll.
          this.log.error({ err: again }, 'a mail timer could not be postponed');
          return;
        }
      }
    }
  }

  private make(job: NewJob, now: number, events: SpoolEvent[]): void {
    const jobId = this.jobs.create(job, now);
    events.push({ type: 'job.created', at: now, userId: job.userId, jobId, channel: job.channel, total: job.recipients.length });
  }
}

/** Several faces' follow-ups as one: each reply's and report's e-mails are all of theirs. */
export function allFollowUps(hooks: readonly MailFollowUps[]): MailFollowUps {
  return {
    reply(r, now) {
      const each = hooks.map((h) => h.reply(r, now));
      const times = each.flatMap((e) => (e.batchAt === null ? [] : [e.batchAt]));
      return { mails: each.flatMap((e) => e.mails), batchAt: times.length ? Math.min(...times) : null };
    },
    wantsReport: (jobId) => hooks.some((h) => h.wantsReport(jobId)),
    // A report timer is one per job: only the hooks that want the job's report make one.
    due: async (jobId, kind, now) => (await Promise.all(hooks.filter((h) => kind !== 'report' || h.wantsReport(jobId)).map((h) => h.due(jobId, kind, now)))).flat(),
  };
}
