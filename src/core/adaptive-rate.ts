/**
 * The rate a peer that throttles (SMPP ESME_RTHROTTLED / ESME_RMSGQFUL) will take, learned from its
 * answers: additive increase while it accepts, multiplicative decrease when it throttles. Sends are
 * paced at the learned rate (GCRA: a theoretical arrival time, a tolerance of `burstSeconds` worth).
 * Time is passed in, never read.
 */
export interface AdaptiveRateOptions {
  /** The configured ceiling a second (the provider's throughput); Infinity when there is none. */
  max: number;
  /** The rate never falls below this a second. */
  min: number;
  /** Factor applied to the rate on a throttle. */
  decrease: number;
  /** Growth a second while no throttle comes, as a share of the rate; it doubles each second without one. */
  increase: number;
  /** Throttles within this long of a decrease answer PDUs sent before it: one signal, one decrease. */
  holdMs: number;
  /** Sends allowed back to back, in seconds of the rate. */
  burstSeconds: number;
}

export const DEFAULT_ADAPTIVE_RATE: Omit<AdaptiveRateOptions, 'max'> = { min: 1, decrease: 0.9, increase: 0.05, holdMs: 200, burstSeconds: 0.1 };

/** Accepted answers are counted in 100 ms slots (the last full second and the current slot), to measure the peer's rate at the first throttle. */
const SLOT_MS = 100;
const SLOTS = 11;

export class AdaptiveRate {
  private rate: number;
  private tat = -Infinity;
  private lastDecrease = -Infinity;
  private lastGrow = -Infinity;
  private readonly slots = new Array<number>(SLOTS).fill(0);
  private slot = 0;
  private firstAccepted = Infinity;
  /** Since the first throttle at full speed: the accepted answers, which measure the peer's rate. */
  private learnFrom = -Infinity;
  private learnAccepted = 0;

  private readonly o: AdaptiveRateOptions;

  constructor(o: AdaptiveRateOptions) {
    // A fractional throughput (0.5/s) is its own floor: the floor never lifts the rate past the ceiling.
    this.o = { ...o, min: Math.min(o.min, o.max) };
    this.rate = o.max;
  }

  /** The rate sends are paced at now (Infinity: unpaced). */
  get current(): number {
    return this.rate;
  }

  /** Take a send slot if the pace allows one now. */
  take(now: number): boolean {
    if (this.rate === Infinity) return true;
    this.clampTat(now);
    const t = Math.max(this.tat, now);
    if (t - now > this.tolerance()) return false;
    this.tat = t + 1000 / this.rate;
    return true;
  }

  /** How many sends `take` would allow now, back to back. */
  available(now: number): number {
    if (this.rate === Infinity) return Infinity;
    this.clampTat(now);
    const ahead = Math.max(this.tat, now) - now;
    const tol = this.tolerance();
    return ahead > tol ? 0 : Math.floor(((tol - ahead) * this.rate) / 1000) + 1;
  }

  /** When `take` will next succeed. */
  nextAt(now: number): number {
    if (this.rate === Infinity) return now;
    this.clampTat(now);
    return Math.max(now, Math.ceil(this.tat - this.tolerance()));
  }

  /** The peer took a PDU. */
  accepted(now: number): void {
    if (this.firstAccepted === Infinity) this.firstAccepted = now;
    this.count(now);
    this.learnAccepted++;
    if (this.rate === Infinity || this.rate >= this.o.max) return;
    // Grow only while sending: an idle link learns nothing about the peer's rate.
    const dt = Math.min(1000, Math.max(0, now - this.lastGrow));
    this.lastGrow = now;
    const sinceDecrease = Math.max(0, now - this.lastDecrease) / 1000;
    const step = this.o.increase * this.rate * 2 ** Math.min(10, Math.floor(sinceDecrease));
    // Never past twice what the peer took over the last second: a quiet link learns nothing about its
    // ceiling, and a rate grown far past it would take many decreases to come back.
    const ceiling = Math.max(this.rate, 2 * this.measured(now));
    this.rate = Math.min(this.o.max, ceiling, this.rate + (step * dt) / 1000);
  }

  /** The peer throttled a PDU. */
  throttled(now: number): void {
    // The peer is full now: no back-to-back credit, the next send waits one interval.
    if (this.rate !== Infinity) this.tat = Math.max(this.tat, now + this.tolerance() + 1000 / this.rate);
    if (now - this.lastDecrease < this.o.holdMs) return;
    let basis = this.rate;
    if (this.rate >= this.o.max) {
      // Unpaced (or at the ceiling) until now, maybe far past the peer's rate: what it accepted over the
      // last second is a first figure (its burst makes it high), and what it accepts from now on, while
      // it still throttles, is its rate.
      basis = this.rate === Infinity ? this.measured(now) || this.o.min : this.rate;
      this.learnFrom = now;
      this.learnAccepted = 0;
    } else if (this.learnFrom > -Infinity) {
      if (this.learnAccepted > 0) basis = Math.min(this.rate, (this.learnAccepted * 1000) / Math.max(1, now - this.learnFrom));
      this.learnFrom = -Infinity;
    }
    // Decrease from no more than twice what the peer took (the most growth reaches): a pace grown far
    // past it would take many decreases to come back. (Not from the measure itself: after a quiet spell
    // it is the old load, not the peer.)
    const took = this.measured(now);
    if (took > 0) basis = Math.min(basis, 2 * took);
    this.rate = Math.max(this.o.min, basis * this.o.decrease);
    this.lastDecrease = now;
    this.lastGrow = now;
    if (this.tat === -Infinity) this.tat = now;
  }

  /** A clock that stepped back leaves `tat` far ahead: no legitimate send puts it past one interval beyond the tolerance. */
  private clampTat(now: number): void {
    const most = now + this.tolerance() + 1000 / this.rate;
    if (this.tat > most) this.tat = most;
  }

  private tolerance(): number {
    return Math.max(1000 / this.rate, this.o.burstSeconds * 1000);
  }

  /** Zero the slots that fell out of the last second. */
  private roll(now: number): number {
    const slot = Math.floor(now / SLOT_MS);
    if (slot !== this.slot) {
      for (let s = this.slot + 1; s <= slot && s <= this.slot + SLOTS; s++) this.slots[s % SLOTS] = 0;
      this.slot = slot;
    }
    return slot % SLOTS;
  }

  private count(now: number): void {
    this.slots[this.roll(now)]!++;
  }

  private measured(now: number): number {
    this.roll(now);
    const span = Math.max(SLOT_MS, Math.min((SLOTS - 1) * SLOT_MS + (now % SLOT_MS), now - this.firstAccepted));
    return (this.slots.reduce((a, b) => a + b, 0) * 1000) / span;
  }
}
