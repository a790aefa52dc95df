import { IANAZone } from 'luxon';
/**
 * ICTCore's time zones (its `timezone` table, db/database.sql): the id is the offset from GMT in
 * seconds ("GMT +05:30" is 19800). A whole hour is the fixed-offset IANA zone (Etc/GMT-5 is GMT +05:00:
 * the Etc names count the other way); a fraction, the zone that keeps that offset (its standard time
 * where it has summer time: Newfoundland, Lord Howe, Chatham). Checked against Node's ICU: no zone keeps
 * −04:30 (Venezuela left it in 2016), −02:30 (only Newfoundland's summer) or +11:30 (Norfolk, 2015).
 */
const FRACTIONS: Readonly<Record<number, string>> = {
  [-34200]: 'Pacific/Marquesas',
  [-12600]: 'America/St_Johns',
  12600: 'Asia/Tehran',
  19800: 'Asia/Kolkata',
  20700: 'Asia/Kathmandu',
  23400: 'Asia/Yangon',
  34200: 'Australia/Darwin',
  37800: 'Australia/Lord_Howe',
  45900: 'Pacific/Chatham',
};
/** ICTCore's ids that no IANA zone keeps today. */
const GONE = new Set([-16200, -9000, 41400]);

/** The IANA zone of an ICTCore timezone_id; a string saying why not otherwise. */
export function zoneOfIctcoreId(id: number): { zone: string } | { problem: string } {
  if (GONE.has(id)) return { problem: `no time zone keeps GMT ${offsetText(id)} today; give an IANA time zone` };
  if (FRACTIONS[id]) return { zone: FRACTIONS[id] };
  const hours = id / 3600;
  if (Number.isInteger(hours) && hours >= -12 && hours <= 14) return { zone: hours === 0 ? 'Etc/GMT' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}` };
  return { problem: 'an ICTCore timezone id (the offset in seconds, e.g. 19800 for GMT +05:30) or an IANA time zone such as Asia/Karachi' };
}

const offsetText = (s: number): string => `${s < 0 ? '-' : '+'}${String(Math.floor(Math.abs(s) / 3600)).padStart(2, '0')}:${String((Math.abs(s) % 3600) / 60).padStart(2, '0')}`;

/**
 * A zone as ICTCore numbers it: its standard offset from GMT in seconds (the smaller of its January and
 * July offsets, so a zone with summer time is answered by its standard time, as ICTCore's table lists
 * zones). Null for a name that is no zone.
 */
export function ictcoreIdOfZone(zone: string): number | null {
  const z = IANAZone.create(zone);
  if (!z.isValid) return null;
  const year = new Date().getUTCFullYear();
  return Math.min(z.offset(Date.UTC(year, 0, 1)), z.offset(Date.UTC(year, 6, 1))) * 60;
}
