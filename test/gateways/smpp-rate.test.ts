import { afterEach, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../helpers/daemon.js';
import type { TestSmsc } from '../peers/smsc.js';
import { jobComplete as complete, postSms as post, smppDaemon, waitUp } from '../helpers/smpp-daemon.js';

// Apart from smpp.test.ts: a rate learnt over a few seconds, run alone (vitest.config.ts), so that
// another file's load is not what it measures.
let d: TestDaemon | undefined;
let smsc: TestSmsc | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
  await smsc?.close();
  smsc = undefined;
});

async function start(settings: Record<string, unknown>, smscOpts: Record<string, unknown>) {
  const made = await smppDaemon(undefined, settings, smscOpts);
  ({ d, smsc } = made);
  await waitUp(made.d);
  return made;
}

describe('SMPP pacing', () => {
  it('learns the rate of an SMSC that takes 400 submit_sm/s: well above the old fixed pause, few answered throttled, no PDU resent past the cap', async () => {
    const { d, smsc, u } = await start({ window: 10, binds: 2 }, { rateLimit: { perSecond: 400 } });
    const n = 2400;
    const job = await post(d, u.auth, { message: 'paced', recipients: Array.from({ length: n }, (_, i) => ({ destination: `+614915${String(70000 + i).padStart(5, '0')}` })) });
    await d.waitFor(complete(d, job), 40_000);
    expect(d.db.prepare("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'delivered'").get(job)).toEqual({ n });
    const taken = smsc.submits.filter((s) => !s.throttled);
    expect(taken).toHaveLength(n);
    const rate = (n - 1) / ((taken.at(-1)!.at - taken[0]!.at) / 1000);
    // Once learned (after the first second): the pace it keeps.
    const learned = taken.filter((s) => s.at >= taken[0]!.at + 1000);
    const steady = (learned.length - 1) / ((learned.at(-1)!.at - learned[0]!.at) / 1000);
    const share = smsc.throttled / smsc.submits.length;
    const per = new Map<string, number>();
    for (const s of smsc.submits) per.set(s.destination_addr, (per.get(s.destination_addr) ?? 0) + 1);
    console.log(`SMSC at 400/s: delivered ${rate.toFixed(0)}/s (${steady.toFixed(0)}/s after the first second), ${(share * 100).toFixed(1)}% of ${smsc.submits.length} submits throttled, one PDU sent at most ${Math.max(...per.values())} times`);
    // Loose bounds that a loaded machine still meets and the old fixed pause (~190/s, one PDU sent 76
    // times) does not; the figures themselves (>= 360/s, <= 5%) are bench/smpp-throttle.js's.
    expect(steady).toBeGreaterThan(250);
    expect(share).toBeLessThanOrEqual(0.2);
    expect(Math.max(...per.values())).toBeLessThanOrEqual(1 + 10);
  });
});
