import { DateTime, IANAZone, Interval } from 'luxon';
import type { Blackout } from './model.js';

/** Local sending hours: allowed from dayStart until cutoff ("HH:MM") in an IANA zone. */
export interface SendingHours {
  dayStart: string;
  cutoff: string;
  zone: string;
}

export interface WindowRules {
  /** Not before this instant (the job's scheduled_date). */
  notBefore?: number | null;
  /** Not at or after this instant (validity / expiry). */
  validUntil?: number | null;
  hours?: SendingHours | null;
  /** Job and recipient blackouts together. */
  blackouts?: readonly Blackout[];
}

export type NextAllowed = { at: number } | { expired: true };

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export const isValidZone = (zone: string): boolean => IANAZone.isValidZone(zone);

/** The local instant hh:mm on the day of `day`, in its zone (luxon moves a time in a DST gap forward). */
const atLocal = (day: DateTime, minutes: number): number => day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();

/**
 * Next instant at or after t inside the sending hours. The window is [dayStart, cutoff) each local day;
 * when cutoff is not after dayStart, it is [00:00, cutoff).
 */
export function nextInHours(t: number, hours: SendingHours): number {
  const local = DateTime.fromMillis(t, { zone: hours.zone });
  const now = local.hour * 60 + local.minute;
  const end = minutesOf(hours.cutoff);
  const start = minutesOf(hours.dayStart) < end ? minutesOf(hours.dayStart) : 0;
  if (now >= start && now < end) return t;
  if (now < start) return atLocal(local, start);
  return atLocal(local.plus({ days: 1 }).startOf('day'), start);
}

/** The next instant at or after `now` when sending is allowed, or expired if that is past validity. */
export function nextAllowed(now: number, rules: WindowRules): NextAllowed {
  const blackouts = rules.blackouts ?? [];
  let t = Math.max(now, rules.notBefore ?? now);
  // Each pass moves t forward past one obstacle; blackouts and hours can chain, so bound the passes.
  for (let pass = 0; pass < blackouts.length * 2 + 8; pass++) {
    if (rules.validUntil != null && t >= rules.validUntil) return { expired: true };
    const blocking = blackouts.find(([s, e]) => t >= s && t < e);
    if (blocking) {
      t = blocking[1];
      continue;
    }
    if (rules.hours) {
      const next = nextInHours(t, rules.hours);
      if (next !== t) {
        t = next;
        continue;
      }
    }
    return { at: t };
  }
  return rules.validUntil != null && t >= rules.validUntil ? { expired: true } : { at: t };
}

/**
 * Parse an ISO 8601 interval "start/end" or "start/duration". Both ends need an explicit offset:
 * a blackout without one would mean different instants on different servers.
 */
export function parseBlackout(text: string): Blackout | string {
  const cleaned = text.replace(/\s+/g, '');
  const [a, b] = cleaned.split('/');
  if (!a || !b) return 'expected an ISO 8601 interval "start/end"';
  const hasOffset = (s: string) => /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(s);
  if (!hasOffset(a) || (!b.startsWith('P') && !hasOffset(b))) return 'both ends need an offset such as +02:00 or Z';
  const iv = Interval.fromISO(cleaned, { setZone: true });
  if (!iv.isValid || !iv.start || !iv.end) return `not a valid ISO 8601 interval (${iv.invalidExplanation ?? iv.invalidReason ?? 'unparseable'})`;
  return [iv.start.toMillis(), iv.end.toMillis()];
}

/** Parse a date-time from a client: ISO 8601 or "YYYY-MM-DD[ HH:MM[:SS]]", in `zone` when it has no offset. */
export function parseLocalDateTime(text: string, zone: string): number | null {
  const s = text.trim();
  let dt = DateTime.fromISO(s, { zone, setZone: false });
  if (!dt.isValid) dt = DateTime.fromSQL(s, { zone });
  if (!dt.isValid) dt = DateTime.fromFormat(s, 'yyyy-MM-dd HH:mm', { zone });
  return dt.isValid ? dt.toMillis() : null;
}
