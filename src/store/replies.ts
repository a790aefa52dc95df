import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import { numberForms, replyMatcher, REPLY_WINDOW_MAX_HOURS } from '../core/reply-match.js';

/**
 * How far back a reply is matched: the longest reply window a job can have (the v1 API's `expires`),
 * measured from when the message was sent. A job sent earlier has closed its window, so only a late
 * reply (recorded, not forwarded) is lost beyond it; no amount of other traffic to the number pushes
 * an open 2-way job out of it.
 */
const LOOKBACK_MS = REPLY_WINDOW_MAX_HOURS * 3_600_000;

/**
 * A bound on the cost of one reply (a late reply, or one that matches nothing, reads them all): the newest
 * this many 2-way messages of the reply's scope in that time. One-way traffic never counts towards it,
 * and through a reseller's provider nor does other tenants' 2-way traffic.
 */
const MAX_CANDIDATES = 1000;

/** A reply to a job as its reply e-mails list it: the message, and the recipient it answers. */
export interface JobReply {
  from: string;
  to: string | null;
  text: string | null;
  at: number;
  name: string | null;
  reference: string | null;
  destination: string | null;
}

/** Inbound messages, reply matching and the opt-out list. */
export class ReplyStore {
  private readonly s;
  /** `country` reads a reply's national `from` (attempts hold E.164) when its owner's country is not known. */
  constructor(
    private readonly db: StoreDb,
    private readonly country = 'AU',
  ) {
    this.s = {
      insertInbound: db.prepare(`INSERT INTO inbound (provider_id, user_id, channel, sender, receiver, body, job_id, recipient_id, received_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // The newest 2-way attempts to this number sent since @since, of the scope's jobs. Only 2-way
      // attempts are in attempts_two_way, in the order they were sent: it is read backwards.
      replyCandidates: db.prepare(
        `SELECT a.recipient_id, a.job_id, a.provider_id, j.sender, j.reply_until, u.country
         FROM attempts a JOIN jobs j ON j.id = a.job_id JOIN users u ON u.id = j.user_id
         WHERE a.destination = @to AND a.two_way = 1 AND a.queued_at >= @since
           AND (@user IS NULL OR j.user_id = @user OR (@users = 1 AND u.agent_id = @user))
         ORDER BY a.queued_at DESC, a.id DESC LIMIT ${MAX_CANDIDATES}`,
      ),
      // A provider an agent (or user) made: its owner, unless that is an administrator. A missing owner still scopes.
      providerOwner: db.prepare(`SELECT p.owner_user_id AS owner, u.role, u.country FROM providers p LEFT JOIN users u ON u.id = p.owner_user_id WHERE p.id = ?`),
      userCountry: db.prepare(`SELECT country FROM users WHERE id = ?`),
      isOptedOut: db.prepare(`SELECT 1 FROM opt_outs WHERE user_id = ? AND address = ?`),
      optOut: db.prepare(`INSERT OR IGNORE INTO opt_outs (user_id, address, source, created_at) VALUES (?, ?, ?, ?)`),
      optOuts: db.prepare(`SELECT address FROM opt_outs WHERE user_id = ? ORDER BY created_at`),
    };
  }

  insertInbound(m: { providerId: number | null; userId: number | null; channel: string; from: string; to: string | null; text: string; jobId: number | null; recipientId: number | null; at: number; data?: unknown }): number {
    return Number(this.s.insertInbound.run(m.providerId, m.userId, m.channel, m.from, m.to, m.text, m.jobId, m.recipientId, m.at, m.data === undefined ? null : JSON.stringify(m.data)).lastInsertRowid);
  }

  /** A job's replies received by `until`, in the order they came, at most `limit` of them. */
  repliesOf(jobId: number, until: number, limit: number): JobReply[] {
    return stmt(
      this.db,
      `SELECT i.sender AS "from", i.receiver AS "to", i.body AS text, i.received_at AS at, r.name, r.reference, r.destination
       FROM inbound i LEFT JOIN recipients r ON r.id = i.recipient_id WHERE i.job_id = ? AND i.received_at <= ? ORDER BY i.id LIMIT ?`,
    ).all(jobId, until, limit) as JobReply[];
  }

  /** How many replies a job has received by `until`. */
  replyCount(jobId: number, until: number): number {
    return (stmt(this.db, 'SELECT COUNT(*) AS n FROM inbound WHERE job_id = ? AND received_at <= ?').get(jobId, until) as { n: number }).n;
  }

  /**
   * Whose an inbound message is, and so whose jobs it may answer: the injecting user's alone; through a
   * provider that a non-administrator made, its owner's and its users' (a reseller's SMSC must not
   * answer other tenants' jobs); else anyone's (the administrator's providers carry every tenant's traffic).
   */
  scope(m: { providerId: number | null; userId: number | null }): ReplyScope {
    if (m.userId !== null) {
      const u = this.s.userCountry.get(m.userId) as { country: string } | undefined;
      return { owner: m.userId, withUsers: false, country: u?.country ?? this.country };
    }
    const p = m.providerId === null ? undefined : (this.s.providerOwner.get(m.providerId) as { owner: number | null; role: string | null; country: string | null } | undefined);
    if (!p || p.owner === null || p.role === 'admin') return { owner: null, withUsers: false, country: this.country };
    return { owner: p.owner, withUsers: true, country: p.country ?? this.country };
  }

  /**
   * The 2-way job a reply answers: of the jobs that sent to its `from` from the number it went `to`
   * (of its scope's jobs only), the one that sent there last and is still open (its reply window not
   * passed); else the last one, to record a late reply (not forwarded). With it, the number it was
   * sent to in E.164 (as the opt-out list and the dispatcher hold it).
   */
  replyTarget(m: ReplyQuery, scope: ReplyScope = this.scope(m)): ReplyTarget | undefined {
    const fits = replyMatcher(m);
    const params = { user: scope.owner, users: scope.withUsers ? 1 : 0, since: m.at - LOOKBACK_MS };
    // At most one spelling is a number we send to (the others are not valid E.164): the first that matches.
    for (const to of numberForms(m.from, scope.country)) {
      let late: ReplyTarget | undefined;
      for (const r of this.s.replyCandidates.iterate({ ...params, to }) as IterableIterator<Candidate>) {
        if (!fits({ sender: r.sender, providerId: r.provider_id, country: r.country })) continue;
        const target = { recipient_id: r.recipient_id, job_id: r.job_id, destination: to };
        if (r.reply_until === null || m.at < r.reply_until) return target;
        late ??= target;
      }
      if (late) return late;
    }
    return undefined;
  }

  /** Which of `addresses` opted out of `userId`'s messages: one query for a claim's batch. */
  optedOutAmong(userId: number, addresses: readonly string[]): Set<string> {
    if (addresses.length === 0) return new Set();
    const rows = stmt(this.db, 'SELECT address FROM opt_outs WHERE user_id = ? AND address IN (SELECT value FROM json_each(?))').all(userId, JSON.stringify(addresses)) as { address: string }[];
    return new Set(rows.map((r) => r.address));
  }

  isOptedOut(userId: number, address: string): boolean {
    return this.s.isOptedOut.get(userId, address) !== undefined;
  }

  optOut(userId: number, address: string, source: string, now: number): void {
    this.s.optOut.run(userId, address, source, now);
  }

  optOuts(userId: number): string[] {
    return (this.s.optOuts.all(userId) as { address: string }[]).map((r) => r.address);
  }
}

/** Whose jobs a reply may answer: `owner`'s (and, `withUsers`, its users'), or anyone's when null; `country` reads a national `from`. */
export interface ReplyScope {
  owner: number | null;
  withUsers: boolean;
  country: string;
}

/** The recipient a reply answers, its job, and the number it answers from in E.164. */
export interface ReplyTarget {
  recipient_id: number;
  job_id: number;
  destination: string;
}

/** A reply to match: where it came from and went, through which provider, injected by whom, when. */
export interface ReplyQuery {
  from: string;
  to: string | null;
  providerId: number | null;
  /** The user who injected it through a face: it can answer only that user's jobs. */
  userId: number | null;
  at: number;
}

interface Candidate {
  recipient_id: number;
  job_id: number;
  provider_id: number | null;
  sender: string | null;
  reply_until: number | null;
  country: string;
}
