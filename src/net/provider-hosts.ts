import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.js';

/**
 * Null when a provider that is not an administrator's may connect to `host`, else why not.
 * Only IP addresses are checked and taken: the drivers (SMPP sockets, Kannel's HTTP, the event socket)
 * resolve a name again at every connect, so a name checked once could re-resolve to an internal
 * address (DNS rebinding). A literal IP is the address connected to. Allow-listed hosts pass as given.
 */
export function providerHostProblem(policy: AddressPolicy, host: string): string | null {
  const h = host.trim().replace(/^\[|\]$/g, '');
  if (policy.hostAllowed(h)) return null;
  if (!isIP(h)) return `a reseller's provider takes an IP address, not a name (a name can re-resolve to an internal address); an administrator may allow-list "${h.slice(0, 100)}" in agent_providers.allow_hosts`;
  const why = policy.check(h);
  return why && `${why}, refused for a reseller's provider unless an administrator allow-lists it in agent_providers.allow_hosts`;
}
