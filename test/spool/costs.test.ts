import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { ratesOf, submitCost } from '../../dist/core/costs.js';

// Costs come from the provider's rates (issue 18): per SMS part the peer took, per message; charged once
// the peer took the message, whatever its receipt says; never for one it refused.

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

describe('core/costs', () => {
  it('reads the rates a provider charges, and prices the parts taken to four decimals', () => {
    expect(ratesOf({})).toBeNull();
    expect(ratesOf({ cost_per_part: 0, cost_per_message: 0 })).toBeNull();
    expect(ratesOf({ cost_per_part: -1, cost_per_message: 'x', other: 3 })).toBeNull();
    expect(ratesOf({ cost_per_part: 0.0125 })).toEqual({ perPart: 0.0125, perMessage: 0 });
    expect(submitCost({ perPart: 0.0125, perMessage: 0 }, 3)).toBe(0.0375);
    expect(submitCost({ perPart: 0.0125, perMessage: 0.001 }, null)).toBe(0.0135);
    expect(submitCost({ perPart: 1 / 3, perMessage: 0 }, 1)).toBe(0.3333);
    expect(submitCost(null, 4)).toBeNull();
  });
});

describe('the cost of what a provider took', () => {
  it("is its parts times the provider's rate, on each recipient, the job's total and the v1 report", async () => {
    d = await testDaemon({ sandbox: { enabled: false, accept_ms: [1, 5], receipt_ms: [5, 20] }, providers: [{ name: 'priced', driver: 'sandbox', services: ['sms'], settings: { cost_per_part: 0.05 } }] });
    const u = d.addUser('u', 'user');
    const post = async (message: string, numbers: string[]) => (await d!.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message, recipients: numbers.map((destination) => ({ destination })) } })).json.data as number;
    const complete = (job: number) => () => (d!.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
    // Delivered, rejected at submit, expired after the SMSC took it (the sandbox's test numbers).
    const short = await post('Hello', ['+61491570156', '+61491570003', '+61491570002']);
    // 200 GSM characters: two parts.
    const long = await post('x'.repeat(200), ['+61491570157']);
    await d.waitFor(complete(short), 15_000);
    await d.waitFor(complete(long), 15_000);
    const costs = (job: number) => (d!.db.prepare('SELECT state, parts, cost FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { state: string; parts: number | null; cost: number | null }[]).map((r) => [r.state, r.parts, r.cost]);
    expect(costs(short)).toEqual([
      ['delivered', 1, 0.05],
      ['rejected', null, null],
      ['expired', 1, 0.05],
    ]);
    expect(costs(long)).toEqual([['delivered', 2, 0.1]]);
    const total = (job: number) => (d!.db.prepare('SELECT cost FROM jobs WHERE id = ?').get(job) as { cost: number }).cost;
    expect(total(short)).toBeCloseTo(0.1, 10);
    expect(total(long)).toBeCloseTo(0.1, 10);
    const detail = (await d.api('GET', `/api/v1/jobs/${long}`, { auth: u.auth })).json.data;
    expect(detail.total_amount).toBeCloseTo(0.1, 10);
    expect(JSON.stringify(detail)).toContain('"message_cost":0.1');
  });
});
