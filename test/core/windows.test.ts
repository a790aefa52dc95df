import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { nextAllowed, nextInHours, parseBlackout, parseLocalDateTime } from '../../dist/core/windows.js';

const at = (iso: string) => DateTime.fromISO(iso, { setZone: true }).toMillis();
const iso = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true });

describe('sending hours (cutoff)', () => {
  const hours = { dayStart: '08:00', cutoff: '18:00', zone: 'Australia/Sydney' };
  it('allows inside the window', () => {
    const t = at('2024-06-03T10:00:00+10:00');
    expect(nextInHours(t, hours)).toBe(t);
  });
  it('moves past the cutoff to the next local day start', () => {
    expect(iso(nextInHours(at('2024-06-03T18:00:00+10:00'), hours), hours.zone)).toBe('2024-06-04T08:00:00+10:00');
  });
  it('moves an early instant to the same day start', () => {
    expect(iso(nextInHours(at('2024-06-03T06:59:00+10:00'), hours), hours.zone)).toBe('2024-06-03T08:00:00+10:00');
  });
  it('is right across the DST change (Sydney, first Sunday of October: 02:00 → 03:00)', () => {
    // 19:00 on the Saturday before the change is +10:00; the next 08:00 is already +11:00.
    expect(iso(nextInHours(at('2024-10-05T19:00:00+10:00'), hours), hours.zone)).toBe('2024-10-06T08:00:00+11:00');
    // and back in April: 08:00 the next day is +10:00 again.
    expect(iso(nextInHours(at('2024-04-06T20:00:00+11:00'), hours), hours.zone)).toBe('2024-04-07T08:00:00+10:00');
  });
  it('treats a cutoff before the day start as [00:00, cutoff)', () => {
    const h = { dayStart: '08:00', cutoff: '06:00', zone: 'UTC' };
    expect(iso(nextInHours(at('2024-01-01T07:00:00Z'), h), 'UTC')).toBe('2024-01-02T00:00:00Z');
  });
});

describe('nextAllowed', () => {
  const now = at('2018-09-24T11:30:00+02:00');
  it('honours the schedule', () => {
    expect(nextAllowed(now, { notBefore: now + 60_000 })).toEqual({ at: now + 60_000 });
    expect(nextAllowed(now, { notBefore: now - 60_000 })).toEqual({ at: now });
  });
  it('chains blackouts (seed 003 example) and job + recipient windows', () => {
    const job = ['2018-09-24T12:00:00.000+02:00/2018-09-24T13:00:00.000+02:00', '2018-09-24T18:00:00.000+02:00/2018-09-25T08:00:00.000+02:00'].map(parseBlackout) as [number, number][];
    const rcpt = ['2018-09-24T12:15:00.000+02:00/2018-09-24T13:00:00.000+02:00', '2018-09-24T12:50:00.000+02:00/2018-09-24T14:00:00.000+02:00'].map(parseBlackout) as [number, number][];
    const r = nextAllowed(at('2018-09-24T12:10:00+02:00'), { blackouts: [...job, ...rcpt] });
    expect(r).toEqual({ at: at('2018-09-24T14:00:00+02:00') });
  });
  it('combines blackouts with sending hours', () => {
    const b = parseBlackout('2024-06-04T08:00:00+10:00/2024-06-04T09:30:00+10:00') as [number, number];
    const r = nextAllowed(at('2024-06-03T19:00:00+10:00'), { hours: { dayStart: '08:00', cutoff: '18:00', zone: 'Australia/Sydney' }, blackouts: [b] });
    expect('at' in r && iso(r.at, 'Australia/Sydney')).toBe('2024-06-04T09:30:00+10:00');
  });
  it('expires when the next allowed instant is past validity', () => {
    expect(nextAllowed(now, { notBefore: now + 10_000, validUntil: now + 5_000 })).toEqual({ expired: true });
    expect(nextAllowed(now, { validUntil: now })).toEqual({ expired: true });
  });
});

describe('parsing', () => {
  it('requires offsets on blackout ends', () => {
    expect(parseBlackout('2018-09-24T12:00:00/2018-09-24T13:00:00')).toMatch(/offset/);
    expect(parseBlackout('nonsense')).toMatch(/interval/);
    expect(parseBlackout('2018-09-24T12:00:00Z/PT1H')).toEqual([at('2018-09-24T12:00:00Z'), at('2018-09-24T13:00:00Z')]);
    expect(parseBlackout('2018-09-24T12:00:00.000+02:00/2018-09-\n24T13:00:00.000+02:00')).toEqual([at('2018-09-24T10:00:00Z'), at('2018-09-24T11:00:00Z')]);
  });
  it('reads client dates in the user zone unless they carry an offset', () => {
    expect(parseLocalDateTime('2023-04-07', 'Australia/Sydney')).toBe(at('2023-04-07T00:00:00+10:00'));
    expect(parseLocalDateTime('2023-08-29 22:15:57', 'Australia/Sydney')).toBe(at('2023-08-29T22:15:57+10:00'));
    expect(parseLocalDateTime('2023-08-29T22:15:57+02:00', 'Australia/Sydney')).toBe(at('2023-08-29T22:15:57+02:00'));
    expect(parseLocalDateTime('yesterday', 'UTC')).toBeNull();
  });
});
