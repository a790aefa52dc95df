/**
 * The v1 API's numeric `timezone_id` (seed 000's user has `"timezone_id": 17`): the daemon's own
 * numbering, because the seed does not publish Welcorp's table. 17 is Australia/Melbourne, where the
 * seed's example user is. Ids are stable: an id once given keeps its zone, new zones take new ids,
 * and a retired id is never reused. Every name is a canonical IANA zone (no links), checked by
 * test/core/v1-timezones.test.ts against the runtime's zone data.
 */
export const V1_TIMEZONES: Readonly<Record<number, string>> = {
  1: 'Etc/UTC',
  // Australia and its territories, west to east.
  10: 'Australia/Perth',
  11: 'Australia/Eucla',
  12: 'Australia/Darwin',
  13: 'Australia/Adelaide',
  14: 'Australia/Broken_Hill',
  15: 'Australia/Brisbane',
  16: 'Australia/Lindeman',
  17: 'Australia/Melbourne',
  18: 'Australia/Sydney',
  19: 'Australia/Hobart',
  20: 'Australia/Lord_Howe',
  21: 'Antarctica/Macquarie',
  22: 'Indian/Christmas',
  23: 'Indian/Cocos',
  24: 'Pacific/Norfolk',
  // New Zealand.
  25: 'Pacific/Auckland',
  26: 'Pacific/Chatham',
  // The Pacific.
  30: 'Pacific/Port_Moresby',
  31: 'Pacific/Guam',
  32: 'Pacific/Noumea',
  33: 'Pacific/Fiji',
  34: 'Pacific/Tongatapu',
  35: 'Pacific/Apia',
  36: 'Pacific/Honolulu',
  // Asia.
  40: 'Asia/Tokyo',
  41: 'Asia/Seoul',
  42: 'Asia/Shanghai',
  43: 'Asia/Hong_Kong',
  44: 'Asia/Taipei',
  45: 'Asia/Manila',
  46: 'Asia/Singapore',
  47: 'Asia/Kuala_Lumpur',
  48: 'Asia/Jakarta',
  49: 'Asia/Bangkok',
  50: 'Asia/Ho_Chi_Minh',
  51: 'Asia/Yangon',
  52: 'Asia/Dhaka',
  53: 'Asia/Kathmandu',
  54: 'Asia/Kolkata',
  55: 'Asia/Colombo',
  56: 'Asia/Karachi',
  57: 'Asia/Tashkent',
  58: 'Asia/Kabul',
  59: 'Asia/Dubai',
  60: 'Asia/Tehran',
  61: 'Asia/Riyadh',
  62: 'Asia/Jerusalem',
  // Europe.
  70: 'Europe/London',
  71: 'Europe/Dublin',
  72: 'Europe/Lisbon',
  73: 'Europe/Madrid',
  74: 'Europe/Paris',
  75: 'Europe/Brussels',
  76: 'Europe/Amsterdam',
  77: 'Europe/Berlin',
  78: 'Europe/Zurich',
  79: 'Europe/Rome',
  80: 'Europe/Stockholm',
  81: 'Europe/Warsaw',
  82: 'Europe/Athens',
  83: 'Europe/Helsinki',
  84: 'Europe/Istanbul',
  85: 'Europe/Moscow',
  // Africa.
  90: 'Africa/Casablanca',
  91: 'Africa/Lagos',
  92: 'Africa/Cairo',
  93: 'Africa/Johannesburg',
  94: 'Africa/Nairobi',
  // The Americas.
  100: 'America/St_Johns',
  101: 'America/Halifax',
  102: 'America/Toronto',
  103: 'America/New_York',
  104: 'America/Chicago',
  105: 'America/Mexico_City',
  106: 'America/Denver',
  107: 'America/Phoenix',
  108: 'America/Vancouver',
  109: 'America/Los_Angeles',
  110: 'America/Anchorage',
  111: 'America/Bogota',
  112: 'America/Lima',
  113: 'America/Caracas',
  114: 'America/Santiago',
  115: 'America/Argentina/Buenos_Aires',
  116: 'America/Sao_Paulo',
};

const ID_OF = new Map(Object.entries(V1_TIMEZONES).map(([id, zone]) => [zone.toLowerCase(), Number(id)]));

/** The zone of a v1 timezone_id (a whole number, or its digits as a string), or why it is none. */
export function zoneOfV1Id(raw: unknown): { zone: string } | { problem: string } {
  const id = typeof raw === 'string' && /^\s*\d{1,6}\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof id !== 'number' || !Number.isInteger(id)) return { problem: 'expected a whole number, one of the time zone ids this service numbers (17 is Australia/Melbourne), or give timezone as an IANA name' };
  const zone = V1_TIMEZONES[id];
  if (!zone) return { problem: `${id} is not a time zone id of this service (17 is Australia/Melbourne); give one it numbers, or timezone as an IANA name` };
  return { zone };
}

/** A zone's v1 timezone_id; null for a zone the table does not number (the user still has it, as `timezone`). */
export const v1IdOfZone = (zone: string): number | null => ID_OF.get(zone.toLowerCase()) ?? null;
