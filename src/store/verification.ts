import type { StoreDb } from './store-db.js';

export interface CodeRow {
  id: number;
  code_hash: string;
}

/** 2FA codes by user and client_ref, and the failed attempts that limit guessing. */
export class VerificationStore {
  private readonly s;

  constructor(db: StoreDb) {
    this.s = {
      insert: db.prepare('INSERT INTO verification_codes (user_id, client_ref, code_hash, channel, destination, job_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      usable: db.prepare('SELECT id, code_hash FROM verification_codes WHERE user_id = ? AND client_ref = ? AND sent_at >= ? AND used_at IS NULL ORDER BY id DESC LIMIT 50'),
      use: db.prepare('UPDATE verification_codes SET used_at = ? WHERE id = ? AND used_at IS NULL'),
      fail: db.prepare('INSERT INTO verification_failures (user_id, client_ref, at) VALUES (?, ?, ?)'),
      failures: db.prepare('SELECT COUNT(*) AS n FROM verification_failures WHERE user_id = ? AND client_ref = ? AND at >= ?'),
      purge: db.prepare('DELETE FROM verification_failures WHERE at < ?'),
    };
  }

  add(userId: number, clientRef: string, codeHash: string, channel: string, destination: string, jobId: number | null, now: number): void {
    this.s.insert.run(userId, clientRef, codeHash, channel, destination, jobId, now);
  }

  /** Unused codes sent since `since`, newest first. */
  usable(userId: number, clientRef: string, since: number): CodeRow[] {
    return this.s.usable.all(userId, clientRef, since) as CodeRow[];
  }

  /** Mark a code used; false if it was used meanwhile. */
  use(id: number, now: number): boolean {
    return this.s.use.run(now, id).changes === 1;
  }

  failure(userId: number, clientRef: string, now: number): void {
    this.s.fail.run(userId, clientRef, now);
  }

  failuresSince(userId: number, clientRef: string, since: number): number {
    this.s.purge.run(since - 86_400_000);
    return (this.s.failures.get(userId, clientRef, since) as { n: number }).n;
  }
}
