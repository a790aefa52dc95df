import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallbackStore, CallbackRow, CallbackClaim } from '../store/callbacks.js';
import type { AddressPolicy } from '../net/address-policy.js';
import { safeRequest, UrlRefused } from '../net/safe-http.js';
import type { Clock } from '../core/clock.js';

export interface OutboxOptions {
  secret: string | null;
  timeoutMs: number;
  maxTries: number;
  backoffSeconds: number;
  concurrency: number;
  /**
   * This daemon's node.id: the name its claims carry, so that several daemons on one store deliver
   * each callback once. Default 'local' (one daemon).
   */
  node?: string;
  /**
   * How long a claim keeps other nodes off a callback; a node that dies mid-delivery holds it this
   * long. Default: twice the request's timeout and a minute more, so a live delivery never outlasts it.
   */
  claimMs?: number;
  /** Told each delivery's result, for the metrics: delivered, retried later, or failed for good. */
  onResult?: (result: 'delivered' | 'retried' | 'failed') => void;
}

export const SIGNATURE_HEADER = 'X-Switchpost-Signature';
export const TIMESTAMP_HEADER = 'X-Switchpost-Timestamp';

/** HMAC-SHA256 over "timestamp.body", hex; the receiver recomputes it with the shared secret. */
export const signCallback = (secret: string, timestamp: string, body: string): string => 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/**
 * Delivers the durable callback outbox. Runs beside the spool and never blocks it: a slow or dead
 * receiver only delays its own callbacks. Retried with exponential backoff; survives restarts because
 * every callback is a row until it is delivered or has used its tries.
 *
 * Several daemons (nodes) sharing a store deliver each callback once: a node claims the due rows it
 * takes in one statement (its node.id and the claim's end, `CallbackStore.claim`) and writes each
 * result only while the claim is still its own. A node that dies mid-delivery keeps its claims until
 * they end; then another node delivers them. That one may repeat a delivery the dead node made but
 * could not record: at least once, the receiver tells repeats by X-Switchpost-Delivery.
 */
export class Outbox {
  private readonly busy = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly store: CallbackStore,
    private readonly policy: AddressPolicy,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: OutboxOptions,
  ) {}

  private get node(): string {
    return this.opts.node ?? 'local';
  }

  start(): void {
    // This node's earlier run is gone (a node.id is one daemon's): what it was delivering is due now.
    const released = this.store.releaseClaims(this.node);
    if (released) this.log.info({ callbacks: released }, 'callbacks claimed by this node before its restart are due again');
    this.running = true;
    this.wake();
  }

  wake(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), 0);
  }

  private pump(): void {
    this.timer = null;
    if (!this.running) return;
    const room = this.opts.concurrency - this.inFlight;
    if (room > 0) {
      const now = this.clock.now();
      const claim: CallbackClaim = { node: this.node, until: now + (this.opts.claimMs ?? 2 * this.opts.timeoutMs + 60_000) };
      for (const row of this.store.claim(now, room, claim)) {
        // Claimed again while its delivery runs here (a claim outlived): the running one writes the result.
        if (this.busy.has(row.id)) continue;
        this.busy.add(row.id);
        this.inFlight++;
        void this.deliver(row, claim).finally(() => {
          this.busy.delete(row.id);
          this.inFlight--;
          if (this.inFlight === 0) for (const f of this.idle.splice(0)) f();
          this.wake();
        });
      }
    }
    const next = this.store.nextAt();
    if (next !== null && this.inFlight < this.opts.concurrency) {
      const wait = Math.max(50, Math.min(next - this.clock.now(), 5000));
      this.timer = setTimeout(() => this.pump(), wait);
    }
  }

  private async deliver(row: CallbackRow, claim: CallbackClaim): Promise<void> {
    const ts = Math.floor(this.clock.now() / 1000).toString();
    const headers: Record<string, string> = { 'content-type': row.content_type, 'user-agent': 'switchpost', 'x-switchpost-delivery': String(row.id) };
    if (this.opts.secret) {
      headers[TIMESTAMP_HEADER.toLowerCase()] = ts;
      headers[SIGNATURE_HEADER.toLowerCase()] = signCallback(this.opts.secret, ts, row.body);
    }
    let error: string;
    let permanent = false;
    try {
      const res = await safeRequest(row.url, { method: 'POST', headers, body: row.body, timeoutMs: this.opts.timeoutMs, policy: this.policy });
      if (res.status >= 200 && res.status < 300) {
        if (!this.store.delivered(row.id, this.clock.now(), claim)) this.lost(row);
        this.opts.onResult?.('delivered');
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
      permanent = err instanceof UrlRefused; // a refused address or URL: no try will differ
    }
    const tries = row.tries + 1;
    if (tries >= this.opts.maxTries || permanent) {
      if (!this.store.failed(row.id, this.clock.now(), error, claim)) return this.lost(row);
      this.opts.onResult?.('failed');
      this.log.warn({ callbackId: row.id, url: row.url, tries, error }, 'callback failed for good');
    } else {
      const delay = Math.min(this.opts.backoffSeconds * 2 ** (tries - 1), 3600) * 1000;
      if (!this.store.retry(row.id, this.clock.now() + delay, error, claim)) return this.lost(row);
      this.opts.onResult?.('retried');
      this.log.info({ callbackId: row.id, tries, error, retryInMs: delay }, 'callback will be retried');
    }
  }

  /** The claim ended before the result was written and another claim has the row: its result is that one's. */
  private lost(row: CallbackRow): void {
    this.log.warn({ callbackId: row.id, url: row.url }, "callback's claim ended before its delivery did: the result is left to the node that claimed it since");
  }

  /** Stop starting new deliveries; wait up to `ms` for those under way. */
  async stop(ms: number): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight === 0) return;
    await Promise.race([new Promise<void>((r) => this.idle.push(r)), new Promise((r) => setTimeout(r, ms))]);
  }
}
