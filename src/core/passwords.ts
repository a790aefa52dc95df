import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt is memory-hard: N=2^15, r=8 uses 32 MiB per hash, ~50 ms here.
const N = 32768;
const R = 8;
const P = 1;
const MAXMEM = 64 * 1024 * 1024;

/** A new password's stored form. Synchronous: for the CLI and set-up, never for a login. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const scryptAsync = (password: string, salt: Buffer, len: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scrypt(password, salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** Whether `password` matches `stored`. The hash runs in libuv's threadpool, never on the event loop. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
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
