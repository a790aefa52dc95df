import ipaddr from 'ipaddr.js';

/**
 * Which addresses an outbound request (callback, file download) may reach. Only public unicast
 * addresses by default: loopback, private, link-local, CGNAT and the rest are refused unless allow-listed.
 */
export class AddressPolicy {
  private readonly hosts = new Set<string>();
  private readonly cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      if (entry.includes('/')) this.cidrs.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) this.cidrs.push([ipaddr.process(entry), ipaddr.process(entry).kind() === 'ipv4' ? 32 : 128]);
      else this.hosts.add(entry.toLowerCase());
    }
  }

  hostAllowed(host: string): boolean {
    return this.hosts.has(host.toLowerCase());
  }

  /** Null when the address may be reached, else why not. */
  check(address: string): string | null {
    if (!ipaddr.isValid(address)) return `not an IP address: ${address}`;
    const ip = ipaddr.process(address);
    for (const [net, bits] of this.cidrs) if (ip.kind() === net.kind() && ip.match(net, bits)) return null;
    const range = ip.range();
    // ::/96 (IPv4-compatible, deprecated) embeds an IPv4 address the range does not see (::7f00:1 is 127.0.0.1).
    if (
      range === 'unicast' &&
      ip.kind() === 'ipv6' &&
      ip
        .toByteArray()
        .slice(0, 12)
        .every((b) => b === 0)
    )
      return `${address} is an IPv4-compatible address`;
    return range === 'unicast' ? null : `${address} is a ${range} address`;
  }
}
