import { SwitchpostError } from '../core/errors.js';
import { JOB_ID_MARK } from '../core/email-to-fax.js';
import type { StoreDb } from './store-db.js';
import { checkContent, type Content } from '../core/content.js';
import { documentKeys } from '../core/documents.js';
import { HELD_UNTIL, type NewJob, type NewRecipient } from '../core/jobs.js';
import type { Channel, JobStatus, RecipientState } from '../core/model.js';
import { ownerFilter, type Scope } from './users.js';
import { jsonRows, stmt } from './db.js';
import { onKeptPlans } from './kept-plans.js';
import type { CallbackStatus } from './callbacks.js';
import { keysetPages } from './pages.js';

export interface JobRow {
  id: number;
  user_id: number;
  user_code: string;
  face: string;
  channel: Channel;
  name: string | null;
  status: JobStatus;
  content: string;
  options: string;
  callback_url: string | null;
  sender: string | null;
  scheduled_at: number | null;
  valid_until: number | null;
  reply_until: number | null;
  cutoff: string | null;
  blackouts: string | null;
  total: number;
  remaining: number;
  succeeded: number;
  failed: number;
  cost: number;
  created_at: number;
  external_id: string | null;
  first_sent_at: number | null;
  completed_at: number | null;
  /** The files its content names (core/documents.ts): null none, kept, or removed by its user's retention. */
  documents: 'kept' | 'removed' | null;
  documents_removed_at: number | null;
  timezone: string;
  country: string;
}

export interface RecipientRow {
  id: number;
  job_id: number;
  seq: number;
  destination: string;
  address: string | null;
  name: string | null;
  reference: string | null;
  fields: string | null;
  state: RecipientState;
  reason: string | null;
  tries: number;
  parts: number | null;
  /** The encoding of the current attempt (SMS: gsm7, latin1, ucs2). */
  encoding: string | null;
  cost: number | null;
  duration: number | null;
  keypress: string | null;
  voicemail: number | null;
  sent_at: number | null;
  final_at: number | null;
}

/** A recipient as a job's report shows it: with its callbacks' status when the report was asked with them. */
export interface ReportRow extends RecipientRow {
  /** null: no callback for it yet, or callbacks not asked for. */
  callback: CallbackStatus | null;
}

/** How many rows one page of a job's report reads: small enough that a page is a few ms of work. */
export const REPORT_PAGE_SIZE = 200;

const RECIPIENT_COLUMNS = `r.id, r.job_id, r.seq, r.destination, r.address, r.name, r.reference, r.fields, r.state, r.reason, r.tries, COALESCE(r.parts, a.parts) AS parts,
           a.encoding, r.cost, r.duration, r.keypress, r.voicemail, r.sent_at, r.final_at`;

/**
 * A recipient's callbacks in one: the one failed for good if any, else one still pending, else the
 * delivered; the newest of its kind (as CallbackStore.statusByRecipient ranks them). By callbacks_job.
 */
const CALLBACK_OF = `(SELECT c.id FROM callbacks c WHERE c.job_id = r.job_id AND c.recipient_id = r.id
           ORDER BY CASE c.state WHEN 'failed' THEN 2 WHEN 'pending' THEN 1 ELSE 0 END DESC, c.id DESC LIMIT 1)`;

const REPORT_PAGE = `SELECT ${RECIPIENT_COLUMNS} FROM recipients r LEFT JOIN attempts a ON a.id = r.attempt_id
         WHERE r.job_id = ? AND r.seq > ? ORDER BY r.seq LIMIT ?`;
const REPORT_PAGE_WITH_CALLBACKS = `SELECT ${RECIPIENT_COLUMNS}, cb.state AS callback_state, cb.last_error AS callback_error
         FROM recipients r LEFT JOIN attempts a ON a.id = r.attempt_id LEFT JOIN callbacks cb ON cb.id = ${CALLBACK_OF}
         WHERE r.job_id = ? AND r.seq > ? ORDER BY r.seq LIMIT ?`;
const DURATION_PAGE = `SELECT r.seq, r.duration FROM recipients r WHERE r.job_id = ? AND r.seq > ? ORDER BY r.seq LIMIT ?`;

type ReportSqlRow = RecipientRow & { callback_state?: CallbackStatus['state'] | null; callback_error?: string | null };

export interface JobFilter {
  name?: string;
  channels?: Channel[];
  statuses?: JobStatus[];
  createdAfter?: number;
  createdBefore?: number;
  userId?: number;
  userCode?: string;
}

/** A job's recipients, a chunk at a time: the rows are jsonRows() arrays, in the order of their columns here. */
const INSERT_RECIPIENTS = `INSERT INTO recipients (job_id, seq, destination, name, reference, fields, blackouts, state, due_at, priority, contact_id)
  SELECT ?, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, 'queued', value->>6, value->>7, value->>8 FROM jsonb_each(?)`;

/**
 * A big job's recipients change the table's statistics: PostgreSQL's planner, on figures from before
 * them, takes the queued rows for one and loops the spool's row-list writes over all of them
 * (test/store/pg-plans.test.ts). On PostgreSQL this is `ANALYZE recipients` (pg/overrides.ts), in the
 * job's transaction; on SQLite, whose plans read no statistics, nothing.
 */
export const REFRESH_RECIPIENT_STATISTICS = `SELECT 'recipient statistics' AS refreshed`;
const REFRESH_AT = 1000;

const JOB_SELECT = `SELECT j.*, u.user_code, u.timezone, u.country FROM jobs j JOIN users u ON u.id = j.user_id`;

/**
 * The options column: the face's fields to echo, with the core's own choices under the names the faces
 * echo them by (ICTCore's try_allowed as `tries`, v1's `optout_code`).
 */
const storedOptions = (job: NewJob): string => JSON.stringify({ ...job.options, ...(job.tries ? { tries: job.tries } : {}), ...(job.optoutCode !== undefined ? { optout_code: job.optoutCode } : {}) });

/** The core's choices read back from the options column. */
export function jobChoices(optionsJson: string): { tries: number | null; optoutCode: string | null } {
  const o = JSON.parse(optionsJson) as { tries?: unknown; optout_code?: unknown };
  return { tries: typeof o.tries === 'number' ? o.tries : null, optoutCode: typeof o.optout_code === 'string' ? o.optout_code : null };
}

export class JobStore {
  constructor(private readonly db: StoreDb) {}

  /** Store a job and all its recipients in one transaction; nothing is stored if anything fails. */
  create(job: NewJob, now = Date.now()): number {
    const insertJob = this.db.prepare(
      `INSERT INTO jobs (user_id, face, channel, name, content, options, callback_url, sender, scheduled_at, valid_until, reply_until, cutoff, blackouts, total, remaining, created_at, external_id, dedupe_key, program_id, account_id, campaign_id, documents)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const dueAt = job.held ? HELD_UNTIL : Math.max(now, job.scheduledAt ?? now);
    // In INSERT_RECIPIENTS' order; JSON columns as the text of their JSON.
    const recipientRow = (r: NewRecipient, seq: number) => [
      seq,
      r.destination,
      r.name,
      r.reference,
      r.fields ? JSON.stringify(r.fields) : null,
      r.blackouts?.length ? JSON.stringify(r.blackouts) : null,
      r.dueAt ?? dueAt,
      r.priority ?? null,
      r.contactId ?? null,
    ];
    return this.db.transaction(() => {
      // The caller was authenticated before this transaction: a user deleted since is told so, not a foreign-key failure.
      if (!stmt(this.db, 'SELECT 1 FROM users WHERE id = ?').get(job.userId)) throw new SwitchpostError('unauthenticated', 'the user this request was made as no longer exists; nothing was stored');
      const n = job.recipients.length;
      const content = checkContent(job.channel, job.content);
      const files = documentKeys(content);
      const jobId = Number(
        insertJob.run(
          job.userId,
          job.face,
          job.channel,
          job.name,
          JSON.stringify(content),
          storedOptions(job),
          job.callbackUrl,
          job.sender,
          job.scheduledAt,
          job.validUntil,
          job.replyUntil,
          job.cutoff,
          job.blackouts.length ? JSON.stringify(job.blackouts) : null,
          n,
          n,
          now,
          job.externalId ?? null,
          job.dedupeKey ?? null,
          job.programId ?? null,
          job.accountId ?? null,
          job.campaignId ?? null,
          files.length ? 'kept' : null,
        ).lastInsertRowid,
      );
      // What keeps a shared file from a retention sweep (store/retention.ts): one statement for the job's files.
      if (files.length) stmt(this.db, 'INSERT OR IGNORE INTO job_files (job_id, file) SELECT ?, value FROM json_each(?)').run(jobId, JSON.stringify(files));
      // Set-based: one statement per ROWS_PER_STATEMENT recipients, seq their order in the job.
      const insertRecipients = stmt(this.db, INSERT_RECIPIENTS);
      onKeptPlans(this.db, n, () => {
        for (const rows of jsonRows(job.recipients, recipientRow)) insertRecipients.run(jobId, rows);
      });
      if (n >= REFRESH_AT) stmt(this.db, REFRESH_RECIPIENT_STATISTICS).get();
      return jobId;
    })();
  }

  /**
   * A job and the e-mails that announce it (e-mail to fax's "accepted"), in one transaction: a crash
   * keeps all or none. `JOB_ID_MARK` in a notice's subject and text becomes the job's id.
   */
  createAnnounced(job: NewJob, notices: NewJob[], now = Date.now()): { jobId: number; noticeIds: number[] } {
    return this.db.transaction(() => {
      const jobId = this.create(job, now);
      const noticeIds = notices.map((n) => {
        const c = n.content;
        const content = c.kind === 'email' ? { ...c, subject: c.subject.replaceAll(JOB_ID_MARK, String(jobId)), text: c.text?.replaceAll(JOB_ID_MARK, String(jobId)) ?? null } : c;
        return this.create({ ...n, content, name: n.name?.replaceAll(JOB_ID_MARK, String(jobId)) ?? null }, now);
      });
      return { jobId, noticeIds };
    })();
  }

  /**
   * A message received (an inbound transmission): a job of one recipient that is final from the start
   * (`state`, e.g. delivered; a partial fax failed), so no part of the spool ever sends it. One
   * transaction (inside the caller's when there is one). Its recipient's id.
   */
  createReceived(job: NewJob, outcome: { state: 'delivered' | 'failed'; reason: string | null }, now: number): { jobId: number; recipientId: number } {
    return this.db.transaction(() => {
      const jobId = this.create({ ...job, held: true }, now);
      const ok = outcome.state === 'delivered' ? 1 : 0;
      stmt(this.db, `UPDATE recipients SET state = ?, reason = ?, due_at = ${Number.MAX_SAFE_INTEGER}, sent_at = ?, final_at = ? WHERE job_id = ?`).run(outcome.state, outcome.reason, now, now, jobId);
      stmt(this.db, `UPDATE jobs SET status = 'complete', remaining = 0, succeeded = ?, failed = ?, first_sent_at = ?, completed_at = ? WHERE id = ?`).run(ok, 1 - ok, now, now, jobId);
      const recipientId = (stmt(this.db, 'SELECT id FROM recipients WHERE job_id = ?').get(jobId) as { id: number }).id;
      return { jobId, recipientId };
    })();
  }

  /** Replace a job's content (to drop a secret from it once sent). */
  setContent(id: number, content: Content): void {
    this.db.prepare('UPDATE jobs SET content = ? WHERE id = ?').run(JSON.stringify(content), id);
  }

  byExternalId(face: string, externalId: string): JobRow | undefined {
    return this.db.prepare(`${JOB_SELECT} WHERE j.face = ? AND j.external_id = ?`).get(face, externalId) as JobRow | undefined;
  }

  /** Whether the user made a job with this digest since `since`. */
  hasDuplicate(userId: number, dedupeKey: string, since: number): boolean {
    return this.db.prepare('SELECT 1 FROM jobs WHERE user_id = ? AND dedupe_key = ? AND created_at >= ? LIMIT 1').get(userId, dedupeKey, since) !== undefined;
  }

  /** External ids of a face's jobs that `scope` may see, created in [from, to), oldest first. */
  externalIds(scope: Scope, face: string, from: number, to: number, open: boolean | null, limit: number, offset: number): string[] {
    const owner = ownerFilter(scope, 'j.user_id');
    const openSql = open === null ? '' : open ? ` AND j.status = 'submitted'` : ` AND j.status <> 'submitted'`;
    return (
      this.db
        .prepare(`SELECT j.external_id FROM jobs j WHERE ${owner.sql} AND j.face = ? AND j.external_id IS NOT NULL AND j.created_at >= ? AND j.created_at < ?${openSql} ORDER BY j.created_at, j.id LIMIT ? OFFSET ?`)
        .all(...owner.params, face, from, to, limit, offset) as { external_id: string }[]
    ).map((r) => r.external_id);
  }

  get(id: number): JobRow | undefined {
    return this.db.prepare(`${JOB_SELECT} WHERE j.id = ?`).get(id) as JobRow | undefined;
  }

  /** One page of the jobs `scope` may see, newest first, and the total that match. */
  list(scope: Scope, filter: JobFilter, page: number, pageSize: number): { rows: JobRow[]; total: number } {
    const owner = ownerFilter(scope, 'j.user_id');
    const where: string[] = [owner.sql];
    const params: (string | number)[] = [...owner.params];
    if (filter.name !== undefined) (where.push('j.name = ?'), params.push(filter.name));
    if (filter.channels) (where.push(`j.channel IN (${filter.channels.map(() => '?').join(',')})`), params.push(...filter.channels));
    if (filter.statuses) (where.push(`j.status IN (${filter.statuses.map(() => '?').join(',')})`), params.push(...filter.statuses));
    if (filter.createdAfter !== undefined) (where.push('j.created_at > ?'), params.push(filter.createdAfter));
    if (filter.createdBefore !== undefined) (where.push('j.created_at < ?'), params.push(filter.createdBefore));
    if (filter.userId !== undefined) (where.push('j.user_id = ?'), params.push(filter.userId));
    if (filter.userCode !== undefined) (where.push('u.user_code = ?'), params.push(filter.userCode));
    const cond = where.join(' AND ');
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM jobs j JOIN users u ON u.id = j.user_id WHERE ${cond}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`${JOB_SELECT} WHERE ${cond} ORDER BY j.created_at DESC, j.id DESC LIMIT ? OFFSET ?`).all(...params, pageSize, (page - 1) * pageSize) as JobRow[];
    return { rows, total };
  }

  recipients(jobId: number): RecipientRow[] {
    return this.db
      .prepare(
        `SELECT r.id, r.job_id, r.seq, r.destination, r.address, r.name, r.reference, r.fields, r.state, r.reason, r.tries, COALESCE(r.parts, a.parts) AS parts,
           a.encoding, r.cost, r.duration, r.keypress, r.voicemail, r.sent_at, r.final_at
         FROM recipients r LEFT JOIN attempts a ON a.id = r.attempt_id WHERE r.job_id = ? ORDER BY r.seq`,
      )
      .all(jobId) as RecipientRow[];
  }

  /** One recipient's merge fields (JSON text, or null), by id within its job; undefined when it is not the job's. */
  recipientFields(jobId: number, recipientId: number): string | null | undefined {
    const row = stmt(this.db, 'SELECT fields FROM recipients WHERE id = ? AND job_id = ?').get(recipientId, jobId) as { fields: string | null } | undefined;
    return row?.fields;
  }

  /** One page of a job's report: the recipients after `afterSeq`, in order, by the recipients_job index. */
  async reportPage(jobId: number, afterSeq: number, limit: number, withCallbacks: boolean): Promise<ReportRow[]> {
    return Promise.resolve(this.reportRows(jobId, afterSeq, limit, withCallbacks));
  }

  /** One page of a job's report, read now (the engine thread's own readers: a report e-mail's CSV). */
  reportRows(jobId: number, afterSeq: number, limit: number, withCallbacks = false): ReportRow[] {
    const rows = stmt(this.db, withCallbacks ? REPORT_PAGE_WITH_CALLBACKS : REPORT_PAGE).all(jobId, afterSeq, limit) as ReportSqlRow[];
    return rows.map(({ callback_state, callback_error, ...r }) => ({ ...r, callback: callback_state ? { state: callback_state, error: callback_error ?? null } : null }));
  }

  /** A job's report, page by page (each one query); `withCallbacks` adds each recipient's callback status. */
  reportPages(jobId: number, withCallbacks: boolean, pageSize = REPORT_PAGE_SIZE): AsyncGenerator<ReportRow[]> {
    return keysetPages(
      (after, limit) => this.reportPage(jobId, after, limit, withCallbacks),
      (r) => r.seq,
      pageSize,
    );
  }

  /** A job's recipients in order, page by page (each one query): what recipients() reads whole. */
  recipientPages(jobId: number, pageSize = REPORT_PAGE_SIZE): AsyncGenerator<RecipientRow[]> {
    return this.reportPages(jobId, false, pageSize);
  }

  /** The sum of a job's recipients' durations, added in recipient order as the report always has, read in pages. */
  async totalDuration(jobId: number, pageSize = 5000): Promise<number> {
    let total = 0;
    const page = async (after: number, limit: number) => stmt(this.db, DURATION_PAGE).all(jobId, after, limit) as { seq: number; duration: number | null }[];
    for await (const rows of keysetPages(page, (r) => r.seq, pageSize)) {
      for (const r of rows) total += r.duration ?? 0;
      // Between pages: the loop is not held for a whole big job's column.
      await new Promise<void>((done) => setImmediate(done));
    }
    return total;
  }

  stateCounts(jobId: number): Partial<Record<RecipientState, number>> {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM recipients WHERE job_id = ? GROUP BY state').all(jobId) as { state: RecipientState; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
}
