/** What a provider's pacing offers: take a slot now, or say when the next one is free. */
export interface RateLimit {
  take(now: number): boolean;
  nextAt(now: number): number;
}

/**
 * At most `rate` a second, and never more than `burstSeconds` of that in any window of that length —
 * from a cold start or after idling too. (A token bucket allows its burst plus the rate in any window:
 * twice the figure a peer counting per interval, such as FreeSWITCH's sessions-per-second, will take.)
 * Keeps the times of the last `size` sends; time is passed in, never read.
 */
export class SlidingWindow implements RateLimit {
  private readonly sent: number[];
  private readonly windowMs: number;
  private next = 0;

  constructor(rate: number, burstSeconds: number) {
    const size = Math.max(1, Math.round(rate * burstSeconds));
    this.windowMs = (size * 1000) / rate;
    this.sent = new Array<number>(size).fill(-Infinity);
  }

  /** Take a slot if the send `size` ago is a window old. */
  take(now: number): boolean {
    if (this.nextAt(now) > now) return false;
    this.sent[this.next] = now;
    this.next = (this.next + 1) % this.sent.length;
    return true;
  }

  nextAt(now: number): number {
    return Math.max(now, Math.ceil(this.sent[this.next]! + this.windowMs));
  }
}
