import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import ipaddr from 'ipaddr.js';
import type { UserRow, UserStore } from '../store/users.js';
import type { Remote } from '../store/remote.js';
import type { Clock } from '../core/clock.js';
import { LoginLimiter, type LoginLimits } from '../core/login-limits.js';
import { DUMMY_HASH } from '../core/passwords.js';
import { HashPool, HashPoolError, type HashCounts } from './hash-pool.js';

/** What a login comes to; every face answers `limited` as a 429 with Retry-After in its own format. */
export type LoginOutcome = { kind: 'ok'; user: UserRow } | { kind: 'refused' } | { kind: 'limited'; retryAfterS: number; why: 'failures' | 'busy' };

export interface LoginSettings extends LoginLimits {
  /** Password hashes verified at once (each in its own worker thread); 0: one less than the cores, at most 2. */
  hashConcurrency: number;
  /** Logins waiting for a hash beyond which a login is answered `busy` at once, rather than queued. */
  maxQueued: number;
}

export const REFUSED: LoginOutcome = { kind: 'refused' };

/**
 * The source an address is counted as: an IPv4 address (also when IPv4-mapped), or an IPv6 address's
 * /64 — one host commonly holds a whole /64, and would otherwise have endless fresh addresses.
 */
export function sourceOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const a = ipaddr.process(address);
  if (a.kind() === 'ipv4') return a.toString();
  return `${(a as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}

/** The 429's words, lower-case first: each face writes them into its own envelope. */
export const limitedMessage = (o: { retryAfterS: number; why: 'failures' | 'busy' }): string =>
  o.why === 'busy' ? `too many logins at once; retry in ${o.retryAfterS} s` : `too many failed logins for this user or from this address; retry in ${o.retryAfterS} s`;

/** The same words as a sentence, for the faces whose messages start with a capital. */
export const limitedSentence = (o: { retryAfterS: number; why: 'failures' | 'busy' }): string => {
  const words = limitedMessage(o);
  return words[0]!.toUpperCase() + words.slice(1);
};

/** Password changes one user may have hashed at once (a client creating users in parallel needs a few). */
export const MAX_CHANGES_PER_USER = 4;

/** Unknown user names are keys in the limiter's tables: long ones are kept as a digest, not as sent. */
const MAX_NAME_KEY = 64;
export const nameKey = (name: string): string => {
  const n = name.toLowerCase();
  // Hex: the limiter compares keys without case.
  return n.length <= MAX_NAME_KEY ? n : `\u0002${createHash('sha256').update(n).digest('hex').slice(0, 40)}`;
};

/**
 * The one place a user name and password are checked, for every face: failures are limited (see
 * LoginLimiter), an unknown or disabled user is verified against a dummy hash so it costs what a
 * known one does, and hashes run in a few low-priority worker threads, so a flood of wrong passwords
 * queues here instead of starving the event loop.
 */
export class Logins {
  private readonly limiter: LoginLimiter;
  private readonly hashes: HashPool;
  /** Password changes being hashed now, per user: a few each, so no user can fill the workers. */
  private readonly changing = new Map<number, number>();

  constructor(
    private readonly users: Remote<UserStore>,
    private readonly settings: LoginSettings,
    private readonly clock: Clock,
    log: Logger | null = null,
  ) {
    this.limiter = new LoginLimiter(settings);
    this.hashes = new HashPool(settings.hashConcurrency || Math.max(1, Math.min(2, availableParallelism() - 1)), settings.maxQueued, log);
  }

  /** Hashes done so far, and where (see HashCounts). */
  get hashCounts(): Readonly<HashCounts> {
    return this.hashes.counts;
  }

  /** Check `name` (a user code, unless `find` reads it otherwise) and `password` from `address`. */
  async login(name: string, password: string, from: string, find: (name: string) => UserRow | undefined | Promise<UserRow | undefined> = (n) => this.users.byCode(n)): Promise<LoginOutcome> {
    const found = await find(name);
    const address = sourceOf(from);
    // A known user is counted by id (ICTCore takes an id or a code for the same user); others by name.
    const key = found ? `\u0001${found.id}` : nameKey(name);
    const wait = this.limiter.wait(key, address, this.clock.now());
    if (wait > 0) return { kind: 'limited', retryAfterS: Math.ceil(wait / 1000), why: 'failures' };
    const usable = found && found.active ? found : null;
    const check = this.hashes.verify(password, usable?.password_hash ?? DUMMY_HASH);
    if (!check) return { kind: 'limited', retryAfterS: 1, why: 'busy' };
    // Counted as a failure while it is checked: parallel guesses see each other at `wait` above.
    this.limiter.start(key, address);
    let ok: boolean | null = null;
    try {
      ok = await check;
    } finally {
      this.limiter.finish(key, address, this.clock.now(), ok);
    }
    // The row was read before the hash: a password change or deactivation committed meanwhile wins.
    const now = usable ? await this.users.byId(usable.id) : undefined;
    if (!ok || !usable || !now || !now.active || now.password_hash !== usable.password_hash) return REFUSED;
    return { kind: 'ok', user: now };
  }

  /**
   * A new password's stored form, made in a password worker (not on the event loop), for a change
   * `by` a logged-in user. At most MAX_CHANGES_PER_USER at a time per user: more are a HashPoolError `busy`.
   */
  async hash(password: string, by: number): Promise<string> {
    const n = this.changing.get(by) ?? 0;
    if (n >= MAX_CHANGES_PER_USER) throw new HashPoolError('busy', 'too many password changes of yours at once; retry in 1 s');
    this.changing.set(by, n + 1);
    try {
      return await this.hashes.hash(password);
    } finally {
      const left = (this.changing.get(by) ?? 1) - 1;
      if (left > 0) this.changing.set(by, left);
      else this.changing.delete(by);
    }
  }

  /** Stop the password workers (at daemon stop). */
  close(): Promise<void> {
    return this.hashes.close();
  }
}
