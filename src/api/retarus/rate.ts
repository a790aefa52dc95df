/** Requests per account in a sliding 10-second window; past the limit, how long until one more is allowed. */
export class RequestWindow {
  private readonly seen = new Map<number, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 10_000,
  ) {}

  /** Record a request; 0 when allowed, else the milliseconds to wait. */
  take(account: number, now: number): number {
    const times = (this.seen.get(account) ?? []).filter((t) => now - t < this.windowMs);
    if (times.length >= this.limit) {
      this.seen.set(account, times);
      return times[0]! + this.windowMs - now;
    }
    times.push(now);
    this.seen.set(account, times);
    if (this.seen.size > 10_000) for (const [k, v] of this.seen) if (v.every((t) => now - t >= this.windowMs)) this.seen.delete(k);
    return 0;
  }
}
