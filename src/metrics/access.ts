import { createHash, timingSafeEqual } from 'node:crypto';
import proxyAddr from '@fastify/proxy-addr';
import { bearerToken } from '../core/bearer.js';

/** Who may scrape: 'ok', or the status a refusal answers with (403: not an allowed address; 401: no or a wrong token). */
export type ScrapeAccess = (address: string, authorization: string | undefined) => 'ok' | 401 | 403;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * metrics.allow and metrics.token: the address must be allowed, and when a token is set the request
 * must also bring it as a bearer token. Compared as digests, in constant time.
 */
export function scrapeAccess(allow: readonly string[], token: string | null): ScrapeAccess {
  const allowed = allow.length ? proxyAddr.compile([...allow]) : () => false;
  const want = token === null ? null : digest(token);
  return (address, authorization) => {
    if (!address || !allowed(address, 0)) return 403;
    if (want === null) return 'ok';
    const given = bearerToken(authorization);
    return given && timingSafeEqual(digest(given), want) ? 'ok' : 401;
  };
}
