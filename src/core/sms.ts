/**
 * SMS text → encoded parts: GSM 03.38 (default alphabet + extension table), Latin-1 or UCS-2,
 * segmented with 8-bit concatenation UDH. Pure; the SMPP and Kannel drivers put the parts on the wire.
 */

// GSM 03.38 default alphabet, by septet value 0x00–0x7F (0x1B is the escape to the extension table).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// Extension table: ESC followed by these septets (each character costs two septets).
const GSM_EXTENSION: Record<string, number> = { '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65 };
const ESC = 0x1b;

const BASIC = new Map<string, number>([...GSM_BASIC].map((c, i) => [c, i]));

export type SmsEncoding = 'gsm7' | 'latin1' | 'ucs2';
export type InvalidCharacters = 'refuse' | 'replace' | 'transliterate';

export interface SmsOptions {
  /** auto: GSM 03.38 when every character fits, else UCS-2. */
  encoding?: 'auto' | SmsEncoding;
  /** What to do with characters the chosen 7-bit or 8-bit alphabet lacks. */
  invalid?: InvalidCharacters;
  maxParts?: number;
}

export interface SmsPlan {
  encoding: SmsEncoding;
  /** The text as it will be received (after replacement or transliteration). */
  text: string;
  /** Each part's payload without UDH: unpacked septets (gsm7), Latin-1 bytes or UTF-16BE. */
  parts: Buffer[];
  /** Characters changed by REPLACE or TRANSLITERATE. */
  changed: number;
}

export class SmsEncodingError extends Error {
  override name = 'SmsEncodingError';
}

/** Septets for one character, or null when GSM 03.38 lacks it. */
const septetsOf = (c: string): number[] | null => {
  const b = BASIC.get(c);
  if (b !== undefined && b !== ESC) return [b];
  const e = GSM_EXTENSION[c];
  return e === undefined ? null : [ESC, e];
};

const latin1Ok = (c: string): boolean => c.length === 1 && c.charCodeAt(0) <= 0xff;

// Common look-alikes first; then accents are stripped by Unicode decomposition.
const TRANSLITERATIONS: Record<string, string> = {
  '‘': "'", '’': "'", '‚': "'", '‛': "'", '′': "'", '“': '"', '”': '"', '„': '"', '″': '"', '–': '-', '—': '-', '−': '-', '‐': '-',
  '…': '...', '•': '*', '·': '.', '\u00a0': ' ', '\u2009': ' ', '\u200b': '', '«': '"', '»': '"', '©': '(c)', '®': '(R)', '™': 'TM',
  'Œ': 'OE', 'œ': 'oe', 'Ł': 'L', 'ł': 'l', 'Đ': 'D', 'đ': 'd', 'ı': 'i', '\t': ' ',
};

function transliterate(c: string, fits: (c: string) => boolean): string | null {
  const direct = TRANSLITERATIONS[c];
  if (direct !== undefined && [...direct].every(fits)) return direct;
  const stripped = c.normalize('NFD').replace(/\p{M}+/gu, '');
  if (stripped && stripped !== c && [...stripped].every(fits)) return stripped;
  return null;
}

/** Apply the invalid-character policy for an alphabet; returns the text to send and how many characters changed. */
function fitText(text: string, fits: (c: string) => boolean, invalid: InvalidCharacters, alphabet: string): { text: string; changed: number } {
  let out = '';
  let changed = 0;
  const refused = new Set<string>();
  for (const c of text) {
    if (fits(c)) {
      out += c;
      continue;
    }
    if (invalid === 'refuse') {
      refused.add(c);
      continue;
    }
    changed++;
    out += (invalid === 'transliterate' ? transliterate(c, fits) : null) ?? '?';
  }
  if (refused.size) {
    const list = [...refused].slice(0, 10).map((c) => `"${c}" (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`);
    throw new SmsEncodingError(`characters not in the ${alphabet} alphabet: ${list.join(', ')}`);
  }
  return { text: out, changed };
}

/** Split septets into parts of at most `size`, never between ESC and the septet it escapes. */
function splitSeptets(septets: number[], size: number): number[][] {
  const parts: number[][] = [];
  let i = 0;
  while (i < septets.length) {
    let end = Math.min(i + size, septets.length);
    if (end < septets.length && septets[end - 1] === ESC) end--;
    parts.push(septets.slice(i, end));
    i = end;
  }
  return parts;
}

/** Split UTF-16 code units into parts of at most `size`, never inside a surrogate pair. */
function splitUnits(text: string, size: number): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(i, end));
    i = end;
  }
  return parts;
}

const ucs2Buffer = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf16le');
  return b.swap16();
};

/** Plan an SMS: choose the encoding, apply the character policy, and cut it into parts. */
export function planSms(text: string, opts: SmsOptions = {}): SmsPlan {
  const invalid = opts.invalid ?? 'refuse';
  const maxParts = opts.maxParts ?? 255;
  let encoding: SmsEncoding = opts.encoding === undefined || opts.encoding === 'auto' ? ([...text].every((c) => septetsOf(c)) ? 'gsm7' : 'ucs2') : opts.encoding;
  let plan: SmsPlan;
  if (encoding === 'gsm7') {
    const fitted = fitText(text, (c) => septetsOf(c) !== null, invalid, 'GSM 03.38');
    const septets = [...fitted.text].flatMap((c) => septetsOf(c)!);
    const parts = septets.length <= 160 ? [septets] : splitSeptets(septets, 153);
    plan = { encoding, text: fitted.text, parts: parts.map((p) => Buffer.from(p)), changed: fitted.changed };
  } else if (encoding === 'latin1') {
    const fitted = fitText(text, latin1Ok, invalid, 'Latin-1');
    const bytes = Buffer.from(fitted.text, 'latin1');
    const parts: Buffer[] = [];
    if (bytes.length <= 140) parts.push(bytes);
    else for (let i = 0; i < bytes.length; i += 134) parts.push(bytes.subarray(i, i + 134));
    plan = { encoding, text: fitted.text, parts, changed: fitted.changed };
  } else {
    encoding = 'ucs2';
    const parts = text.length <= 70 ? [text] : splitUnits(text, 67);
    plan = { encoding, text, parts: parts.map(ucs2Buffer), changed: 0 };
  }
  if (plan.parts.length === 0) plan.parts.push(Buffer.alloc(0));
  if (plan.parts.length > maxParts) throw new SmsEncodingError(`the message needs ${plan.parts.length} parts in ${plan.encoding}, more than maxParts (${maxParts})`);
  return plan;
}

/** 8-bit concatenation UDH (IEI 0x00): reference 0–255, total parts, this part's number from 1. */
export const concatUdh = (ref: number, total: number, seq: number): Buffer => Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);

/** SMPP data_coding for an encoding; flash (message class 0) uses the general data coding group. */
export function dataCoding(encoding: SmsEncoding, flash = false): number {
  if (!flash) return encoding === 'gsm7' ? 0x00 : encoding === 'latin1' ? 0x03 : 0x08;
  if (encoding === 'latin1') throw new SmsEncodingError('flash messages cannot be sent in Latin-1; use GSM or UCS-2');
  return encoding === 'gsm7' ? 0x10 : 0x18;
}
