import { createHash } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { UserRow, UserStore } from '../../store/users.js';

/** A digest of the password hash: a token carries it, so a password change ends the user's tokens. */
const passwordVersion = (u: UserRow): string => createHash('sha256').update(u.password_hash).digest('base64url').slice(0, 12);

/** HS256 tokens for the ICTCore face: subject = user id, checked for signature, expiry, user and password. */
export class Tokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => Record<string, unknown>;

  constructor(
    key: Buffer,
    private readonly users: UserStore,
    readonly ttlMs: number,
  ) {
    this.sign = createSigner({ key, algorithm: 'HS256', expiresIn: ttlMs, iss: 'switchpost' });
    // Only HS256 is accepted (no "none", no algorithm switching); verified tokens are cached.
    this.verify = createVerifier({ key, algorithms: ['HS256'], allowedIss: 'switchpost', cache: 10_000 });
  }

  issue(user: UserRow): string {
    return this.sign({ sub: String(user.id), pwv: passwordVersion(user) });
  }

  /** The active user a token names, or null (bad signature, expired, user gone or disabled, password changed). */
  user(token: string): UserRow | null {
    let claims: Record<string, unknown>;
    try {
      claims = this.verify(token);
    } catch {
      return null;
    }
    const user = this.users.byId(Number(claims.sub));
    if (!user || !user.active || claims.pwv !== passwordVersion(user)) return null;
    return user;
  }
}
