/**
 * The token in a hosted media URL: what it serves (`mms`, the M-Retrieve.conf; `file`, a raw media
 * file for the SMS link), the reference the caller chose for it, its expiry, and an HMAC-SHA256 of
 * those under the daemon's key (truncated to 128 bits), so a URL can be neither guessed nor altered
 * and needs nothing stored to be checked. Compared in constant time; an expiry is believed only when
 * the MAC holds, so a forged token never learns whether it would have been expired.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type HostedKind = 'mms' | 'file';

/** The daemon's path for hosted media: `<base>/m/<token>` (kept short: the URL goes in an SMS). */
export const HOSTED_PATH = '/m';
export const hostedUrl = (base: string, token: string): string => `${base.replace(/\/+$/, '')}${HOSTED_PATH}/${token}`;
export interface HostedClaims {
  kind: HostedKind;
  /** The caller's name for what is served: letters, digits, "_" and "-", at most 64. */
  ref: string;
  /** When the URL stops working. */
  expiresAt: Date;
}

export type TokenCheck = { ok: true; claims: HostedClaims } | { ok: false; reason: 'forged' | 'expired' };

const KIND_LETTER: Record<HostedKind, string> = { mms: 'm', file: 'f' };
const TOKEN = /^([mf])\.([A-Za-z0-9_-]{1,64})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/;
export const HOSTED_REF = /^[A-Za-z0-9_-]{1,64}$/;

/** A key of its own for these MACs, from the daemon's secret (never the secret itself). */
export const hostedKey = (secret: Buffer): Buffer => createHmac('sha256', secret).update('switchpost hosted media v1').digest();

const mac = (key: Buffer, body: string): Buffer => createHmac('sha256', key).update(body).digest().subarray(0, 16);

export function signHostedToken(c: HostedClaims, key: Buffer): string {
  if (!HOSTED_REF.test(c.ref)) throw new RangeError('ref: 1 to 64 of A-Z a-z 0-9 _ -');
  const body = `${KIND_LETTER[c.kind]}.${c.ref}.${Math.ceil(c.expiresAt.getTime() / 1000).toString(36)}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

export function checkHostedToken(token: string, key: Buffer, now: number): TokenCheck {
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'forged' };
  const body = `${m[1]}.${m[2]}.${m[3]}`;
  // The MAC's text is compared, not its decoded bytes: the last of 22 base64url characters carries
  // 4 unused bits, so decoding would let four spellings of one MAC pass.
  const given = Buffer.from(m[4]!);
  const want = Buffer.from(mac(key, body).toString('base64url'));
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: 'forged' };
  const expiresAt = new Date(parseInt(m[3]!, 36) * 1000);
  if (expiresAt.getTime() <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { kind: m[1] === 'm' ? 'mms' : 'file', ref: m[2]!, expiresAt } };
}
