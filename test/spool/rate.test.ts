import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../../dist/spool/rate.js';

/** Take whenever allowed, 1 ms steps from `from` for `ms`; the times taken. */
const drive = (w: SlidingWindow, from: number, ms: number) => {
  const taken: number[] = [];
  for (let t = from; t < from + ms; t++) while (w.take(t)) taken.push(t);
  return taken;
};
const most = (times: number[], windowMs: number) => {
  let m = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    m = Math.max(m, i - j + 1);
  }
  return m;
};

describe('sliding window rate limit', () => {
  it("sends a tenth of a second's throughput in any 100 ms, from cold and after idling, and the throughput each second", () => {
    const w = new SlidingWindow(300, 0.1);
    const cold = drive(w, 0, 2000);
    expect(most(cold, 100)).toBe(30);
    expect(cold.filter((t) => t < 1000).length).toBe(300);
    const afterIdle = drive(w, 60_000, 1000);
    expect(most(afterIdle, 100)).toBe(30);
    expect(afterIdle.length).toBe(300);
  });
  it('says when the next slot frees, and takes a burst of one under 1/burst a second', () => {
    const w = new SlidingWindow(10, 0.1); // one at a time, every 100 ms
    expect(w.take(0)).toBe(true);
    expect(w.take(50)).toBe(false);
    expect(w.nextAt(50)).toBe(100);
    expect(w.take(100)).toBe(true);
    const slow = new SlidingWindow(2, 0.1);
    expect(drive(slow, 0, 3000)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
  });
});
