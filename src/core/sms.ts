/**
 * SMS text → encoded parts: GSM 03.38 (default alphabet + extension table), Latin-1 or UCS-2,
 * segmented with 8-bit concatenation UDH. Pure; the SMPP and Kannel drivers put the parts on the wire
 * (SMPP's own fields — data_coding, validity, TON/NPI of destinations, UDH parsing — are in gateways/smpp/fields.ts).
 */

import type { Catalogued } from './errors.js';

// GSM 03.38 default alphabet, by septet value 0x00–0x7F (0x1B is the escape to the extension table).
const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
// Extension table: ESC followed by these septets (each character costs two septets).
const GSM_EXTENSION: Record<string, number> = { '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65 };
const ESC = 0x1b;

const BASIC = new Map<string, number>([...GSM_BASIC].map((c, i) => [c, i]));
// Septet of each basic-table character below U+0080 (-1: not there), for the common all-ASCII text.
const ASCII_SEPTET = new Int16Array(128).fill(-1);
for (const [c, i] of BASIC) if (c.charCodeAt(0) < 128 && i !== 0x1b) ASCII_SEPTET[c.charCodeAt(0)] = i;

export type SmsEncoding = 'gsm7' | 'latin1' | 'ucs2';
export type InvalidCharacters = 'refuse' | 'replace' | 'transliterate';

export interface SmsOptions {
  /** auto: GSM 03.38 when every character fits, else UCS-2. */
  encoding?: 'auto' | SmsEncoding;
  /** What to do with characters the chosen 7-bit or 8-bit alphabet lacks. */
  invalid?: InvalidCharacters;
  maxParts?: number;
  /** Under auto, prefer Latin-1 over UCS-2 when GSM 03.38 cannot carry the text but Latin-1 can. */
  latin1Fallback?: boolean;
}

/** A job's SMS choices, as every face maps them (seed 003 options; defaults elsewhere). */
export interface SmsSendOptions {
  encoding?: 'auto' | SmsEncoding;
  invalid?: InvalidCharacters;
  /** The job's limit on each recipient's text as sent (after merge fields): the gateway that plans it refuses more. */
  maxParts?: number;
  /** Class 0: shown at once, not stored. */
  flash?: boolean;
  validityMinutes?: number | null;
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

/** A text the job's SMS choices refuse (characters its alphabet lacks, more parts than allowed): the request's to mend. */
export class SmsEncodingError extends Error implements Catalogued {
  override name = 'SmsEncodingError';
  readonly errorCode = 'validation';
}

/** Septets for one character, or null when GSM 03.38 lacks it. */
const septetsOf = (c: string): number[] | null => {
  const b = BASIC.get(c);
  if (b !== undefined && b !== ESC) return [b];
  const e = GSM_EXTENSION[c];
  return e === undefined ? null : [ESC, e];
};

/** The septets of a text wholly in GSM 03.38, or null when a character is not: one pass, the hot path. */
function gsmSeptets(text: string): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const basic = code < 128 ? ASCII_SEPTET[code]! : -1;
    if (basic >= 0) {
      out.push(basic);
      continue;
    }
    const s = septetsOf(text[i]!);
    if (!s) return null;
    out.push(...s);
  }
  return out;
}

const latin1Ok = (c: string): boolean => c.length === 1 && c.charCodeAt(0) <= 0xff;

// Common look-alikes first; then accents are stripped by Unicode decomposition.
const TRANSLITERATIONS: Record<string, string> = {
  '‘': "'",
  '’': "'",
  '‚': "'",
  '‛': "'",
  '′': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '″': '"',
  '–': '-',
  '—': '-',
  '−': '-',
  '‐': '-',
  '…': '...',
  '•': '*',
  '·': '.',
  '\u00a0': ' ',
  '\u2009': ' ',
  '\u200b': '',
  '«': '"',
  '»': '"',
  '©': '(c)',
  '®': '(R)',
  '™': 'TM',
  Œ: 'OE',
  œ: 'oe',
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  ı: 'i',
  '\t': ' ',
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

function autoEncoding(text: string, latin1: boolean): SmsEncoding {
  return latin1 && [...text].every(latin1Ok) ? 'latin1' : 'ucs2';
}

/** Plan an SMS: choose the encoding, apply the character policy, and cut it into parts. */
export function planSms(text: string, opts: SmsOptions = {}): SmsPlan {
  const invalid = opts.invalid ?? 'refuse';
  const maxParts = opts.maxParts ?? 255;
  const auto = opts.encoding === undefined || opts.encoding === 'auto';
  const asIs = auto || opts.encoding === 'gsm7' ? gsmSeptets(text) : null;
  let encoding: SmsEncoding = asIs ? 'gsm7' : opts.encoding === undefined || opts.encoding === 'auto' ? autoEncoding(text, opts.latin1Fallback ?? false) : opts.encoding;
  let plan: SmsPlan;
  if (encoding === 'gsm7') {
    const fitted = asIs ? { text, changed: 0 } : fitText(text, (c) => septetsOf(c) !== null, invalid, 'GSM 03.38');
    const septets = asIs ?? [...fitted.text].flatMap((c) => septetsOf(c)!);
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
  if (plan.parts.length > maxParts) throw new SmsEncodingError(`the message needs ${plan.parts.length} parts in ${plan.encoding}, more than the limit of ${maxParts} part${maxParts === 1 ? '' : 's'} (maxParts)`);
  return plan;
}

/**
 * How a link codes SMS: its own encoding when the job leaves it to the link (`auto`), whether it carries
 * Latin-1 at all (Kannel's 8-bit coding is binary: Latin-1 goes as UCS-2 there), and whether `auto` may pick
 * Latin-1 before UCS-2 (an SMSC that takes data_coding 3).
 */
export interface SmsLink {
  encoding: 'auto' | SmsEncoding;
  latin1: boolean;
  latin1Fallback: boolean;
}

/** A link with no preferences: the job's encoding, or GSM 03.38 else UCS-2. */
export const PLAIN_SMS_LINK: SmsLink = { encoding: 'auto', latin1: true, latin1Fallback: false };

/** An SMS as a link sends it: its parts planned for that link, and the job's flags. */
export interface SmsMessage {
  plan: SmsPlan;
  flash: boolean;
  validityMinutes: number | null;
}

/** Plan one recipient's text for a link with the job's choices; throws SmsEncodingError when they refuse it. */
export function smsMessage(text: string, job: SmsSendOptions, link: SmsLink): SmsMessage {
  const asked = job.encoding && job.encoding !== 'auto' ? job.encoding : link.encoding;
  const encoding = asked === 'latin1' && !link.latin1 ? 'ucs2' : asked;
  const plan = planSms(text, { encoding, invalid: job.invalid ?? 'replace', maxParts: job.maxParts ?? 255, latin1Fallback: link.latin1Fallback });
  return { plan, flash: job.flash === true, validityMinutes: job.validityMinutes ?? null };
}

/**
 * The fewest parts a text takes in any encoding that carries it unchanged — GSM 03.38, Latin-1 (a
 * provider with `latin1`), UCS-2 — for a check made before the provider is known (GSM is not always
 * the shortest: its extension characters such as "{" take two septets, one byte in Latin-1).
 */
export function fewestParts(text: string): { encoding: SmsEncoding; parts: number } {
  const plans = (['gsm7', 'latin1', 'ucs2'] as const).flatMap((encoding) => {
    try {
      return [planSms(text, { encoding, invalid: 'refuse', maxParts: Infinity })];
    } catch {
      return []; // not carried unchanged
    }
  });
  const best = plans.reduce((a, b) => (b.parts.length < a.parts.length ? b : a));
  return { encoding: best.encoding, parts: best.parts.length };
}

/** 8-bit concatenation UDH (IEI 0x00): reference 0–255, total parts, this part's number from 1. */
export const concatUdh = (ref: number, total: number, seq: number): Buffer => Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);

const GSM_EXTENSION_BY_SEPTET = new Map<number, string>(Object.entries(GSM_EXTENSION).map(([c, s]) => [s, c]));

/**
 * Bytes of a received short message → text, by its data_coding (SMPP 3.4 §5.2.19): unpacked GSM
 * septets for 0, ASCII/Latin-1 for 1 and 3, UCS-2 (UTF-16BE) for 8; GSM 03.38 coding groups 0x1X
 * and 0xFX by their alphabet bits. Anything else (8-bit binary) comes back as hex with `binary: true`.
 */
export function decodeSms(bytes: Buffer, dataCoding: number): { text: string; binary: boolean } {
  const alphabet = smsAlphabet(dataCoding);
  if (alphabet === 'gsm7') {
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
      const s = bytes[i]! & 0x7f;
      if (s === ESC && i + 1 < bytes.length) out += GSM_EXTENSION_BY_SEPTET.get(bytes[++i]! & 0x7f) ?? ' ';
      else out += s === ESC ? ' ' : GSM_BASIC[s]!;
    }
    return { text: out, binary: false };
  }
  if (alphabet === 'latin1') return { text: bytes.toString('latin1'), binary: false };
  if (alphabet === 'ucs2') return { text: Buffer.from(bytes).swap16().toString('utf16le'), binary: false };
  return { text: bytes.toString('hex'), binary: true };
}

function smsAlphabet(dc: number): SmsEncoding | 'binary' {
  if (dc === 0x00) return 'gsm7';
  if (dc === 0x01 || dc === 0x03) return 'latin1'; // IA5 (ASCII) is a subset of Latin-1
  if (dc === 0x08) return 'ucs2';
  // GSM 03.38 coding groups: general data coding 0x1X (bits 3-2 are the alphabet) and 0xFX (bit 2).
  if ((dc & 0xf0) === 0x10) return (['gsm7', 'binary', 'ucs2', 'binary'] as const)[(dc >> 2) & 0x03]!;
  if ((dc & 0xf0) === 0xf0) return dc & 0x04 ? 'binary' : 'gsm7';
  return 'binary';
}

export interface SmsAddress {
  ton: number;
  npi: number;
  addr: string;
}

/** A sender that is no SMS address (neither up to 11 letters and digits, a short code nor a number): the request's to mend. */
export class SmsAddressError extends Error implements Catalogued {
  override name = 'SmsAddressError';
  readonly errorCode = 'validation';
}

/**
 * A sender as the network wants it: alphanumeric (≤ 11 GSM characters) → TON 5 / NPI 0; a short code
 * (3–8 digits) → TON 3 / NPI 0; an international number (+ and up to 15 digits) → TON 1 / NPI 1;
 * other digits → TON 0 / NPI 1 (unknown, as given).
 */
export function senderAddress(sender: string): SmsAddress {
  const s = sender.trim();
  if (/^\+\d{4,15}$/.test(s)) return { ton: 1, npi: 1, addr: s.slice(1) };
  if (/^\d{3,8}$/.test(s)) return { ton: 3, npi: 0, addr: s };
  if (/^\d{9,15}$/.test(s)) return { ton: 0, npi: 1, addr: s };
  if (s.length >= 1 && s.length <= 11 && /^[A-Za-z0-9 ._&-]+$/.test(s)) return { ton: 5, npi: 0, addr: s };
  throw new SmsAddressError(`sender "${s.slice(0, 20)}" is neither up to 11 letters and digits, a short code nor a phone number`);
}
