import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** Whether the hop at `address` (`hop` 0: the socket's peer) is a proxy of ours, whose X-Forwarded-For is believed. */
export type TrustProxy = (address: string, hop: number) => boolean;

/** Whether `entry` is what proxy-addr takes: an address, a CIDR, or loopback / linklocal / uniquelocal. */
export function isProxyEntry(entry: string): boolean {
  try {
    proxyAddr.compile(entry);
    return true;
  } catch {
    return false;
  }
}

/**
 * The one trust decision for `http.trust_proxy`: false (or an empty list) believes no X-Forwarded-For;
 * a list believes it only from those proxies, hop by hop from the socket, so the client's address is
 * the right-most one not ours — never the left-most, which the client writes itself. Fastify takes the
 * same function (req.ip), and the stream upgrade reads it through `clientAddress`.
 */
export function trustProxyOf(setting: false | readonly string[]): TrustProxy | false {
  return setting && setting.length ? proxyAddr.compile([...setting]) : false;
}

/** The address a raw request is counted as, as Fastify's req.ip reads it with the same `trust`. */
export function clientAddress(req: IncomingMessage, trust: TrustProxy | false): string {
  return trust ? proxyAddr(req, trust) : (req.socket.remoteAddress ?? '');
}
