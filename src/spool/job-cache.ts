import type { Db } from '../store/db.js';
import { jobChoices, JobStore, type JobRow } from '../store/jobs.js';
import { parseContent, textFor } from '../core/content.js';
import type { JobInfo } from '../core/jobs.js';
import { SERVICE_OF, type Blackout, type Service } from '../core/model.js';
import type { Template } from '../core/merge.js';
import type { RetryPolicy } from '../core/outcomes.js';
import type { WindowRules } from '../core/windows.js';

/** A running job as the spool needs it: parsed once, not once per recipient. */
export interface SpoolJob {
  info: JobInfo;
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
}

/** Jobs by id, loaded on first use and dropped when finished or when the cache grows past its bound. */
export class JobCache {
  private readonly jobs = new Map<number, SpoolJob>();
  private readonly store: JobStore;

  constructor(
    db: Db,
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
    const content = parseContent(row.content);
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
        content,
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
      template: content.kind === 'fax' ? () => '' : textFor(content.text),
      retry: { ...this.defaults.retry, tries: tries ?? this.defaults.retry.tries },
    };
  }
}
