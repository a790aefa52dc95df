/**
 * What the engine counted since it last told the main thread (issue 19's metrics): attempts ended by
 * provider and outcome, SMS parts submitted, fax pages, receipt latencies, callback deliveries. Plain data, sent
 * with the periodic stats message (every 100 ms at most), never a message per attempt.
 */
export interface TallyData {
  /** [providerId, outcome, count]; outcome is the attempt's end status (delivered, failed_retryable, sent, …). */
  attempts: [number, string, number][];
  /** [providerId, parts]. */
  parts: [number, number][];
  /** [providerId, fax pages of faxes that ended with pages (a resumed fax's pages once)]. */
  faxPages: [number, number][];
  /** [providerId, seconds from submit to receipt]. */
  receipts: [number, number][];
  /** [result, count]: delivered, retried, failed (given up). */
  callbacks: [string, number][];
  /** The newest attempts that ended in failure (at most MAX_FAILURES, oldest first), for the status page's last errors. */
  failures: AttemptFailure[];
}

/** One attempt that failed, as the status page's last errors show it. */
export interface AttemptFailure {
  at: number;
  providerId: number | null;
  jobId: number;
  destination: string;
  /** The attempt's end status (failed_retryable, undeliverable, rejected, …). */
  status: string;
  reason: string | null;
}

/** Receipt latencies kept between two stats messages; beyond it they are dropped (a sample still). */
const MAX_RECEIPTS = 20_000;
/** Failures kept between two stats messages: a sample of the newest, not a log (the attempts table is that). */
const MAX_FAILURES = 20;

export class Tally {
  private attempts = new Map<string, [number, string, number]>();
  private parts = new Map<number, number>();
  private pages = new Map<number, number>();
  private receipts: [number, number][] = [];
  private callbacks = new Map<string, number>();
  private failures: AttemptFailure[] = [];

  attemptEnded(providerId: number | null, outcome: string, n = 1): void {
    if (providerId === null) return;
    const key = `${providerId}\t${outcome}`;
    const row = this.attempts.get(key);
    if (row) row[2] += n;
    else this.attempts.set(key, [providerId, outcome, n]);
  }

  partsSubmitted(providerId: number | null, parts: number): void {
    if (providerId === null || parts <= 0) return;
    this.parts.set(providerId, (this.parts.get(providerId) ?? 0) + parts);
  }

  faxPages(providerId: number | null, pages: number): void {
    if (providerId === null || pages <= 0) return;
    this.pages.set(providerId, (this.pages.get(providerId) ?? 0) + pages);
  }

  receiptAfter(providerId: number | null, ms: number): void {
    if (providerId === null || ms < 0 || this.receipts.length >= MAX_RECEIPTS) return;
    this.receipts.push([providerId, ms / 1000]);
  }

  callback(result: 'delivered' | 'retried' | 'failed'): void {
    this.callbacks.set(result, (this.callbacks.get(result) ?? 0) + 1);
  }

  failed(f: AttemptFailure): void {
    this.failures.push(f);
    if (this.failures.length > MAX_FAILURES) this.failures.shift();
  }

  /** Add a committed batch's tally (a batch that rolled back is retried, and counted then). */
  merge(other: Tally): void {
    for (const [p, o, n] of other.attempts.values()) this.attemptEnded(p, o, n);
    for (const [p, n] of other.parts) this.partsSubmitted(p, n);
    for (const [p, n] of other.pages) this.faxPages(p, n);
    for (const [p, s] of other.receipts) this.receiptAfter(p, s * 1000);
    for (const [r, n] of other.callbacks) this.callbacks.set(r, (this.callbacks.get(r) ?? 0) + n);
    for (const f of other.failures) this.failed(f);
  }

  /** What was counted, and start again; null when nothing was. */
  take(): TallyData | null {
    if (!this.attempts.size && !this.parts.size && !this.pages.size && !this.receipts.length && !this.callbacks.size && !this.failures.length) return null;
    const data: TallyData = { attempts: [...this.attempts.values()], parts: [...this.parts], faxPages: [...this.pages], receipts: this.receipts, callbacks: [...this.callbacks], failures: this.failures };
    this.attempts = new Map();
    this.parts = new Map();
    this.pages = new Map();
    this.receipts = [];
    this.callbacks = new Map();
    this.failures = [];
    return data;
  }
}
