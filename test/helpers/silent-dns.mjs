// Submit-time callback checks against a DNS server that never answers. Run by test/events/callbacks.test.ts
// in mount and network namespaces of its own, where /etc/resolv.conf names 127.0.0.1 (this script's
// silent server) and /etc/hosts lists intranet-host. Prints timings and answers as JSON.
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { AddressPolicy } from '../../dist/net/address-policy.js';
import { refusedUrl } from '../../dist/net/safe-http.js';

const queries = { n: 0 };
const silent = createSocket('udp4').on('message', () => queries.n++);
await new Promise((r) => silent.bind(53, '127.0.0.1', r));
const policy = new AddressPolicy();
const timed = async (p) => {
  const t = Date.now();
  const value = await p;
  return { value, ms: Date.now() - t };
};
// More checks than libuv has pool threads, and than the cap on lookups at once.
const started = Date.now();
const checks = Array.from({ length: 20 }, (_, i) => timed(refusedUrl(`http://silent-${i}.example/cb`, policy)));
// File I/O shares libuv's pool with getaddrinfo: it must not wait for the silent lookups.
const file = await timed(readFile('/etc/hostname').catch(() => readFile('/etc/passwd')));
const results = await Promise.all(checks);
console.log(
  JSON.stringify({
    fileMs: file.ms,
    answers: [...new Set(results.map((r) => r.value?.message ?? null))],
    slowestMs: Math.max(...results.map((r) => r.ms)),
    // Which 16 get a lookup depends on which /etc/hosts read ends first, not on their order here.
    overCap: results.filter((r) => r.ms < 1000).length,
    allMs: Date.now() - started,
    queries: queries.n,
    localhost: (await refusedUrl('http://localhost:8080/cb', policy))?.message,
    subLocalhost: (await refusedUrl('http://api.localhost/cb', policy))?.message,
    hostsFile: (await refusedUrl('http://Intranet-Host./cb', policy))?.message,
  }),
);
silent.close();
