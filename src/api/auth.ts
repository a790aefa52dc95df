import { createHash } from 'node:crypto';
import type { UserStore } from '../store/users.js';
import type { Remote } from '../store/remote.js';
import { REFUSED, type LoginOutcome, type Logins } from './login-limiter.js';

/**
 * Basic credentials checked against the users table (through Logins: limited, never on the event
 * loop). scrypt costs ~50 ms by design, so a verified pair is remembered (by its SHA-256) for a short
 * while with the password hash it matched: any change of the password, the name or the state — by any
 * face, or by the CLI in another process — ends the memory at the next request.
 */
export class BasicAuth {
  private readonly verified = new Map<string, { userId: number; hash: string; until: number }>();
  /** Identical checks in flight (a client's parallel first requests) share one hash. */
  private readonly pending = new Map<string, Promise<LoginOutcome>>();

  constructor(
    private readonly users: Remote<UserStore>,
    private readonly logins: Logins,
    private readonly ttlMs = 60_000,
    private readonly onForget: () => void = () => {},
  ) {}

  /** The login an Authorization header comes to, from `address`. */
  async check(header: string | undefined, address: string): Promise<LoginOutcome> {
    // The scheme's name is case-insensitive (RFC 9110 §11.1): "basic" is Basic.
    const m = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return REFUSED;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return REFUSED;
    const code = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHash('sha256').update(decoded).digest('base64');
    const hit = this.verified.get(key);
    if (hit && hit.until > Date.now()) {
      const u = await this.users.byId(hit.userId);
      if (u && u.active && u.password_hash === hit.hash && u.user_code.toLowerCase() === code.toLowerCase()) return { kind: 'ok', user: u };
      this.verified.delete(key);
    }
    const once = `${key}\u0000${address}`;
    let p = this.pending.get(once);
    if (!p) {
      p = this.logins.login(code, password, address).finally(() => this.pending.delete(once));
      this.pending.set(once, p);
    }
    const outcome = await p;
    if (outcome.kind === 'ok') {
      if (this.verified.size > 10_000) this.verified.clear();
      this.verified.set(key, { userId: outcome.user.id, hash: outcome.user.password_hash, until: Date.now() + this.ttlMs });
    }
    return outcome;
  }

  /**
   * A user's credentials changed in this process: tell who else holds logins (the live stream). The
   * remembered logins need no clearing: each hit is compared with the stored row (see `check`).
   */
  forget(): void {
    this.onForget();
  }
}
