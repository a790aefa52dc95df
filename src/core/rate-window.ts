/**
 * Counts over a sliding window of whole seconds (the status page's "per minute" rates): one bucket a
 * second, so memory is fixed however fast events come, and a rate is exact to the second.
 */
export class RateWindow {
  private readonly buckets: Float64Array;
  /** The second (epoch s) each bucket holds; a bucket of another second counts as empty. */
  private readonly seconds: Float64Array;

  constructor(readonly windowSeconds = 60) {
    this.buckets = new Float64Array(windowSeconds);
    this.seconds = new Float64Array(windowSeconds).fill(-1);
  }

  add(atMs: number, n = 1): void {
    const s = Math.floor(atMs / 1000);
    const i = s % this.windowSeconds;
    if (this.seconds[i] !== s) {
      this.seconds[i] = s;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += n;
  }

  /** What was added in the window that ends at `nowMs` (the current second included). */
  total(nowMs: number): number {
    const now = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      const s = this.seconds[i]!;
      if (s > now - this.windowSeconds && s <= now) sum += this.buckets[i]!;
    }
    return sum;
  }
}
