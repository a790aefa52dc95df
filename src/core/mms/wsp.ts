/**
 * WSP's value encodings (WAP-230-WSP §8.4.2, §8.5), which the MMS encapsulation (OMA-TS-MMS_ENC §7)
 * reuses for its headers: uintvar, short and long integers, value lengths, text and quoted strings,
 * encoded strings with a charset, content types with parameters, and the multipart body.
 * Checked against Wireshark's WSP and MMSE dissectors (test/core/mms/*.test.ts decodes with tshark).
 */
import type { Catalogued } from '../errors.js';

/** A PDU that cannot be built or read: bad input, never a server fault. */
export class MmsPduError extends Error implements Catalogued {
  override name = 'MmsPduError';
  readonly errorCode = 'validation';
}

/** Uintvar-integer (§8.1.2): 7 bits an octet, most significant first, the top bit set on all but the last. */
export function uintvar(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new MmsPduError(`uintvar out of range: ${n}`);
  const out = [n & 0x7f];
  for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) out.unshift((v & 0x7f) | 0x80);
  return Buffer.from(out);
}

/** Short-integer: a value 0–127 in one octet with its top bit set. */
export function shortInteger(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 127) throw new MmsPduError(`short integer out of range: ${n}`);
  return Buffer.from([n | 0x80]);
}

/** Long-integer: Short-length (1–30) then the value's octets, big-endian, without leading zeros. */
export function longInteger(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new MmsPduError(`long integer out of range: ${n}`);
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  if (octets.length === 0) octets.push(0);
  return Buffer.from([octets.length, ...octets]);
}

/** Integer-value: a Short-integer when it fits, else a Long-integer. */
export const integerValue = (n: number): Buffer => (n <= 127 ? shortInteger(n) : longInteger(n));

/** Value-length: Short-length (0–30), or Length-quote (31) and a uintvar. */
export const valueLength = (n: number): Buffer => (n <= 30 ? Buffer.from([n]) : Buffer.concat([Buffer.from([31]), uintvar(n)]));

/** A value in the general form: its length, then its octets. */
export const withLength = (value: Buffer): Buffer => Buffer.concat([valueLength(value.length), value]);

const NUL = Buffer.from([0]);

/** Text-string: the octets and NUL; Quote (127) first when the first octet has its top bit set. */
export function textString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  if (b.includes(0)) throw new MmsPduError('a text string cannot hold a NUL');
  return Buffer.concat([b.length > 0 && b[0]! >= 0x80 ? Buffer.from([0x7f]) : Buffer.alloc(0), b, NUL]);
}

/** Quoted-string: <"> then the text and NUL (Content-ID, §8.4.2.1). */
export function quotedString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.includes(0)) throw new MmsPduError('a quoted string cannot hold a NUL');
  return Buffer.concat([Buffer.from([0x22]), b, NUL]);
}

/** IANA MIBenum of UTF-8, the charset written for any text that is not plain ASCII. */
export const UTF8_MIB = 106;
const isAscii = (s: string): boolean => /^[\x20-\x7e]*$/.test(s);

/**
 * Encoded-string-value (OMA-TS-MMS_ENC §7.2.9): plain ASCII as a Text-string; anything else as
 * Value-length, the charset (UTF-8) as an Integer-value, and the UTF-8 Text-string.
 */
export function encodedString(s: string): Buffer {
  if (isAscii(s)) return textString(s);
  return withLength(Buffer.concat([integerValue(UTF8_MIB), textString(s)]));
}

/** A parameter of a content type: Charset (0x01), Name (0x05), Type (0x09), Start (0x0A), §8.4.2.4 (encoding 1.1–1.2). */
export type ContentParam = { charset: number } | { name: string } | { type: string } | { start: string };

function param(p: ContentParam): Buffer {
  if ('charset' in p) return Buffer.concat([shortInteger(0x01), integerValue(p.charset)]);
  if ('name' in p) return Buffer.concat([shortInteger(0x05), textString(p.name)]);
  if ('type' in p) return Buffer.concat([shortInteger(0x09), textString(p.type)]);
  return Buffer.concat([shortInteger(0x0a), textString(p.start)]);
}

/**
 * Well-known content types WSP assigns numbers to (WAP-230 Appendix A, Table 40); others are written
 * as text. Only those a handset is sent here: the MMS ones, text, SMIL's sibling types and common media.
 */
export const WELL_KNOWN_MEDIA: Readonly<Record<string, number>> = {
  'text/plain': 0x03,
  'image/gif': 0x1d,
  'image/jpeg': 0x1e,
  'image/png': 0x20,
  'image/vnd.wap.wbmp': 0x21,
  'application/vnd.wap.multipart.mixed': 0x23,
  'application/vnd.wap.multipart.related': 0x33,
  'application/vnd.wap.mms-message': 0x3e,
};

/** Content-type-value (§8.4.2.24): a bare short integer or text when it has no parameters, else the general form. */
export function contentType(type: string, params: ContentParam[] = []): Buffer {
  const lower = type.toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(lower)) throw new MmsPduError(`not a media type: ${type.slice(0, 80)}`);
  const code = WELL_KNOWN_MEDIA[lower];
  const media = code !== undefined ? shortInteger(code) : textString(lower);
  if (params.length === 0) return media;
  return withLength(Buffer.concat([media, ...params.map(param)]));
}

/** A part of a WSP multipart body: its content type, its headers (already encoded) and its octets. */
export interface MultipartEntry {
  contentType: Buffer;
  headers: Buffer;
  data: Buffer;
}

/** Multipart (§8.5.2): the number of entries, then each as HeadersLen, DataLen, ContentType, Headers, Data. */
export function multipart(entries: MultipartEntry[]): Buffer {
  const out: Buffer[] = [uintvar(entries.length)];
  for (const e of entries) out.push(uintvar(e.contentType.length + e.headers.length), uintvar(e.data.length), e.contentType, e.headers, e.data);
  return Buffer.concat(out);
}

/** Reads WSP-encoded values from a buffer, failing with MmsPduError on anything short or malformed. */
export class WspReader {
  constructor(
    private readonly b: Buffer,
    public at = 0,
  ) {}

  get done(): boolean {
    return this.at >= this.b.length;
  }

  octet(): number {
    if (this.at >= this.b.length) throw new MmsPduError('PDU ends too soon');
    return this.b[this.at++]!;
  }

  peek(): number {
    if (this.at >= this.b.length) throw new MmsPduError('PDU ends too soon');
    return this.b[this.at]!;
  }

  uintvar(): number {
    let n = 0;
    for (let i = 0; i < 5; i++) {
      const o = this.octet();
      n = n * 128 + (o & 0x7f);
      if ((o & 0x80) === 0) return n;
    }
    throw new MmsPduError('uintvar longer than 5 octets');
  }

  bytes(n: number): Buffer {
    if (this.at + n > this.b.length) throw new MmsPduError('PDU ends too soon');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** Text-string (a leading Quote dropped), as UTF-8. */
  text(): string {
    const end = this.b.indexOf(0, this.at);
    if (end < 0) throw new MmsPduError('text string without its NUL');
    let s = this.b.subarray(this.at, end);
    this.at = end + 1;
    if (s[0] === 0x7f || s[0] === 0x22) s = s.subarray(1);
    return s.toString('utf8');
  }

  /** Skips one header value of any form (§8.4.1.2): short-length data, length-quoted data, text, or one octet. */
  skipValue(): void {
    const first = this.peek();
    if (first <= 30) {
      this.at++;
      this.bytes(first);
    } else if (first === 31) {
      this.at++;
      this.bytes(this.uintvar());
    } else if (first < 128) {
      this.text();
    } else {
      this.at++;
    }
  }
}
