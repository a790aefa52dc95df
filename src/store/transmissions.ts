import { jsonRows, stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import { ownerFilter, type Scope } from './users.js';
import { HELD_UNTIL } from '../core/jobs.js';
import { isFinal, isSuccess, type Channel, type RecipientState } from '../core/model.js';

/** A recipient seen as an ICTCore transmission: with its job's program, account, campaign and owner. */
export interface TransmissionRow {
  id: number;
  job_id: number;
  user_id: number;
  channel: Channel;
  program_id: number | null;
  account_id: number | null;
  campaign_id: number | null;
  contact_id: number | null;
  destination: string;
  state: RecipientState;
  reason: string | null;
  due_at: number;
  tries: number;
  attempt_id: number | null;
  options: string;
  created_at: number;
  sent_at: number | null;
  final_at: number | null;
}

export interface AttemptRow {
  id: number;
  recipient_id: number;
  job_id: number;
  try: number;
  status: string;
  response: string | null;
  queued_at: number;
  started_at: number | null;
  connected_at: number | null;
  ended_at: number | null;
  cost: number | null;
  duration: number | null;
  parts: number | null;
  /** node.id of the daemon that made it; null before migration 13. */
  node_id: string | null;
  user_id: number;
}

export interface ResultRow {
  id: number;
  attempt_id: number | null;
  kind: string;
  value: string | null;
  data: string | null;
  created_at: number;
}

const SELECT = `SELECT r.id, r.job_id, j.user_id, j.channel, j.program_id, j.account_id, j.campaign_id, r.contact_id, r.destination, r.state, r.reason,
  r.due_at, r.tries, r.attempt_id, j.options, j.created_at, r.sent_at, r.final_at FROM recipients r JOIN jobs j ON j.id = r.job_id`;

/** A transmission with its contact and account is ~600 bytes of JSON: pages of 200 are a few ms each. */
const TRANSMISSION_PAGE_SIZE = 200;
/**
 * Held → due, a chunk of jsonRows() [id, due_at] at a time. The unary + keeps recipients_due out of
 * the plan: by it SQLite would scan every held row of every job and each chunk once per row.
 */
const RELEASE = `UPDATE recipients SET due_at = v.value->>1, reason = NULL FROM jsonb_each(?) v
  WHERE recipients.id = v.value->>0 AND +recipients.state = 'queued' AND +recipients.due_at = ${HELD_UNTIL}`;
const BY_IDS = `${SELECT} WHERE r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id`;

export type TransmissionFilter = Partial<Record<'id' | 'user_id' | 'program_id' | 'account_id' | 'campaign_id' | 'contact_id' | 'destination', string>> & {
  channels?: Channel[];
  states?: RecipientState[];
  held?: boolean;
  /** ICTCore's `direction` (kept in the job's options; outbound when none is). */
  direction?: string;
  /** ICTCore's `after` / `before`: created at or after / at or before these epoch seconds (its date_created). */
  createdFrom?: number;
  createdTo?: number;
};

/** Transmissions, their spools (attempts) and results, and the changes ICTCore's calls make to them. */
/** ICTCore's statistics filters (Core::statistic), as the face has parsed them. */
export interface StatisticsFilter {
  /** Rows made at or after this (epoch seconds): ICTCore's date_created, since, from. */
  since?: number;
  /** One user's rows, within what the caller may see: ICTCore's user_id, created_by. */
  userId?: number;
  /** Transmissions and spools of these channels (ICTCore's service_flag); none matches nothing. */
  channels?: Channel[];
  /** Accounts of this type in account_total (ICTCore's account_type). */
  accountType?: string;
}

export class TransmissionStore {
  constructor(private readonly db: StoreDb) {}

  get(id: number): TransmissionRow | undefined {
    return stmt(this.db, `${SELECT} WHERE r.id = ? AND r.hidden IS NULL`).get(id) as TransmissionRow | undefined;
  }

  list(scope: Scope, f: TransmissionFilter, limit: number, offset = 0): TransmissionRow[] {
    const { where, params } = this.filterSql(scope, f);
    return stmt(this.db, `${SELECT} WHERE ${where} ORDER BY r.id LIMIT ? OFFSET ?`).all(...params, limit, offset) as TransmissionRow[];
  }

  /**
   * What list() answers, page by page: the ids first (one query, the client's offset skipped there as
   * ICTCore's API asks), then each page by primary key. No index gives a user's transmissions in id order
   * through the jobs they belong to, so a keyset page after an id sorted all of them again (measured:
   * 80-145 ms a page at 100,000); the ids alone are one such sort.
   */
  async *pages(scope: Scope, f: TransmissionFilter, max: number, offset = 0, pageSize = TRANSMISSION_PAGE_SIZE): AsyncGenerator<TransmissionRow[]> {
    const ids = await this.ids(scope, f, max, offset);
    for (let at = 0; at < ids.length; at += pageSize) yield await this.byIds(ids.slice(at, at + pageSize));
  }

  /** The ids list(scope, f, limit, offset) would answer, in order. */
  async ids(scope: Scope, f: TransmissionFilter, limit: number, offset = 0): Promise<number[]> {
    const { where, params } = this.filterSql(scope, f);
    return stmt(this.db, `SELECT r.id FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE ${where} ORDER BY r.id LIMIT ? OFFSET ?`)
      .pluck()
      .all(...params, limit, offset) as number[];
  }

  /** Transmissions by id (a page of ids()), in id order: one lookup by primary key each. */
  async byIds(ids: number[]): Promise<TransmissionRow[]> {
    return stmt(this.db, BY_IDS).all(JSON.stringify(ids)) as TransmissionRow[];
  }

  private filterSql(scope: Scope, f: TransmissionFilter): { where: string; params: (string | number)[] } {
    const owner = ownerFilter(scope, 'j.user_id');
    const where = [owner.sql, "j.face = 'ictcore'", 'r.hidden IS NULL'];
    const params: (string | number)[] = [...owner.params];
    for (const k of ['program_id', 'account_id', 'campaign_id'] as const) if (f[k] !== undefined) (where.push(`j.${k} = ?`), params.push(f[k]!));
    for (const k of ['id', 'contact_id', 'destination'] as const) if (f[k] !== undefined) (where.push(`r.${k} = ?`), params.push(f[k]!));
    if (f.user_id !== undefined) (where.push('j.user_id = ?'), params.push(f.user_id));
    if (f.direction !== undefined) (where.push("COALESCE(j.options ->> '$.direction', 'outbound') = ?"), params.push(f.direction));
    // Seconds as ICTCore compares them: a job created within second s is "at" s.
    if (f.createdFrom !== undefined) (where.push('j.created_at >= ?'), params.push(f.createdFrom * 1000));
    if (f.createdTo !== undefined) (where.push('j.created_at < ?'), params.push((f.createdTo + 1) * 1000));
    if (f.channels) (where.push(`j.channel IN (${f.channels.map(() => '?').join(',')})`), params.push(...f.channels));
    if (f.states) (where.push(`r.state IN (${f.states.map(() => '?').join(',')})`), params.push(...f.states));
    if (f.held !== undefined) (where.push(f.held ? 'r.due_at = ?' : 'r.due_at <> ?'), params.push(HELD_UNTIL));
    return { where: where.join(' AND '), params };
  }

  attempts(recipientId: number): AttemptRow[] {
    return this.db.prepare('SELECT a.*, j.user_id FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE a.recipient_id = ? ORDER BY a.id').all(recipientId) as AttemptRow[];
  }

  attempt(id: number): AttemptRow | undefined {
    return stmt(this.db, 'SELECT a.*, j.user_id FROM attempts a JOIN jobs j ON j.id = a.job_id JOIN recipients r ON r.id = a.recipient_id WHERE a.id = ? AND r.hidden IS NULL').get(id) as AttemptRow | undefined;
  }

  results(attemptId: number): ResultRow[] {
    return stmt(this.db, 'SELECT id, attempt_id, kind, value, data, created_at FROM results WHERE attempt_id = ? ORDER BY id').all(attemptId) as ResultRow[];
  }

  /** Held → due at `dueAt[i]` (values, not a function: the call crosses threads). How many were held. */
  release(ids: number[], dueAt: readonly number[]): number {
    // An id given twice goes by its first due time, as when each was its own UPDATE (UPDATE … FROM
    // would pick one of them arbitrarily).
    const seen = new Set<number>();
    const first = ids.flatMap((id, i) => (seen.has(id) ? [] : (seen.add(id), [i])));
    const st = stmt(this.db, RELEASE);
    return this.db.transaction(() => {
      let n = 0;
      for (const rows of jsonRows(first, (i) => [ids[i], dueAt[i]])) n += st.run(rows).changes;
      return n;
    })();
  }

  /** Queued (not yet leased) → held again; what is in flight finishes. */
  hold(jobId: number): number {
    return stmt(this.db, `UPDATE recipients SET due_at = ${HELD_UNTIL}, reason = 'stopped' WHERE job_id = ? AND state = 'queued'`).run(jobId).changes;
  }

  /** Recipients of a job that are held, in order (a stopped campaign resumes with them). */
  heldOf(jobId: number): number[] {
    return (stmt(this.db, `SELECT id FROM recipients WHERE job_id = ? AND state = 'queued' AND due_at = ${HELD_UNTIL} ORDER BY seq`).all(jobId) as { id: number }[]).map((r) => r.id);
  }

  /**
   * A transmission that failed queued again for a new attempt (ICTCore's retry), with its job's counters
   * put back. Not one that has not finished ('busy'), nor one that ended well or was invalid: ICTCore's
   * Transmission::send() refuses those (core/Transmission.php, 423), checked here in the same
   * transaction as the write.
   */
  requeue(id: number, now: number): 'requeued' | 'busy' | 'completed' | 'invalid' | 'documents_removed' {
    return this.db.transaction(() => {
      const r = stmt(this.db, 'SELECT r.job_id, r.state, j.documents FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?').get(id) as { job_id: number; state: RecipientState; documents: string | null } | undefined;
      if (!r || !isFinal(r.state)) return 'busy';
      if (isSuccess(r.state)) return 'completed';
      if (r.state === 'invalid') return 'invalid';
      // Its fax or recording is gone (its user's maximum_document_retention_hours): nothing to send again.
      if (r.documents === 'removed') return 'documents_removed';
      stmt(this.db, `UPDATE recipients SET state = 'queued', due_at = ?, reason = 'retry requested', final_at = NULL, tries = 0 WHERE id = ?`).run(now, id);
      stmt(this.db, `UPDATE jobs SET remaining = remaining + 1, failed = MAX(0, failed - 1), status = 'submitted', completed_at = NULL WHERE id = ?`).run(r.job_id);
      return 'requeued';
    })();
  }

  /**
   * Delete a transmission that is not being sent (held, or finished): it is hidden from every read,
   * a held one cancelled so that its job can finish. 'busy' when it is queued to go or in flight.
   */
  remove(id: number, now: number): 'removed' | 'busy' | 'missing' {
    return this.db.transaction(() => {
      const r = stmt(this.db, 'SELECT job_id, state, due_at FROM recipients WHERE id = ? AND hidden IS NULL').get(id) as { job_id: number; state: RecipientState; due_at: number } | undefined;
      if (!r) return 'missing';
      const held = r.state === 'queued' && r.due_at === HELD_UNTIL;
      if (!held && !isFinal(r.state)) return 'busy';
      if (held) {
        stmt(this.db, `UPDATE recipients SET state = 'cancelled', reason = 'deleted', final_at = ?, due_at = ${Number.MAX_SAFE_INTEGER}, hidden = 1 WHERE id = ?`).run(now, id);
        stmt(
          this.db,
          `UPDATE jobs SET remaining = remaining - 1, failed = failed + 1,
            status = CASE WHEN status = 'submitted' AND remaining - 1 <= 0 THEN 'complete' ELSE status END,
            completed_at = CASE WHEN completed_at IS NULL AND remaining - 1 <= 0 THEN ? ELSE completed_at END WHERE id = ?`,
        ).run(now, r.job_id);
      } else {
        stmt(this.db, 'UPDATE recipients SET hidden = 1 WHERE id = ?').run(id);
      }
      return 'removed';
    })();
  }

  /**
   * ICTCore's Statistics over what `scope` may see: the seed's totals (campaigns, groups, contacts,
   * transmissions, spools) and the real ICTCore's (Core::statistic: users, accounts, DIDs, inbound and
   * outbound transmissions), narrowed by `f` (ICTCore's filters).
   */
  statistics(scope: Scope, f: StatisticsFilter = {}): Record<string, number> {
    /**
     * `sql` with $WHERE: the scope on `owner`, the user filter on `owner` (or `made`), `since` on `at`;
     * `pre` binds the placeholders before $WHERE.
     */
    const count = (sql: string, owner: string, at: string, { made = owner, pre = [] as unknown[] } = {}) => {
      const scoped = ownerFilter(scope, owner);
      const where = [scoped.sql];
      const params: unknown[] = [...pre, ...scoped.params];
      if (f.userId !== undefined) (where.push(made === owner ? `${owner} = ?` : `(${owner} = ? OR ${made} = ?)`), params.push(...(made === owner ? [f.userId] : [f.userId, f.userId])));
      if (f.since !== undefined) (where.push(`${at} >= ?`), params.push(f.since * 1000));
      return (stmt(this.db, sql.replace('$WHERE', where.join(' AND '))).get(...params) as { n: number }).n;
    };
    // Transmissions and spools of the channels asked for (ICTCore's service_flag), else all.
    const channels = f.channels ? (f.channels.length ? `j.channel IN (${f.channels.map(() => '?').join(', ')})` : '0') : '1';
    const ict = `j.face = 'ictcore' AND r.hidden IS NULL AND ${channels}`;
    const pre = f.channels ?? [];
    const direction = "COALESCE(j.options ->> '$.direction', 'outbound')";
    const recipients = `SELECT COUNT(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE ${ict}`;
    const spools = `SELECT COUNT(*) AS n FROM attempts a JOIN recipients r ON r.id = a.recipient_id JOIN jobs j ON j.id = a.job_id WHERE ${ict}`;
    const accountType = f.accountType === undefined ? '' : ' AND type = ?';
    return {
      campaign_total: count('SELECT COUNT(*) AS n FROM campaigns WHERE $WHERE', 'user_id', 'created_at'),
      campaign_active: count("SELECT COUNT(*) AS n FROM campaigns c JOIN jobs j ON j.id = c.job_id WHERE c.status = 'running' AND j.status = 'submitted' AND $WHERE", 'c.user_id', 'c.created_at'),
      group_total: count('SELECT COUNT(*) AS n FROM contact_groups WHERE $WHERE', 'user_id', 'created_at'),
      contact_total: count('SELECT COUNT(*) AS n FROM contacts WHERE $WHERE', 'user_id', 'created_at'),
      transmission_total: count(`${recipients} AND $WHERE`, 'j.user_id', 'j.created_at', { pre }),
      transmission_active: count(`${recipients} AND r.state IN ('sending', 'submitted') AND $WHERE`, 'j.user_id', 'j.created_at', { pre }),
      spool_total: count(`${spools} AND $WHERE`, 'j.user_id', 'a.queued_at', { pre }),
      spool_success: count(`${spools} AND a.status IN ('delivered', 'sent', 'unknown') AND $WHERE`, 'j.user_id', 'a.queued_at', { pre }),
      spool_failed: count(`${spools} AND a.status NOT IN ('delivered', 'sent', 'unknown', 'sending', 'submitted', 'dialing', 'retrieved', 'deferred') AND $WHERE`, 'j.user_id', 'a.queued_at', { pre }),
      // A user's "maker" is its agent, as ICTCore's created_by.
      user_total: count('SELECT COUNT(*) AS n FROM users WHERE $WHERE', 'id', 'created_at', { made: 'agent_id' }),
      // An account set free stays its maker's.
      account_total: count(`SELECT COUNT(*) AS n FROM accounts WHERE 1${accountType} AND $WHERE`, 'COALESCE(user_id, created_by)', 'created_at', { pre: f.accountType === undefined ? [] : [f.accountType] }),
      did_total: count("SELECT COUNT(*) AS n FROM accounts WHERE type = 'did' AND $WHERE", 'COALESCE(user_id, created_by)', 'created_at'),
      transmission_inbound: count(`${recipients} AND ${direction} = 'inbound' AND $WHERE`, 'j.user_id', 'j.created_at', { pre }),
      transmission_outbound: count(`${recipients} AND ${direction} = 'outbound' AND $WHERE`, 'j.user_id', 'j.created_at', { pre }),
    };
  }
}
