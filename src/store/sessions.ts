import { createHash, randomBytes } from 'node:crypto';
import type { StoreDb } from './store-db.js';

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Login sessions: a random token given once, its SHA-256 kept, sliding expiry. */
export class SessionStore {
  private readonly s;

  constructor(db: StoreDb) {
    this.s = {
      insert: db.prepare('INSERT INTO sessions (token_hash, user_id, face, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT user_id FROM sessions WHERE token_hash = ? AND face = ? AND expires_at > ?'),
      touch: db.prepare('UPDATE sessions SET expires_at = ? WHERE token_hash = ?'),
      remove: db.prepare('DELETE FROM sessions WHERE token_hash = ? AND face = ?'),
      purge: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    };
  }

  open(userId: number, face: string, ttlMs: number, now: number): string {
    this.s.purge.run(now);
    const token = randomBytes(32).toString('base64url');
    this.s.insert.run(digest(token), userId, face, now, now + ttlMs);
    return token;
  }

  /** The session's user, extending it by `ttlMs`; null when unknown or expired. */
  user(token: string, face: string, ttlMs: number, now: number): number | null {
    const h = digest(token);
    const row = this.s.get.get(h, face, now) as { user_id: number } | undefined;
    if (!row) return null;
    this.s.touch.run(now + ttlMs, h);
    return row.user_id;
  }

  close(token: string, face: string): boolean {
    return this.s.remove.run(digest(token), face).changes === 1;
  }
}
