import { createHash } from 'node:crypto';
import type { UserStore, UserRow } from '../store/users.js';
import { verifyPassword } from '../core/passwords.js';

/**
 * Basic credentials checked against the users table. scrypt costs ~50 ms by design, so a verified
 * pair is remembered (by its SHA-256) for a short while; a password change clears the memory.
 */
export class BasicAuth {
  private readonly verified = new Map<string, { userId: number; until: number }>();

  constructor(
    private readonly users: UserStore,
    private readonly ttlMs = 60_000,
  ) {}

  /** The user for an Authorization header, or null. */
  check(header: string | undefined): UserRow | null {
    if (!header?.startsWith('Basic ')) return null;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return null;
    const code = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHash('sha256').update(decoded).digest('base64');
    const now = Date.now();
    const hit = this.verified.get(key);
    if (hit && hit.until > now) {
      const u = this.users.byId(hit.userId);
      if (u && u.active) return u;
    }
    const user = this.users.byCode(code);
    if (!user || !user.active || !verifyPassword(password, user.password_hash)) return null;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, { userId: user.id, until: now + this.ttlMs });
    return user;
  }

  forget(): void {
    this.verified.clear();
  }
}
