import type { Db } from '../store/db.js';
import { JobStore, type JobRow } from '../store/jobs.js';
import type { JobInfo } from '../core/jobs.js';
import { SERVICE_OF, type Blackout, type Service } from '../core/model.js';
import { compileTemplate, type Template } from '../core/merge.js';
import type { RetryPolicy } from '../core/outcomes.js';
import type { WindowRules } from '../core/windows.js';
import type { SmsSendOptions } from '../core/sms.js';

/** A running job as the spool needs it: parsed once, not once per recipient. */
export interface SpoolJob {
  info: JobInfo;
  status: JobRow['status'];
  service: Service;
  rules: WindowRules;
  template: Template;
  retry: RetryPolicy;
  sms: SmsSendOptions | undefined;
}

export interface JobCacheDefaults {
  dayStart: string;
  retry: RetryPolicy;
}

/**
 * The text for a recipient: `content.message` with merge fields, or, for a job of several fixed texts
 * (Retarus: messages[]), the one the recipient's `__message` field points at, taken literally.
 */
function templateOf(content: Record<string, unknown>): Template {
  if (Array.isArray(content.messages)) {
    const texts = content.messages.map(String);
    return (fields) => texts[Number(fields.__message ?? 0)] ?? '';
  }
  return compileTemplate(typeof content.message === 'string' ? content.message : '');
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
    const content = JSON.parse(row.content) as Record<string, unknown>;
    const options = JSON.parse(row.options) as Record<string, unknown>;
    const tries = typeof options.tries === 'number' ? options.tries : this.defaults.retry.tries;
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
      template: templateOf(content),
      retry: { ...this.defaults.retry, tries },
      sms: typeof content.sms === 'object' && content.sms !== null ? (content.sms as SmsSendOptions) : undefined,
    };
  }
}
