import ipaddr from 'ipaddr.js';

/** What is wrong with a list of IP addresses and CIDR blocks (comma or space separated), or null. */
export function ipListProblem(entries: readonly string[]): string | null {
  for (const e of entries) {
    if (e.includes('/') ? !ipaddr.isValidCIDR(e) : !ipaddr.isValid(e)) return `${e.slice(0, 60)}: not an IP address or CIDR block`;
  }
  return null;
}

/** Whether `address` (an IPv4-mapped IPv6 address counts as its IPv4) is one of the entries; invalid entries match nothing. */
export function ipInList(address: string, entries: readonly string[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  for (const e of entries) {
    try {
      const [net, bits] = e.includes('/') ? ipaddr.parseCIDR(e) : [ipaddr.process(e), ipaddr.process(e).kind() === 'ipv4' ? 32 : 128];
      const n = net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() ? (net as ipaddr.IPv6).toIPv4Address() : net;
      const b = n !== net ? bits - 96 : bits;
      if (ip.kind() === n.kind() && ip.match(n, b)) return true;
    } catch {
      // Not an address: matches nothing (the face checks the list when it is written).
    }
  }
  return false;
}
