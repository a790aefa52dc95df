import { describe, expect, it } from 'vitest';
import { assembleStatus, queuesOf, type StatusInput } from '../../dist/core/status.js';
import { printable, statusText } from '../../dist/core/status-text.js';
import { RateWindow } from '../../dist/core/rate-window.js';
import { Recent } from '../../dist/core/recent.js';
import { protocolBearer } from '../../dist/core/bearer.js';

const base = (over: Partial<StatusInput> = {}): StatusInput => ({
  at: 1_000_000,
  node: 'n1',
  pid: 42,
  startedAt: 940_000,
  providers: [
    { id: 2, name: 'smsc', driver: 'smpp', services: ['sms'], active: true, throughput: 100 },
    { id: 1, name: 'sandbox', driver: 'sandbox', services: ['sms', 'voice'], active: true, throughput: 0 },
    { id: 3, name: 'old', driver: 'kannel', services: ['sms'], active: false, throughput: 0 },
    { id: 4, name: 'broken', driver: 'smpp', services: ['sms'], active: true, throughput: 0 },
  ],
  links: new Map([
    [1, { up: true, liveCalls: null }],
    [2, { up: false, liveCalls: null }],
  ]),
  health: new Map([[2, { up: false, reason: 'connect ECONNREFUSED', at: 990_000 }]]),
  rates: new Map([[1, { attempts: 12, failures: 2, parts: 14 }]]),
  rateWindowSeconds: 60,
  levels: {
    depth: [
      { state: 'queued', channel: 'sms', n: 5 },
      { state: 'submitted', channel: 'sms', n: 3 },
      { state: 'sending', channel: 'fax', n: 1 },
    ],
    oldestQueuedDueAt: 970_000,
    outbox: [{ state: 'failed', n: 4 }],
  },
  jobs: { count: 1, jobs: [{ id: 9, user: 'alice', channel: 'sms', name: 'x', total: 10, done: 4, succeeded: 3, failed: 1, createdAt: 1 }] },
  inFlight: 7,
  channels: ['sms', 'voice'],
  errors: [{ at: 999_000, kind: 'attempt', provider: 'sandbox', jobId: 9, destination: '+61491570001', status: 'undeliverable', message: 'UNDELIV' }],
  ...over,
});

describe('assembleStatus', () => {
  it('gives each provider its link (up, down with its reason, off, not started), rates and sorts them by name', () => {
    const s = assembleStatus(base());
    expect(s.providers.map((p) => [p.name, p.link, p.reason])).toEqual([
      ['broken', 'down', 'not started (see the log)'],
      ['old', 'off', 'inactive'],
      ['sandbox', 'up', null],
      ['smsc', 'down', 'connect ECONNREFUSED'],
    ]);
    expect(s.providers.find((p) => p.name === 'sandbox')).toMatchObject({ attempts: 12, failures: 2, parts: 14 });
    expect(s.providers.find((p) => p.name === 'smsc')).toMatchObject({ attempts: 0, throughput: 100, since: 990_000 });
  });

  it('counts the queues by channel, listed channels at 0, due lag, callbacks and uptime', () => {
    const s = assembleStatus(base());
    expect(s.queues).toEqual([
      { channel: 'sms', queued: 5, sending: 0, submitted: 3 },
      { channel: 'voice', queued: 0, sending: 0, submitted: 0 },
      { channel: 'fax', queued: 0, sending: 1, submitted: 0 },
    ]);
    expect(s).toMatchObject({ dueLagS: 30, uptimeS: 60, inFlight: 7, spool: 'ok', callbacks: { pending: 0, failed: 4 } });
    expect(s.jobs).toEqual({ count: 1, shown: [expect.objectContaining({ id: 9, done: 4, total: 10 })] });
  });

  it('sums live calls over the gateways that place calls', () => {
    const s = assembleStatus(
      base({
        links: new Map([
          [1, { up: true, liveCalls: 3 }],
          [2, { up: true, liveCalls: 2 }],
        ]),
      }),
    );
    expect(s.liveCalls).toBe(5);
    expect(s.providers.find((p) => p.name === 'sandbox')!.liveCalls).toBe(3);
  });

  it('says the spool is unavailable when its levels did not come, and still shows the providers', () => {
    const s = assembleStatus(base({ levels: null, jobs: null }));
    expect(s.spool).toBe('unavailable');
    expect(s.queues.every((q) => q.queued === 0)).toBe(true);
    expect(s.providers).toHaveLength(4);
    expect(s.dueLagS).toBe(0);
  });

  it('ignores states that are not open in the depth', () => {
    expect(queuesOf([{ state: 'delivered', channel: 'sms', n: 9 }], [])).toEqual([]);
  });
});

describe('statusText', () => {
  it('prints every section, and no control characters from the network', () => {
    const s = assembleStatus(base({ errors: [{ at: 999_000, kind: 'provider', provider: 'smsc', jobId: null, destination: null, status: 'down', message: 'bad\u001b[2Jthing\u0007' }] }));
    const text = statusText(s);
    for (const part of ['providers (last 60 s)', 'queues', 'jobs in progress: 1', 'last errors: 1', 'smsc', 'connect ECONNREFUSED', '4/10']) expect(text).toContain(part);
    expect([...text].filter((c) => c !== '\n' && (c.codePointAt(0)! < 0x20 || c.codePointAt(0) === 0x7f))).toEqual([]);
    expect(text).toContain('bad [2Jthing');
    expect(printable('a\u009bb')).toBe('a b');
  });
});

describe('RateWindow', () => {
  it('counts what came in the last N seconds and forgets older seconds', () => {
    const w = new RateWindow(60);
    w.add(1_000, 2);
    w.add(30_500, 3);
    expect(w.total(30_900)).toBe(5);
    expect(w.total(60_999)).toBe(5); // seconds 1 to 60
    // second 1 leaves the window at second 61
    expect(w.total(61_000)).toBe(3);
    expect(w.total(90_500)).toBe(0);
    w.add(121_000, 1); // second 121 takes the bucket second 1 had: what it held is not counted
    expect(w.total(121_000)).toBe(1);
  });
});

describe('Recent', () => {
  it('keeps the newest N, newest first', () => {
    const r = new Recent<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.list()).toEqual([5, 4, 3]);
  });
});

describe('protocolBearer', () => {
  it('reads the token of "switchpost, bearer.<token>" and nothing else', () => {
    expect(protocolBearer('switchpost, bearer.aa.bb.cc')).toBe('aa.bb.cc');
    expect(protocolBearer(['switchpost', 'bearer.t'])).toBe('t');
    expect(protocolBearer('bearer.t, switchpost')).toBeNull();
    expect(protocolBearer('switchpost')).toBeNull();
    expect(protocolBearer(undefined)).toBeNull();
  });
});
