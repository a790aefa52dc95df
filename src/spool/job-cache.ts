import type { StoreDb } from '../store/store-db.js';
import { jobChoices, JobStore, type JobRow } from '../store/jobs.js';
import { ContentError, parseContent, textFor, type Content } from '../core/content.js';
import type { JobInfo } from '../core/jobs.js';
import { SERVICE_OF, type Blackout, type Service } from '../core/model.js';
import type { Template } from '../core/merge.js';
import type { RetryPolicy } from '../core/outcomes.js';
import type { WindowRules } from '../core/windows.js';

/** A running job as the spool needs it: parsed once, not once per recipient. */
export interface SpoolJob {
  info: JobInfo;
  /** What it sends; null when the stored content cannot be read (`unreadable` says why): its recipients fail. */
  content: Content | null;
  unreadable: string | null;
  status: JobRow['status'];
  service: Service;
  rules: WindowRules;
  /** Each recipient's text (SMS body, spoken message); a fax has none. */
  template: Template;
  retry: RetryPolicy;
}

export interface JobCacheDefaults {
  dayStart: string;
  retry: RetryPolicy;
  /** Told once per load of a job whose stored content cannot be read. */
  onUnreadable?: (jobId: number, why: string) => void;
}

/** Jobs by id, loaded on first use and dropped when finished or when the cache grows past its bound. */
export class JobCache {
  private readonly jobs = new Map<number, SpoolJob>();
  private readonly store: JobStore;

  constructor(
    db: StoreDb,
    private readonly defaults: JobCacheDefaults,
    private readonly max = 2000,
  ) {
    this.store = new JobStore(db);
  }

  get(id: number): SpoolJob | undefined {
    const hit = this.jobs.get(id);
    if (hit) return hit;
    const row = this.store.get(id);
    if (!row) return undefined;
    const job = this.build(row);
    if (this.jobs.size >= this.max) this.jobs.delete(this.jobs.keys().next().value!);
    this.jobs.set(id, job);
    return job;
  }

  forget(id: number): void {
    this.jobs.delete(id);
  }

  private build(row: JobRow): SpoolJob {
    let content: Content | null = null;
    let unreadable: string | null = null;
    try {
      content = parseContent(row.content);
    } catch (err) {
      // A row no face wrote (a hand-made tool, an old backup): that job fails, the spool goes on.
      if (!(err instanceof ContentError) && !(err instanceof SyntaxError)) throw err;
      unreadable = err.message;
      this.defaults.onUnreadable?.(row.id, unreadable);
    }
    const options = JSON.parse(row.options) as Record<string, unknown>;
    const { tries, optoutCode } = jobChoices(row.options);
    return {
      status: row.status,
      service: SERVICE_OF[row.channel],
      info: {
        id: row.id,
        userId: row.user_id,
        face: row.face,
        channel: row.channel,
        name: row.name,
        sender: row.sender,
        callbackUrl: row.callback_url,
        options,
        tries,
        optoutCode,
        replyUntil: row.reply_until,
        timezone: row.timezone,
        country: row.country,
      },
      rules: {
        notBefore: row.scheduled_at,
        validUntil: row.valid_until,
        hours: row.cutoff ? { dayStart: this.defaults.dayStart, cutoff: row.cutoff, zone: row.timezone } : null,
        blackouts: row.blackouts ? (JSON.parse(row.blackouts) as Blackout[]) : [],
      },
      content,
      unreadable,
      template: !content || content.kind === 'fax' || content.kind === 'email' ? () => '' : textFor(content.text),
      retry: { ...this.defaults.retry, tries: tries ?? this.defaults.retry.tries },
    };
  }
}
