import { describe, expect, it } from 'vitest';
import { addressOf, decideClaim, type ClaimFacts } from '../../dist/spool/claim.js';
import type { SpoolJob } from '../../dist/spool/job-cache.js';
import type { DueRow } from '../../dist/store/spool.js';
import type { Pick } from '../../dist/spool/provider-pool.js';
import type { Provider } from '../../dist/store/providers.js';
import type { Gateway } from '../../dist/gateways/gateway.js';

const NOW = Date.UTC(2026, 11, 2, 3, 0, 0);

const job = (over: Partial<SpoolJob> = {}): SpoolJob => ({
  info: { id: 1, userId: 7, face: 'welcorp', channel: 'sms', name: null, sender: 'Acme', callbackUrl: null, options: {}, tries: null, optoutCode: null, replyUntil: null, timezone: 'UTC', country: 'AU' },
  content: { kind: 'sms', text: { template: 'Hi' }, options: {} } as unknown as SpoolJob['content'],
  unreadable: null,
  status: 'running',
  service: 'sms',
  rules: { notBefore: null, validUntil: null, hours: null, blackouts: [] },
  template: () => 'Hi',
  retry: { tries: 3, backoffSeconds: 1, backoffMaxSeconds: 10 },
  ...over,
});

let nextId = 1;
const row = (over: Partial<DueRow> = {}): DueRow => ({ id: nextId++, job_id: 1, attempt_id: null, destination: '0491 570 156', address: null, name: null, reference: null, fields: null, blackouts: null, tries: 0, ...over });

const provider = { id: 11, name: 'smsc' } as Provider;
const gateway = { providerId: 11 } as Gateway;

function facts(over: Partial<ClaimFacts> = {}, picks: Pick[] = []): ClaimFacts & { asked: (number | null)[] } {
  const asked: (number | null)[] = [];
  return {
    now: NOW,
    job: () => job(),
    address: addressOf,
    optedOut: () => false,
    lastProvider: () => null,
    pick: (_service, avoid) => (asked.push(avoid), picks.shift() ?? { ok: true, provider, gateway }),
    asked,
    ...over,
  };
}

describe('the claim decides each row in memory, before anything is written', () => {
  it('sends a due row to the picked provider, its number in E.164, and says when it is the last try', () => {
    const [first, last] = decideClaim([row(), row({ tries: 2, attempt_id: 5 })], facts({ lastProvider: (r) => (r.attempt_id === 5 ? 11 : null) }));
    expect(first).toMatchObject({ kind: 'send', address: '+61491570156', lastTry: false, provider: { id: 11 } });
    expect(last).toMatchObject({ kind: 'send', lastTry: true });
  });

  it('passes a retry its last provider to avoid', () => {
    const f = facts({ lastProvider: (r) => (r.attempt_id === 5 ? 11 : null) });
    decideClaim([row({ tries: 1, attempt_id: 5 }), row()], f);
    expect(f.asked).toEqual([11, null]);
  });

  it('ends what cannot be sent, in the order of the checks: cancelled, no try left, expired, invalid, opted out', () => {
    const cancelled = decideClaim([row()], facts({ job: () => job({ status: 'cancelled' }) }))[0];
    expect(cancelled).toMatchObject({ kind: 'final', state: 'cancelled' });
    const spent = decideClaim([row({ tries: 3 })], facts())[0];
    expect(spent).toMatchObject({ kind: 'final', state: 'failed', reason: expect.stringMatching(/3 tries were used/) });
    const expired = decideClaim([row()], facts({ job: () => job({ rules: { notBefore: null, validUntil: NOW - 1, hours: null, blackouts: [] } }) }))[0];
    expect(expired).toMatchObject({ kind: 'final', state: 'expired' });
    const invalid = decideClaim([row({ destination: '12' })], facts())[0];
    expect(invalid).toMatchObject({ kind: 'final', state: 'invalid' });
    const opted = decideClaim([row()], facts({ optedOut: (userId, a) => userId === 7 && a === '+61491570156' }))[0];
    expect(opted).toMatchObject({ kind: 'final', state: 'opted_out' });
  });

  it('moves a row outside its window to the window, and a row of a missing job a minute on', () => {
    const later = NOW + 3_600_000;
    const [waiting] = decideClaim([row()], facts({ job: () => job({ rules: { notBefore: later, validUntil: null, hours: null, blackouts: [] } }) }));
    expect(waiting).toEqual({ kind: 'reschedule', row: expect.anything(), at: later, reason: 'waiting for its sending window' });
    const [orphan] = decideClaim([row()], facts({ job: () => undefined }));
    expect(orphan).toMatchObject({ kind: 'reschedule', at: NOW + 60_000 });
  });

  it('asks the pool once for a service it cannot serve: a link down holds the batch, a rate limit keeps it due', () => {
    const down = facts({}, [{ ok: false, retryAt: NOW + 5000, reason: 'provider smsc is down' }]);
    const held = decideClaim([row(), row(), row()], down);
    expect(held.map((d) => d.kind)).toEqual(['hold', 'hold', 'hold']);
    expect(held[2]).toMatchObject({ until: NOW + 5000, reason: 'provider smsc is down' });
    expect(down.asked).toHaveLength(1);
    const paced = decideClaim([row(), row()], facts({}, [{ ok: false, retryAt: NOW + 20, reason: 'providers at their rate limit' }]));
    expect(paced.map((d) => d.kind)).toEqual(['stay', 'stay']);
  });
});
