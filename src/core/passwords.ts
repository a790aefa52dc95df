import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// scrypt is memory-hard: N=2^15, r=8 uses 32 MiB per hash, ~50 ms here.
const N = 32768;
const R = 8;
const P = 1;
const MAXMEM = 64 * 1024 * 1024;

/** scrypt runs in this thread so far: the daemon's main thread must stay at its set-up count (tests check). */
let runHere = 0;
export const hashesInThisThread = (): number => runHere;

/** A new password's stored form. Synchronous: for the CLI and set-up, never for a login. */
export function hashPassword(password: string): string {
  runHere++;
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Whether `password` matches `stored`. CPU-bound for ~50 ms: only the password workers call it
 * (src/api/hash-pool.ts), never the event loop.
 */
export function verifyPasswordSync(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  runHere++;
  const got = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return timingSafeEqual(got, expected);
}

/**
 * What an unknown or disabled user is checked against, so it costs what a known user costs (no user
 * enumeration by timing). Random bytes in the stored form: no password matches it, and no hash is
 * computed to make it.
 */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;

/**
 * A short digest of a stored password hash. The hash is salted afresh at every change, so this differs
 * after any password change: tokens and open streams carry it to end when the password changes.
 */
export const passwordVersion = (passwordHash: string): string => createHash('sha256').update(passwordHash).digest('base64url').slice(0, 12);

export const randomPassword = (): string => randomBytes(18).toString('base64url');
