import type { Db } from './db.js';

/** Inbound messages, reply matching and the opt-out list. */
export class ReplyStore {
  private readonly s;
  constructor(db: Db) {
    this.s = {
      insertInbound: db.prepare(
        `INSERT INTO inbound (provider_id, channel, sender, receiver, body, job_id, recipient_id, received_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      // The newest 2-way attempts to this number; expiry decides forwarding, not recording.
      replyTarget: db.prepare(
        `SELECT a.recipient_id, a.job_id, a.sender FROM attempts a JOIN jobs j ON j.id = a.job_id
         WHERE a.destination = ? AND j.channel IN ('sms2way', 'mms') ORDER BY a.id DESC LIMIT 10`,
      ),
      isOptedOut: db.prepare(`SELECT 1 FROM opt_outs WHERE user_id = ? AND address = ?`),
      optOut: db.prepare(`INSERT OR IGNORE INTO opt_outs (user_id, address, source, created_at) VALUES (?, ?, ?, ?)`),
      optOuts: db.prepare(`SELECT address FROM opt_outs WHERE user_id = ? ORDER BY created_at`),
    };
  }

  insertInbound(m: { providerId: number | null; channel: string; from: string; to: string | null; text: string; jobId: number | null; recipientId: number | null; at: number; data?: unknown }): number {
    return Number(this.s.insertInbound.run(m.providerId, m.channel, m.from, m.to, m.text, m.jobId, m.recipientId, m.at, m.data === undefined ? null : JSON.stringify(m.data)).lastInsertRowid);
  }

  /** Match a reply: the number it came from and, when known, the number it was sent to (the job's sender). */
  replyTarget(from: string, to: string | null): { recipient_id: number; job_id: number } | undefined {
    const rows = this.s.replyTarget.all(from) as { recipient_id: number; job_id: number; sender: string | null }[];
    const digits = (s: string | null) => (s ?? '').replace(/\D/g, '');
    return rows.find((r) => to === null || r.sender === null || digits(r.sender) === digits(to)) ?? undefined;
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
