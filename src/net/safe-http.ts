import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, promises as dnsPromises, type LookupAddress } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.js';
import type { Catalogued } from '../core/errors.js';

export interface SafeResponse {
  status: number;
  body: string;
  /** The body's bytes (up to maxResponseBytes). */
  bytes: Buffer;
  /** The body was longer than maxResponseBytes and was cut. */
  truncated: boolean;
}

/** Why an outbound URL is not called: not a URL, not http(s), credentials in it, or an address the policy refuses. */
export type UrlRefusalCode = 'invalid' | 'scheme' | 'credentials' | 'address';

/** An outbound URL that will not be called, whatever the try: the outbox gives it up at once. */
export class UrlRefused extends Error implements Catalogued {
  override name = 'UrlRefused';
  readonly errorCode = 'url_refused';
  constructor(
    readonly code: UrlRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** The address (as connected, or every address the name resolves to) is one the policy refuses. */
export class BlockedAddressError extends UrlRefused {
  override name = 'BlockedAddressError';
  constructor(message: string) {
    super('address', message);
  }
}

/** Reject a URL that is not http(s) or has credentials in it; returns the parsed URL. */
export function checkUrl(raw: string): URL | UrlRefused {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return new UrlRefused('invalid', 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return new UrlRefused('scheme', 'only http and https URLs are allowed');
  if (url.username || url.password) return new UrlRefused('credentials', 'credentials in the URL are not allowed');
  return url;
}

/** Submit-time lookups at once; past this a callback is not resolved at submit (the outbox still checks it). */
const MAX_SUBMIT_LOOKUPS = 16;
let submitLookups = 0;

/**
 * Why a URL given at submit (a callback) would be refused when called, else null: the client hears it
 * as a validation error now instead of a callback dropped later. A literal IP is checked directly; a
 * name is resolved and refused when every address it has is refused. A name that does not resolve
 * now, or not within `timeoutMs`, passes: the outbox checks the address it really connects to anyway.
 *
 * Names are looked up as getaddrinfo would, but never on libuv's thread pool (4 threads that file
 * I/O shares, and a getaddrinfo whose DNS never answers holds one until the system resolver gives
 * up): `localhost` and `*.localhost` are loopback (RFC 6761), a name in /etc/hosts has the addresses
 * listed there, any other name is asked of DNS through c-ares (A and AAAA, one try, `timeoutMs`), at
 * most MAX_SUBMIT_LOOKUPS at a time — past that the check is skipped. Names only NSS modules other
 * than files and dns know (mdns, LDAP…) are not seen here; the outbox's check at send covers them.
 */
export async function refusedUrl(raw: string, policy: AddressPolicy, timeoutMs = 2000): Promise<UrlRefused | null> {
  const url = checkUrl(raw);
  if (url instanceof UrlRefused) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (policy.hostAllowed(host)) return null;
  if (isIP(host)) return refusedBecause(policy.check(host));
  const list = await submitAddresses(host.toLowerCase().replace(/\.$/, ''), timeoutMs);
  if (list === null || list.length === 0 || list.some((a) => policy.check(a) === null)) return null;
  return refusedBecause(`${host} resolves only to refused addresses (${list.join(', ')})`);
}

/** A name's addresses for the submit-time check; null when unknown (not found, too slow, too many lookups). */
async function submitAddresses(name: string, timeoutMs: number): Promise<string[] | null> {
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.1', '::1'];
  const listed = await hostsFileAddresses(name);
  if (listed.length > 0) return listed;
  if (submitLookups >= MAX_SUBMIT_LOOKUPS) return null;
  submitLookups++;
  const resolver = new dnsPromises.Resolver({ timeout: timeoutMs, tries: 1 });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)));
  const answers = Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]).then(([v4, v6]) => {
    // A family that failed for another reason than "no such name / no such record" leaves the name unknown.
    const unknown = [v4, v6].some((r) => r.status === 'rejected' && !NO_ANSWER.has((r.reason as { code?: string }).code ?? ''));
    return unknown ? null : [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  });
  try {
    return await Promise.race([answers, late]);
  } finally {
    clearTimeout(timer);
    resolver.cancel(); // its queries end now (ECANCELLED), their sockets closed
    submitLookups--;
  }
}

const NO_ANSWER = new Set<string>([dnsPromises.NOTFOUND, dnsPromises.NODATA]);

/** The addresses /etc/hosts gives a name (getaddrinfo's "files" source), none when it is not there or unreadable. */
async function hostsFileAddresses(name: string, file = '/etc/hosts'): Promise<string[]> {
  const text = await readFile(file, 'latin1').catch(() => '');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (address && isIP(address) && names.some((n) => n.toLowerCase() === name)) out.push(address);
  }
  return out;
}

const refusedBecause = (why: string | null): BlockedAddressError | null => (why === null ? null : new BlockedAddressError(`${why}; only public addresses are called`));

/**
 * A request that connects only to addresses the policy allows. The check runs on the address the
 * socket will really use (in the DNS lookup hook), so a name that re-resolves cannot slip through.
 */
export function safeRequest(rawUrl: string, opts: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number; policy: AddressPolicy; maxResponseBytes?: number }): Promise<SafeResponse> {
  return new Promise((resolve, reject) => {
    const url = checkUrl(rawUrl);
    if (url instanceof UrlRefused) return reject(url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const trusted = opts.policy.hostAllowed(host);
    if (isIP(host) && !trusted) {
      const why = opts.policy.check(host);
      if (why) return reject(new BlockedAddressError(why));
    }
    const lookup: LookupFunction = (hostname, options, cb) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return cb(err, '', 0);
        const list = addresses as LookupAddress[];
        const ok = list.filter((a) => trusted || opts.policy.check(a.address) === null);
        if (ok.length === 0) return cb(new BlockedAddressError(`${hostname} resolves only to refused addresses (${list.map((a) => a.address).join(', ')})`), '', 0);
        if ((options as { all?: boolean }).all) return (cb as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
        cb(null, ok[0]!.address, ok[0]!.family);
      });
    };
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: opts.method, headers: opts.headers, lookup, timeout: opts.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const max = opts.maxResponseBytes ?? 64 * 1024;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= max) chunks.push(c);
        else res.destroy();
      });
      const done = () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, body: bytes.toString('utf8'), bytes, truncated: size > max });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', (err) => (size > max ? done() : reject(err)));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
