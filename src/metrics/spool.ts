import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ACTIVE_STATES } from '../core/model.js';
import type { TallyData } from '../spool/tally.js';
import type { SpoolLevels } from '../store/spool-gauges.js';

/** Where the spool's metrics come from; the engine's thread is reached only through `levels` (a store call). */
export interface SpoolSources {
  /** The spool's levels, read on the engine's thread (asynchronous: a message there and back). */
  levels(): Promise<SpoolLevels>;
  /** Each known provider's gateway link now (binds, event socket), as the main thread holds them. */
  links(): { providerId: number; up: boolean; liveCalls?: number | undefined }[];
  inFlight(): number;
  /** The channels whose depth is always reported (0 when empty), so a series does not vanish when it drains. */
  channels: readonly string[];
  now(): number;
  onError(err: unknown): void;
}

/** Receipts come in a second (a sandbox, a fast SMSC) or hours later (a phone that was off). */
const RECEIPT_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];

/** How long a scrape waits for the spool's levels. */
const LEVELS_MS = 2000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the spool's thread in ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The spool's metrics: counters from what the engine counted (its tally, with its stats), gauges read
 * at scrape time. Providers are labelled by name (an id means nothing on a dashboard).
 */
export class SpoolMetrics {
  private readonly names = new Map<number, string>();
  private readonly attempts: Counter<'provider' | 'outcome'>;
  private readonly parts: Counter<'provider'>;
  private readonly receipts: Histogram<'provider'>;
  private readonly callbacks: Counter<'result'>;
  private readonly faxPages: Counter<'provider'>;
  /** The read under way, shared by the gauges that need it (one per scrape). */
  private reading: Promise<SpoolLevels | null> | null = null;

  constructor(registry: Registry, sources: SpoolSources) {
    const registers = [registry];
    this.attempts = new Counter({
      name: 'switchpost_attempts_total',
      help: 'Attempts ended, by provider and outcome (delivered, sent, undeliverable, expired, rejected, unknown, failed, failed_retryable, held, …).',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    this.faxPages = new Counter({ name: 'switchpost_fax_pages_total', help: "Fax pages delivered, by provider: a fax's pages, counted once as it ends (a fax resumed after a failed try counts its pages once).", labelNames: ['provider'], registers });
    this.parts = new Counter({ name: 'switchpost_sms_parts_submitted_total', help: 'SMS parts the providers took (a long message counts each part).', labelNames: ['provider'], registers });
    this.receipts = new Histogram({
      name: 'switchpost_receipt_latency_seconds',
      help: 'Seconds from a provider taking a message to its receipt (measured for receipts matched in memory).',
      labelNames: ['provider'],
      buckets: RECEIPT_BUCKETS,
      registers,
    });
    this.callbacks = new Counter({ name: 'switchpost_callback_deliveries_total', help: 'Callback deliveries by result: delivered, retried (a try failed), failed (given up).', labelNames: ['result'], registers });
    // prom-client collects every metric at once: the gauges share the one read under way. A store that
    // stalls (a frozen disk) leaves these gauges out after LEVELS_MS rather than the whole scrape hanging.
    const levels = (): Promise<SpoolLevels | null> =>
      (this.reading ??= withTimeout(sources.levels(), LEVELS_MS)
        .catch((err: unknown) => {
          sources.onError(err);
          return null;
        })
        .finally(() => (this.reading = null)));
    new Gauge({
      name: 'switchpost_spool_recipients',
      help: 'Recipients not final yet, by state (queued, sending, submitted) and channel.',
      labelNames: ['state', 'channel'],
      registers,
      async collect() {
        const l = await levels();
        this.reset();
        if (!l) return;
        for (const state of ACTIVE_STATES) for (const channel of sources.channels) this.set({ state, channel }, 0);
        for (const d of l.depth) this.set({ state: d.state, channel: d.channel }, d.n);
      },
    });
    new Gauge({
      name: 'switchpost_spool_due_lag_seconds',
      help: 'Age of the oldest queued recipient that is due (0: none is overdue).',
      registers,
      async collect() {
        const l = await levels();
        this.reset();
        if (!l) return;
        this.set(l.oldestQueuedDueAt === null ? 0 : Math.max(0, (sources.now() - l.oldestQueuedDueAt) / 1000));
      },
    });
    new Gauge({
      name: 'switchpost_callback_outbox_depth',
      help: 'Callbacks in the outbox by state: pending (waiting or retrying), failed (given up).',
      labelNames: ['state'],
      registers,
      async collect() {
        const l = await levels();
        this.reset();
        if (!l) return;
        for (const state of ['pending', 'failed']) this.set({ state }, l.outbox.find((o) => o.state === state)?.n ?? 0);
      },
    });
    new Gauge({
      name: 'switchpost_spool_in_flight',
      help: 'Attempts handed to gateways whose first outcome is not recorded yet.',
      registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    const names = this.names;
    new Gauge({
      name: 'switchpost_provider_link_up',
      help: "Whether a provider's link is up (SMPP binds, FreeSWITCH event socket, Kannel): 1 up, 0 down or held down.",
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        const up = new Map(sources.links().map((l) => [l.providerId, l.up]));
        for (const [id, provider] of names) this.set({ provider }, up.get(id) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'switchpost_live_calls',
      help: "Calls up or being placed now, by provider (FreeSWITCH's channels the daemon controls).",
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const l of sources.links()) {
          const provider = names.get(l.providerId);
          if (provider !== undefined && l.liveCalls !== undefined) this.set({ provider }, l.liveCalls);
        }
      },
    });
  }

  /** A provider's name for its series; set as it is started or reloaded. */
  provider(id: number, name: string): void {
    this.names.set(id, name);
  }

  /** A provider deleted: its link is no longer reported (its counters stay, as counters do). */
  forget(id: number): void {
    this.names.delete(id);
  }

  /** Add what the engine counted. */
  add(t: TallyData): void {
    const name = (id: number) => this.names.get(id) ?? String(id);
    for (const [p, outcome, n] of t.attempts) this.attempts.inc({ provider: name(p), outcome }, n);
    for (const [p, n] of t.parts) this.parts.inc({ provider: name(p) }, n);
    for (const [p, n] of t.faxPages) this.faxPages.inc({ provider: name(p) }, n);
    for (const [p, s] of t.receipts) this.receipts.observe({ provider: name(p) }, s);
    for (const [result, n] of t.callbacks) this.callbacks.inc({ result }, n);
  }
}
