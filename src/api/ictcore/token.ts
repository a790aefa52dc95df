import { createSigner, createVerifier } from 'fast-jwt';
import type { UserRow, UserStore } from '../../store/users.js';
import type { Remote } from '../../store/remote.js';
import { passwordVersion } from '../../core/passwords.js';

/** HS256 tokens for the ICTCore face: subject = user id, checked for signature, expiry, user and password. */
export class Tokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => Record<string, unknown>;

  constructor(
    key: Buffer,
    private readonly users: Remote<UserStore>,
    readonly ttlMs: number,
  ) {
    this.sign = createSigner({ key, algorithm: 'HS256', expiresIn: ttlMs, iss: 'switchpost' });
    // Only HS256 is accepted (no "none", no algorithm switching); verified tokens are cached.
    this.verify = createVerifier({ key, algorithms: ['HS256'], allowedIss: 'switchpost', cache: 10_000 });
  }

  /**
   * A token for the user. It carries a digest of the password hash, so a password change ends the user's
   * tokens; and the claims ICTCore's own token has, which its client reads (User::generate_token):
   * user_id, username, is_admin ("1" or "0"), api-version.
   */
  issue(user: UserRow, isAdmin: boolean): string {
    return this.sign({ sub: String(user.id), pwv: passwordVersion(user.password_hash), user_id: user.id, username: user.user_code, is_admin: isAdmin ? '1' : '0', 'api-version': '1.0' });
  }

  /** The active user a token names, or null (bad signature, expired, user gone or disabled, password changed). */
  async user(token: string): Promise<UserRow | null> {
    let claims: Record<string, unknown>;
    try {
      claims = this.verify(token);
    } catch {
      return null;
    }
    const user = await this.users.byId(Number(claims.sub));
    if (!user || !user.active || claims.pwv !== passwordVersion(user.password_hash)) return null;
    return user;
  }
}
