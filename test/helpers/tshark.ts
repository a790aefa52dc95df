// Decoding bytes with a real decoder: Wireshark's dissectors, through tshark. Each payload is put in
// a UDP/IPv4 packet, or a TCP one (a stream's segments in order), of a pcap file (libpcap's format: a
// 24-octet file header, then per packet a 16-octet record header and the packet; link type 101, raw
// IP) and read back with `tshark -T json`.
// A missing tshark fails the test (scripts/install.sh installs it), never skips it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface UdpPacket {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  /** Sent over TCP: the segment's sequence number (a stream's segments follow one another). */
  tcpSeq?: number;
}

/** A TCP stream's payloads as consecutive segments from srcPort to dstPort. */
export function tcpStream(srcPort: number, dstPort: number, payloads: Buffer[]): UdpPacket[] {
  let seq = 1000;
  return payloads.map((payload) => {
    const p = { srcPort, dstPort, payload, tcpSeq: seq };
    seq += payload.length;
    return p;
  });
}

function ipv4Checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function transport(p: UdpPacket): Buffer {
  if (p.tcpSeq === undefined) {
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(p.srcPort, 0);
    udp.writeUInt16BE(p.dstPort, 2);
    udp.writeUInt16BE(8 + p.payload.length, 4);
    udp.writeUInt16BE(0, 6); // no checksum (allowed over IPv4)
    return udp;
  }
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(p.srcPort, 0);
  tcp.writeUInt16BE(p.dstPort, 2);
  tcp.writeUInt32BE(p.tcpSeq, 4);
  tcp.writeUInt32BE(1, 8);
  tcp[12] = 5 << 4; // header of 5 words
  tcp[13] = 0x18; // PSH, ACK
  tcp.writeUInt16BE(65535, 14); // window; checksum left 0 (tshark does not check it by default)
  return tcp;
}

function udpIpv4(p: UdpPacket): Buffer {
  const l4 = transport(p);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length + p.payload.length, 2);
  ip[8] = 64; // TTL
  ip[9] = p.tcpSeq === undefined ? 17 : 6; // UDP or TCP
  Buffer.from([10, 0, 0, 1]).copy(ip, 12);
  Buffer.from([10, 0, 0, 2]).copy(ip, 16);
  ip.writeUInt16BE(ipv4Checksum(ip), 10);
  return Buffer.concat([ip, l4, p.payload]);
}

export function pcapOf(packets: UdpPacket[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16); // snaplen
  head.writeUInt32LE(101, 20); // LINKTYPE_RAW
  const out = [head];
  packets.forEach((p, i) => {
    const pkt = udpIpv4(p);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(pkt.length, 8);
    rec.writeUInt32LE(pkt.length, 12);
    out.push(rec, pkt);
  });
  return Buffer.concat(out);
}

/** A decoded packet's layers, as `tshark -T json` writes them (field name → value or nested object). */
export type Layers = Record<string, unknown>;

/** Runs tshark over the packets; returns each packet's `_source.layers`. Throws when tshark is missing or fails. */
export function tshark(packets: UdpPacket[], extraArgs: string[] = []): Layers[] {
  const dir = mkdtempSync(join(tmpdir(), 'sp-tshark-'));
  try {
    const file = join(dir, 'cap.pcap');
    writeFileSync(file, pcapOf(packets));
    const r = spawnSync('tshark', ['-r', file, '-V', '-T', 'json', '--no-duplicate-keys', ...extraArgs], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HOME: dir } });
    if (r.error) throw new Error(`tshark could not run (install it: scripts/install.sh): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
    return (JSON.parse(r.stdout) as { _source: { layers: Layers } }[]).map((p) => p._source.layers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every value of a field anywhere in a decoded tree (tshark nests fields under their subtrees). */
export function fieldValues(tree: unknown, name: string): unknown[] {
  const out: unknown[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === name) (Array.isArray(v) ? v : [v]).forEach((x) => out.push(x));
        walk(v);
      }
    }
  };
  walk(tree);
  return out;
}

/** The one value of a field; throws when it is absent or not unique. */
export function field(tree: unknown, name: string): unknown {
  const v = fieldValues(tree, name);
  if (v.length !== 1) throw new Error(`${name}: ${v.length} values (${JSON.stringify(v).slice(0, 200)})`);
  return v[0];
}
