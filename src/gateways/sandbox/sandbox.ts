import type { Delivery, Gateway, GatewaySink } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';
import type { SandboxLine } from './line.js';
import { sandboxCall } from './calls.js';
import { SandboxFax } from './fax.js';
import { SandboxEmail } from './email.js';
import { sandboxMms } from './mms.js';

export interface SandboxTiming {
  accept_ms: readonly [number, number];
  receipt_ms: readonly [number, number];
  delayed_receipt_ms: number;
  reply_ms: number;
}

/** What the sandbox does with a destination, by its last three digits (see README.md). */
export type SandboxBehaviour = 'delivered' | 'undeliverable' | 'expired' | 'rejected' | 'delayed' | 'throttled_once' | 'reply' | 'optout_reply' | 'no_receipt' | 'link_down';

const BY_SUFFIX: Record<string, SandboxBehaviour> = {
  '001': 'undeliverable',
  '002': 'expired',
  '003': 'rejected',
  '004': 'delayed',
  '005': 'throttled_once',
  '006': 'reply',
  '007': 'optout_reply',
  '008': 'no_receipt',
  '009': 'link_down',
};

export const sandboxBehaviour = (destination: string): SandboxBehaviour => BY_SUFFIX[destination.slice(-3)] ?? 'delivered';

export const SANDBOX_REPLY_TEXT = 'Yes, thanks';
export const SANDBOX_OPTOUT_TEXT = 'STOP';

/**
 * A built-in provider that behaves like a network: accepts asynchronously, sends receipts by message id
 * later, and answers 2-way messages, so the API works end to end before any real peer exists.
 */
export class SandboxGateway implements Gateway {
  private nextPeerId = 1;
  // Message ids stay unique across restarts, like a real SMSC's: a per-run prefix from the start time.
  private readonly runPrefix = Math.floor(Date.now() / 1000).toString(16);
  private readonly throttled = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private up = false;
  /** What the channels' simulations (calls.ts, fax.ts) use of this sandbox. */
  private readonly line: SandboxLine = {
    report: (attemptId, outcome) => this.sink.report({ attemptId, at: Date.now(), outcome }),
    later: (ms, fn) => this.later(ms, fn),
    peerId: () => this.newPeerId(),
    ringMs: () => this.between(this.timing.receipt_ms),
  };
  private readonly fax = new SandboxFax(this.line);
  private readonly email: SandboxEmail;

  constructor(
    readonly providerId: number,
    private readonly sink: GatewaySink,
    private readonly timing: SandboxTiming,
    private readonly rand: () => number = Math.random,
  ) {
    this.email = new SandboxEmail(sink, this.runPrefix, (fn) => this.later(this.between(this.timing.receipt_ms), fn));
  }

  async start(): Promise<void> {
    this.up = true;
    this.sink.health(this.providerId, true);
  }

  async stop(): Promise<void> {
    this.up = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  isUp(): boolean {
    return this.up;
  }

  send(d: Delivery): void {
    // Calls and faxes end as the FreeSWITCH gateway reports them (calls.ts, fax.ts); their own test numbers.
    if (d.kind === 'call') return this.later(this.between(this.timing.accept_ms), () => sandboxCall(this.line, d));
    if (d.kind === 'fax') return this.later(this.between(this.timing.accept_ms), () => this.fax.send(d));
    if (d.kind === 'email') return this.later(this.between(this.timing.accept_ms), () => this.email.accept(d));
    if (d.kind === 'mms') {
      const receipt = (peerId: string, outcome: Outcome) => this.sink.report({ providerId: this.providerId, peerId, at: Date.now(), outcome });
      const reply = () => this.sink.inbound({ providerId: this.providerId, channel: 'mms', from: d.destination, to: d.sender, text: SANDBOX_REPLY_TEXT, at: Date.now() });
      return this.later(this.between(this.timing.accept_ms), () => sandboxMms(this.line, d, receipt, reply));
    }
    const behaviour = sandboxBehaviour(d.destination);
    this.later(this.between(this.timing.accept_ms), () => this.accept(d, behaviour));
  }

  private accept(d: Delivery, behaviour: SandboxBehaviour): void {
    const report = (outcome: Outcome) => this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
    // The report has the SMS's real parts, as the spool planned them for this link.
    const plan = d.kind === 'sms' ? d.sms.plan : null;
    if (behaviour === 'rejected') return report({ kind: 'failed', retryable: false, state: 'rejected', reason: 'rejected by the network', code: '0x00000045' });
    if (behaviour === 'link_down') return report({ kind: 'failed', retryable: true, reason: 'link down', code: 'link_down' });
    if (behaviour === 'throttled_once' && !this.throttled.has(d.destination)) {
      this.throttled.add(d.destination);
      return report({ kind: 'failed', retryable: true, reason: 'throttled', code: '0x00000058' });
    }
    const peerId = this.newPeerId();
    report({ kind: 'accepted', peerId, awaitReceipt: true, parts: plan?.parts.length ?? 1, encoding: plan?.encoding ?? 'gsm7' });
    if (behaviour === 'no_receipt') return;
    const receiptIn = behaviour === 'delayed' ? this.timing.delayed_receipt_ms : this.between(this.timing.receipt_ms);
    const status = behaviour === 'undeliverable' ? 'undeliverable' : behaviour === 'expired' ? 'expired' : 'delivered';
    const outcome: Outcome = { kind: 'receipt', status, code: status === 'delivered' ? '000' : status === 'expired' ? '003' : '001', text: status === 'delivered' ? undefined : status.toUpperCase() };
    this.later(receiptIn, () => this.sink.report({ providerId: this.providerId, peerId, at: Date.now(), outcome }));
    if (behaviour === 'reply' || behaviour === 'optout_reply') {
      const text = behaviour === 'reply' ? SANDBOX_REPLY_TEXT : SANDBOX_OPTOUT_TEXT;
      this.later(receiptIn + this.timing.reply_ms, () => this.sink.inbound({ providerId: this.providerId, channel: 'sms', from: d.destination, to: d.sender, text, at: Date.now() }));
    }
  }

  private newPeerId(): string {
    return this.runPrefix + (this.nextPeerId++).toString(16).padStart(8, '0');
  }

  private between([lo, hi]: readonly [number, number]): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  private later(ms: number, fn: () => void): void {
    if (!this.up) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.up) fn();
    }, ms);
    this.timers.add(t);
  }
}

/**
 * The i-th of 90 million distinct valid Australian mobile numbers whose last three digits are never a
 * behaviour code (100–999): the sandbox delivers every one. For tests and benchmarks.
 */
export const deliveredTestNumber = (i: number): string => `+614${String(Math.floor(i / 900)).padStart(5, '0')}${100 + (i % 900)}`;
