/** How many failed logins are allowed, and for how long a failure counts. */
export interface LoginLimits {
  windowMs: number;
  /** Failures of one user name from one address. */
  perUserAddress: number;
  /** Failures from one address, whatever the user names (password spraying). */
  perAddress: number;
  /**
   * Failures of one user name from any address. Over it, only the addresses that have failed for this
   * user wait; an address with no failure for it may still try, so the user's own clients elsewhere are
   * not locked out by an attacker (a new address that then fails waits too).
   */
  perUser: number;
}

/** Failures counted from the first one until `until` (a fixed window: Retry-After is exact). */
interface Count {
  n: number;
  until: number;
}

/** At most this many keys per table: a flood of new addresses or names cannot grow memory without bound. */
const MAX_KEYS = 100_000;

class Counts {
  private readonly m = new Map<string, Count>();

  get(key: string, now: number): Count | null {
    const c = this.m.get(key);
    if (!c) return null;
    if (c.until > now) return c;
    this.m.delete(key);
    return null;
  }

  add(key: string, now: number, windowMs: number): void {
    const c = this.get(key, now);
    if (c) return void c.n++;
    if (this.m.size >= MAX_KEYS) this.evict(now);
    this.m.set(key, { n: 1, until: now + windowMs });
  }

  delete(key: string): void {
    this.m.delete(key);
  }

  /** Drop expired keys; if still full, the oldest (a Map keeps insertion order). */
  private evict(now: number): void {
    for (const [k, c] of this.m) if (c.until <= now) this.m.delete(k);
    for (const k of this.m.keys()) {
      if (this.m.size < MAX_KEYS * 0.9) break;
      this.m.delete(k);
    }
  }
}

/** Attempts whose password is being checked now, per key: they count as failures until they end. */
class InFlight {
  private readonly m = new Map<string, number>();

  of(key: string): number {
    return this.m.get(key) ?? 0;
  }

  add(key: string): void {
    this.m.set(key, this.of(key) + 1);
  }

  remove(key: string): void {
    const n = this.of(key) - 1;
    if (n > 0) this.m.set(key, n);
    else this.m.delete(key);
  }
}

/** When an attempt checked now may end: a limit reached by attempts in flight alone is retried this soon. */
const IN_FLIGHT_RETRY_MS = 1000;

/**
 * Failed logins per (user, address), per address and per user. Pure bookkeeping: the caller asks
 * `wait` before verifying a password, `start`s the attempt and `finish`es it with the outcome. An
 * attempt in flight counts as a failure already, so a burst of parallel guesses cannot all pass `wait`
 * before the first of them is known to fail. User names are compared without case.
 */
export class LoginLimiter {
  private readonly pairs = new Counts();
  private readonly addresses = new Counts();
  private readonly users = new Counts();
  private readonly pending = { pairs: new InFlight(), addresses: new InFlight(), users: new InFlight() };

  constructor(private readonly limits: LoginLimits) {}

  /** Milliseconds before `user` may try from `address` again; 0 when it may try now. */
  wait(user: string, address: string, now: number): number {
    const u = user.toLowerCase();
    const pk = pairKey(u, address);
    const a = this.addresses.get(address, now);
    const p = this.pairs.get(pk, now);
    const byUser = this.users.get(u, now);
    const pairN = (p?.n ?? 0) + this.pending.pairs.of(pk);
    const userN = (byUser?.n ?? 0) + this.pending.users.of(u);
    // Over a limit: wait for its window, or briefly when only attempts in flight make up the count.
    const over = (c: Count | null) => (c ? c.until : now + IN_FLIGHT_RETRY_MS);
    let until = 0;
    if ((a?.n ?? 0) + this.pending.addresses.of(address) >= this.limits.perAddress) until = Math.max(until, over(a));
    if (pairN >= this.limits.perUserAddress) until = Math.max(until, over(p));
    if (pairN > 0 && userN >= this.limits.perUser) until = Math.max(until, over(byUser));
    return until > now ? until - now : 0;
  }

  /** An attempt whose password is checked now (after `wait` said 0); `finish` it with its outcome. */
  start(user: string, address: string): void {
    const u = user.toLowerCase();
    this.pending.pairs.add(pairKey(u, address));
    this.pending.addresses.add(address);
    this.pending.users.add(u);
  }

  /** A `start`ed attempt ended: a failure counts on; `ok` resets its pair; `null` (not checked) counts nothing. */
  finish(user: string, address: string, now: number, ok: boolean | null): void {
    const u = user.toLowerCase();
    this.pending.pairs.remove(pairKey(u, address));
    this.pending.addresses.remove(address);
    this.pending.users.remove(u);
    if (ok === true) this.succeeded(u, address);
    else if (ok === false) this.failed(u, address, now);
  }

  failed(user: string, address: string, now: number): void {
    const u = user.toLowerCase();
    this.pairs.add(pairKey(u, address), now, this.limits.windowMs);
    this.addresses.add(address, now, this.limits.windowMs);
    this.users.add(u, now, this.limits.windowMs);
  }

  /**
   * The right password from this address: its pair starts afresh. The address and user counts stay,
   * so a client with an account of its own cannot reset its address between guesses at others.
   */
  succeeded(user: string, address: string): void {
    this.pairs.delete(pairKey(user.toLowerCase(), address));
  }
}

const pairKey = (user: string, address: string): string => `${address}\u0000${user}`;
