import { describe, expect, it } from 'vitest';
import { AdaptiveRate, DEFAULT_ADAPTIVE_RATE } from '../../dist/core/adaptive-rate.js';

/**
 * A sender with `window` PDUs outstanding, answers after `rttMs`, against a peer that takes `peerRate`
 * a second (a token bucket holding a tenth of a second) and throttles the rest; 1 ms steps.
 */
function simulate(r: AdaptiveRate, peerRate: number, ms: number, { window = 20, rttMs = 2, start = 1_000_000, load = Infinity } = {}) {
  let tokens = peerRate / 10;
  // The offered load: messages waiting to be sent (unbounded when Infinity).
  let offered = 0;
  let accepted = 0;
  let throttled = 0;
  const answers: { at: number }[] = [];
  for (let now = start; now < start + ms; now++) {
    tokens = Math.min(peerRate / 10, tokens + peerRate / 1000);
    while (answers.length && answers[0]!.at <= now) answers.shift();
    offered = Math.min(load, offered + load / 1000);
    while (answers.length < window && offered >= 1 && r.take(now)) {
      offered--;
      if (tokens >= 1) {
        tokens--;
        accepted++;
        r.accepted(now + rttMs);
      } else {
        throttled++;
        r.throttled(now + rttMs);
      }
      answers.push({ at: now + rttMs });
    }
  }
  return { accepted, throttled, perSecond: (accepted * 1000) / ms, share: throttled / (accepted + throttled) };
}

describe('adaptive rate (AIMD)', () => {
  it("learns a peer's 400/s from unpaced: >= 90% of it with <= 5% throttled", () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: Infinity });
    simulate(r, 400, 5000); // learning
    const steady = simulate(r, 400, 20_000, { start: 1_005_000 });
    expect(steady.perSecond).toBeGreaterThanOrEqual(360);
    expect(steady.share).toBeLessThanOrEqual(0.05);
    expect(r.current).toBeGreaterThan(300);
    expect(r.current).toBeLessThan(500);
  });

  it('learns it as fast under a configured ceiling far above it', () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: 14_000 });
    const first = simulate(r, 400, 3000);
    const steady = simulate(r, 400, 20_000, { start: 1_003_000 });
    expect(first.throttled).toBeLessThan(100);
    expect(steady.perSecond).toBeGreaterThanOrEqual(360);
    expect(steady.share).toBeLessThanOrEqual(0.05);
  });

  it('decreases once per burst of throttles, multiplicatively, never below the floor', () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: 1000 });
    expect(r.current).toBe(1000);
    r.throttled(0);
    r.throttled(50); // answers to PDUs already sent: the same signal
    expect(r.current).toBe(900);
    r.throttled(300);
    expect(r.current).toBe(810);
    for (let t = 600; t < 100_000; t += 300) r.throttled(t);
    expect(r.current).toBe(1);
  });

  it('grows back while accepted, faster the longer no throttle comes, up to the configured ceiling', () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: 500 });
    r.throttled(0);
    expect(r.current).toBe(450);
    for (let t = 1; t <= 1000; t++) r.accepted(t);
    const after1 = r.current;
    expect(after1).toBeCloseTo(450 * 1.05, -1); // +5% in the first second
    for (let t = 1001; t <= 2000; t++) r.accepted(t);
    expect(r.current - after1).toBeGreaterThan(after1 - 450); // faster in the second
    for (let t = 2001; t <= 10_000; t++) r.accepted(t);
    expect(r.current).toBe(500);
  });

  it('paces at the rate with a tenth of a second back to back; unpaced while it has learned nothing', () => {
    const free = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: Infinity });
    for (let i = 0; i < 10_000; i++) expect(free.take(0)).toBe(true);
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: 100 });
    let n = 0;
    while (r.take(0)) n++;
    expect(n).toBe(11); // 100 ms of credit at 10 ms each, and the one now
    expect(r.nextAt(0)).toBe(10);
    let sent = 0;
    for (let t = 1; t <= 1000; t++) while (r.take(t)) sent++;
    expect(sent).toBe(100);
  });

  it('takes the accepted rate of the last second as its first estimate', () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: Infinity });
    for (let t = 0; t < 2000; t += 5) r.accepted(t); // 200/s
    r.throttled(2000);
    expect(r.current).toBeCloseTo(200 * 0.9, -1);
  });

  it('grows no further than twice what the peer accepts, so a long quiet spell does not leave the link unpaced', () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: Infinity });
    simulate(r, 400, 5000); // learns 400/s
    const quiet = simulate(r, 400, 60_000, { start: 1_005_000, load: 50 });
    expect(quiet.throttled).toBe(0);
    expect(r.current).toBeLessThanOrEqual(2 * 400); // what it took at most, twice
    // Full load again: the first seconds stay paced near the peer's rate.
    const busy = simulate(r, 400, 3000, { start: 1_065_000 });
    expect(busy.share).toBeLessThanOrEqual(0.05);
    expect(busy.perSecond).toBeGreaterThan(150); // and it does not collapse
  });

  it('a decrease starts from what the peer accepted, not from a rate grown past it', () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: 1000 });
    r.throttled(0); // 900
    for (let t = 1; t <= 3000; t += 10) r.accepted(t); // 100/s accepted
    r.throttled(3001);
    expect(r.current).toBeLessThanOrEqual(2 * 100 * 0.9 * 1.1);
  });

  it('keeps a fractional throughput, and a clock stepping back does not stall it', () => {
    const r = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: 0.5 });
    r.throttled(0);
    expect(r.current).toBeLessThanOrEqual(0.5);
    const c = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: 10 });
    const t0 = 10_000_000;
    while (c.take(t0));
    const back = t0 - 3_600_000; // the wall clock stepped back an hour
    expect(c.nextAt(back) - back).toBeLessThanOrEqual(200);
    let sent = 0;
    for (let t = back; t < back + 1000; t++) while (c.take(t)) sent++;
    expect(sent).toBeGreaterThanOrEqual(9);
  });
});
