import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallbackStore, CallbackRow } from '../store/callbacks.js';
import type { AddressPolicy } from '../net/address-policy.js';
import { safeRequest, UrlRefused } from '../net/safe-http.js';
import type { Clock } from '../core/clock.js';

export interface OutboxOptions {
  secret: string | null;
  timeoutMs: number;
  maxTries: number;
  backoffSeconds: number;
  concurrency: number;
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

  start(): void {
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
      for (const row of this.store.due(now, room + this.busy.size)) {
        if (this.busy.has(row.id) || this.inFlight >= this.opts.concurrency) continue;
        this.busy.add(row.id);
        this.inFlight++;
        void this.deliver(row).finally(() => {
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

  private async deliver(row: CallbackRow): Promise<void> {
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
        this.store.delivered(row.id, this.clock.now());
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
      this.store.failed(row.id, this.clock.now(), error);
      this.opts.onResult?.('failed');
      this.log.warn({ callbackId: row.id, url: row.url, tries, error }, 'callback failed for good');
    } else {
      const delay = Math.min(this.opts.backoffSeconds * 2 ** (tries - 1), 3600) * 1000;
      this.store.retry(row.id, this.clock.now() + delay, error);
      this.opts.onResult?.('retried');
      this.log.info({ callbackId: row.id, tries, error, retryInMs: delay }, 'callback will be retried');
    }
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
