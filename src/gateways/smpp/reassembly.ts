import type { Concat } from './fields.js';

interface Pending<M> {
  meta: M;
  total: number;
  parts: Map<number, Buffer>;
  firstAt: number;
}

export interface Expired<M> {
  from: string;
  to: string;
  payload: Buffer;
  meta: M;
  received: number;
  missing: number[];
}

/**
 * Concatenated MO parts, gathered in any order by (sender, receiver, reference, total) until all are in.
 * Parts are raw payload bytes: an escape or surrogate pair split by the sender is joined before decoding.
 * A message whose parts stop coming is handed over incomplete after `timeoutMs` rather than lost.
 */
export class Reassembler<M = undefined> {
  private readonly pending = new Map<string, Pending<M>>();

  constructor(private readonly timeoutMs: number) {}

  /** Add a part (`meta` is kept from the first part that came, e.g. its data_coding); returns the whole once every part is in. */
  add(from: string, to: string, c: Concat, payload: Buffer, now: number, meta: M): { payload: Buffer; meta: M } | null {
    const key = `${from}|${to}|${c.ref}|${c.total}`;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { meta, total: c.total, parts: new Map(), firstAt: now }));
    p.parts.set(c.seq, payload);
    if (p.parts.size < p.total) return null;
    this.pending.delete(key);
    return { payload: joinParts(p), meta: p.meta };
  }

  /** Messages waiting longer than the timeout, with the parts that came (missing parts noted). */
  expire(now: number): Expired<M>[] {
    const out: Expired<M>[] = [];
    for (const [key, p] of this.pending) {
      if (now - p.firstAt < this.timeoutMs) continue;
      this.pending.delete(key);
      const [from, to] = key.split('|') as [string, string];
      const missing = Array.from({ length: p.total }, (_, i) => i + 1).filter((s) => !p.parts.has(s));
      out.push({ from, to, payload: joinParts(p), meta: p.meta, received: p.parts.size, missing });
    }
    return out;
  }

  get size(): number {
    return this.pending.size;
  }
}

const joinParts = <M>(p: Pending<M>): Buffer => Buffer.concat([...p.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b));
