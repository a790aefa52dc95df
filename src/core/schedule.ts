import { DateTime } from 'luxon';

/** When a scheduled action runs: on a cron expression, or once at an instant. */
export interface ScheduleSpec {
  cron: string | null;
  at: number | null;
  recurring: boolean;
  expiry: number | null;
}

const FIELDS = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day', 1, 31],
  ['month', 1, 12],
  ['weekday', 0, 7],
] as const;

/**
 * ICTCore's schedule body → when to run, or a message naming the field at fault. It takes the cron-like
 * fields (minute, hour, day, month, weekday: a number or "*"; is_recurring, expiry in epoch seconds), or
 * one instant: `delay` (seconds from now), `timestamp` (epoch seconds) or `datetime` (local to `zone`).
 * A schedule that is not recurring runs once. An empty body runs once, a minute from now.
 */
export function parseSchedule(body: Record<string, unknown>, now: number, zone: string): ScheduleSpec | string {
  const recurring = body.is_recurring === 1 || body.is_recurring === true || body.is_recurring === '1';
  let expiry: number | null = null;
  if (body.expiry !== undefined && body.expiry !== null && body.expiry !== '') {
    const e = Number(body.expiry);
    if (!Number.isInteger(e) || e <= 0) return 'expiry: expected epoch seconds';
    expiry = e * 1000;
  }
  const once = (at: number): ScheduleSpec | string => (at < now - 60_000 ? 'the time given is in the past' : { cron: null, at, recurring: false, expiry });
  if (body.delay !== undefined) {
    const d = Number(body.delay);
    if (!Number.isFinite(d) || d < 0 || d > 366 * 86400) return 'delay: expected seconds from now (0 to a year)';
    return once(now + Math.round(d * 1000));
  }
  if (body.timestamp !== undefined) {
    const t = Number(body.timestamp);
    if (!Number.isInteger(t) || t <= 0) return 'timestamp: expected epoch seconds';
    return once(t * 1000);
  }
  if (body.datetime !== undefined) {
    const dt = typeof body.datetime === 'string' ? DateTime.fromSQL(body.datetime, { zone }) : null;
    const parsed = dt?.isValid ? dt : typeof body.datetime === 'string' ? DateTime.fromISO(body.datetime, { zone }) : null;
    if (!parsed?.isValid) return 'datetime: expected "YYYY-MM-DD HH:MM[:SS]" or ISO 8601';
    return once(parsed.toMillis());
  }
  const parts: string[] = [];
  let given = false;
  for (const [name, min, max] of FIELDS) {
    const v = body[name];
    if (v === undefined || v === null || v === '' || v === '*') {
      parts.push('*');
      continue;
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) return `${name}: expected "*" or a whole number from ${min} to ${max}`;
    parts.push(String(n));
    given = true;
  }
  if (!given) return once(now + 60_000);
  return { cron: parts.join(' '), at: null, recurring, expiry };
}
