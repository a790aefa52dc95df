import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { storeWakeups, type Wakeups } from './wakeups.js';
import { openStore, storeSchemaVersion, type StoreConnection } from '../store/open.js';
import { SpoolStore } from '../store/spool.js';
import { CallbackStore } from '../store/callbacks.js';
import { ReplyStore } from '../store/replies.js';
import { systemClock } from '../core/clock.js';
import { EventBus, type SpoolEvent } from '../events/bus.js';
import type { CallbackFormatters } from '../events/callbacks.js';
import { Outbox } from '../events/outbox.js';
import { AddressPolicy } from '../net/address-policy.js';
import type { Delivery } from '../gateways/gateway.js';
import { JobCache } from './job-cache.js';
import { ProviderPool } from './provider-pool.js';
import { Recorder } from './recorder.js';
import { Dispatcher } from './dispatcher.js';
import { NumberChecker } from './number-checker.js';
import { Preparer } from './preparer.js';
import { GatewayStub } from './gateway-stub.js';
import { sendError } from '../store/remote-errors.js';
import { JobStore } from '../store/jobs.js';
import { MailTimerStore } from '../store/mail-timers.js';
import { MailFollowUpWriter } from './mail-follow-ups.js';
import { InboundRouter } from './inbound-router.js';
import { NumberStore } from '../store/numbers.js';
import { InboundOwners } from '../store/inbound-owners.js';
import { RetentionStore } from '../store/retention.js';
import { DocumentRetention } from './retention.js';
import type { EngineCalls, EngineOp, FromEngine, SendItem, SinkItem, ToEngine } from './engine-protocol.js';
import { HostedFiles } from '../media/hosted.js';
import { attemptRef } from '../core/mms/push-outcomes.js';
import { hostname } from 'node:os';
import { NodeStore } from '../store/nodes.js';
import { NodePresence } from './node-presence.js';

/** How often finished jobs' documents are checked against their users' maximum_document_retention_hours. */
const RETENTION_SWEEP_MS = 10 * 60_000;

/** A list left unread this long is closed (its client went away without a word). */
const IDLE_PAGES_MS = 10 * 60_000;

/**
 * The spool on its own thread: the database connection, the dispatcher's claims, the recorder's group
 * commits, the preparer and the callback outbox. A disk that stalls stalls this thread only; the main
 * thread keeps its sockets answered and its reports queue here until the disk is back.
 */
export class SpoolEngine {
  /** For the wiring's own listeners on this thread (the 2FA redaction): the engine's connection and bus. */
  readonly db: StoreConnection;
  readonly bus: EventBus;
  /** The faces' follow-up e-mails (reply and report e-mails): the wiring registers its hooks here. */
  readonly mail: MailFollowUpWriter;
  private readonly recorder: Recorder;
  private readonly dispatcher: Dispatcher;
  private readonly preparer: Preparer;
  private readonly checker: NumberChecker;
  private readonly outbox: Outbox;
  /** The other nodes told of new work, and this one woken by theirs (PostgreSQL); nothing on SQLite. */
  private readonly wakeups: Wakeups;
  private readonly retention: DocumentRetention;
  private readonly pool: ProviderPool;
  private readonly spool: SpoolStore;
  private readonly stubs = new Map<number, GatewayStub>();
  private wanted = new Set<SpoolEvent['type']>();
  private sends: SendItem[] = [];
  private acks: number[] = [];
  private events: SpoolEvent[] = [];
  private posting = false;
  private drains = new Map<number, () => void>();
  private nextDrain = 1;
  private lastInFlight = -1;
  private readonly statsTimer: NodeJS.Timeout;
  /** The faces' stores, served to the main thread by name (`store/remote.ts`); set by the wiring. */
  private stores: Readonly<Record<string, object>> = {};
  private readonly generators = new Map<number, { gen: AsyncIterator<unknown>; used: number }>();
  private nextGen = 1;

  constructor(
    config: Config,
    formatters: CallbackFormatters,
    private readonly port: MessagePort,
    private readonly log: Logger,
  ) {
    const clock = systemClock;
    // Its own connection on this thread (SQLite's file, or PostgreSQL's facade), migrated by the main thread.
    this.db = openStore(config);
    // Everything the engine tells the main thread leaves in one message per turn.
    this.bus = new EventBus((err) => log.error({ err }, 'event listener failed'));
    this.bus.on(
      (e) => this.queue(() => this.events.push(e)),
      (type) => this.wanted.has(type),
    );
    this.bus.on(
      (e) => e.type === 'job.finished' && log.info({ jobId: e.jobId, succeeded: e.succeeded, failed: e.failed }, 'job finished'),
      (type) => type === 'job.finished',
    );
    this.spool = new SpoolStore(this.db, config.node.id);
    const callbacks = new CallbackStore(this.db);
    const replies = new ReplyStore(this.db, config.default_country);
    const jobs = new JobCache(this.db, {
      dayStart: config.spool.day_start,
      retry: { tries: config.spool.retry.tries, backoffSeconds: config.spool.retry.backoff_seconds, backoffMaxSeconds: config.spool.retry.backoff_max_seconds },
      onUnreadable: (jobId, why) => log.error({ jobId, why }, "a job's stored content cannot be read: its recipients fail"),
    });
    this.recorder = new Recorder(this.spool, callbacks, replies, jobs, formatters, this.bus, clock, log.child({ part: 'recorder' }), {
      receiptTimeoutMs: config.spool.receipt_timeout_hours * 3_600_000,
      unmatchedReceiptMs: 60_000,
      flushMs: 5,
      maxBatch: 2000,
      leaseMs: config.spool.lease_seconds * 1000,
    });
    this.pool = new ProviderPool(Math.random, config.spool.burst_seconds);
    this.recorder.setRates((providerId) => this.pool.ratesOf(providerId));
    this.dispatcher = new Dispatcher(this.spool, replies, jobs, this.pool, this.recorder, this.bus, clock, log.child({ part: 'dispatcher' }), {
      batchSize: config.spool.batch_size,
      pollMs: config.spool.poll_ms,
      maxInFlight: config.spool.max_in_flight,
      leaseMs: config.spool.lease_seconds * 1000,
      sweepMs: 1000,
      // Nodes on PostgreSQL wake each other (wakeups.ts): an idle one sleeps long, beating in time.
      ...(config.store.driver === 'postgres' ? { idleMs: Math.min(config.spool.idle_poll_ms, config.node.heartbeat_seconds * 1000) } : {}),
      node: new NodePresence(new NodeStore(this.db), () => this.pool.offered(), log.child({ part: 'node' }), {
        id: config.node.id,
        pid: process.pid,
        host: hostname(),
        heartbeatMs: config.node.heartbeat_seconds * 1000,
        timeoutMs: config.node.timeout_seconds * 1000,
        callsGraceMs: config.node.calls_grace_seconds * 1000,
      }),
    });
    this.checker = new NumberChecker();
    this.preparer = new Preparer(this.spool, jobs, this.checker, this.recorder, this.bus, clock, log.child({ part: 'preparer' }));
    this.outbox = new Outbox(callbacks, new AddressPolicy(config.callbacks.allow_private), clock, log.child({ part: 'outbox' }), {
      secret: config.callbacks.secret,
      timeoutMs: config.callbacks.timeout_ms,
      maxTries: config.callbacks.max_tries,
      backoffSeconds: config.callbacks.backoff_seconds,
      concurrency: config.callbacks.concurrency,
      node: config.node.id,
      onResult: (result) => this.recorder.tally.callback(result),
    });
    this.mail = new MailFollowUpWriter(new JobStore(this.db), new MailTimerStore(this.db), (fn) => this.spool.tx(fn), this.bus, clock, log.child({ part: 'mail' }));
    this.recorder.setFollowUps(this.mail);
    this.retention = new DocumentRetention(new RetentionStore(this.db), clock, log.child({ part: 'retention' }), { dataDir: config.data_dir, intervalMs: RETENTION_SWEEP_MS });
    const systemFrom = config.email.system_from ? { address: config.email.system_from, name: config.email.system_from_name } : null;
    this.recorder.setInboundRouter(new InboundRouter(new JobStore(this.db), new NumberStore(this.db), new InboundOwners(this.db), callbacks, { dataDir: config.data_dir, systemFrom }, log.child({ part: 'inbound' })));
    this.wakeups = storeWakeups(
      this.db,
      () => {
        this.dispatcher.wake();
        this.outbox.wake();
      },
      log.child({ part: 'wakeups' }),
    );
    // A job made on this thread (a follow-up e-mail) is prepared and sent as a face's would be.
    this.bus.on(
      (e) => {
        if (e.type !== 'job.created') return;
        this.preparer.add(e.jobId);
        this.dispatcher.wake();
        this.wakeups.announce();
      },
      (type) => type === 'job.created',
    );
    // Beside the dispatcher's own wake: a flush may have written callbacks for the outbox to deliver.
    this.recorder.on('flushed', () => this.outbox.wake());
    this.recorder.on('health', (providerId, up) => up && this.dispatcher.providerUp(providerId));
    this.recorder.on('flushed', () => this.postStats());
    // An MMS recipient final: its WAP Push message is no longer served (issue 20). A link's files are the
    // job's and outlive it until their last link expires (main.ts removes them).
    const hosted = new HostedFiles(join(config.data_dir, 'media', 'hosted'));
    this.recorder.on('mmsFinal', (ids) => {
      for (const id of ids) {
        try {
          hosted.remove('mms', attemptRef(id));
        } catch (err) {
          log.warn({ err, attemptId: id }, 'hosted media could not be removed');
        }
      }
    });
    this.statsTimer = setInterval(() => this.postStats(), 100);
    port.on('message', (m: ToEngine) => this.receive(m));
    this.send({ t: 'ready' });
  }

  private send(m: FromEngine): void {
    this.port.postMessage(m);
  }

  /** Collect `add`'s item and post everything collected once this turn's work is done. */
  private queue(add: () => void): void {
    add();
    if (this.posting) return;
    this.posting = true;
    queueMicrotask(() => {
      this.posting = false;
      // Sends first: a gateway's report of one cannot come before the gateway has it.
      if (this.sends.length) this.send({ t: 'send', items: this.sends });
      if (this.acks.length) this.send({ t: 'acks', ids: this.acks });
      if (this.events.length) this.send({ t: 'events', events: this.events });
      this.sends = [];
      this.acks = [];
      this.events = [];
    });
  }

  private postStats(): void {
    const n = this.dispatcher.inFlightCount;
    const tally = this.recorder.tally.take();
    if (n === this.lastInFlight && !tally) return;
    this.lastInFlight = n;
    this.send({ t: 'stats', inFlight: n, tally });
  }

  private ack(id: number): (() => void) | undefined {
    return id ? () => this.queue(() => this.acks.push(id)) : undefined;
  }

  private receive(m: ToEngine): void {
    switch (m.t) {
      case 'sink':
        for (const item of m.items) {
          try {
            this.sinkItem(item);
          } catch (err) {
            // One item the store refuses (a provider's work pulled forward on a full disk) must not end the thread.
            this.log.error({ err, item: item.k }, 'a gateway report could not be taken');
          }
        }
        return;
      case 'state':
        for (const s of m.states) this.stubs.get(s.providerId)?.update(s);
        return;
      case 'provider': {
        const { provider, gateway, state } = m;
        let stub: GatewayStub | null = null;
        if (gateway) {
          const id = provider.id;
          stub = new GatewayStub(
            gateway,
            (d: Delivery) => this.queue(() => this.sends.push({ providerId: id, generation: gateway.generation, d })),
            () => this.drain(id),
          );
          if (state) stub.update(state);
          this.stubs.set(id, stub);
        } else this.stubs.delete(provider.id);
        this.pool.set(provider, stub);
        this.dispatcher.wake();
        return;
      }
      case 'removeProvider':
        this.stubs.delete(m.providerId);
        this.pool.remove(m.providerId);
        return;
      case 'interest':
        this.wanted = new Set(m.types);
        return;
      case 'logLevel':
        // The thread's logger is spool-worker.ts's, which follows this message itself.
        return;
      case 'drained':
        this.drains.get(m.req)?.();
        this.drains.delete(m.req);
        return;
      case 'call':
        void this.call(m.id, m.op, m.args);
        return;
      case 'store':
        return this.answer(m.id, () => this.storeMethod(m.store, m.method).apply(this.stores[m.store], m.args));
      case 'storeOpen':
        return this.answer(m.id, () => this.open(this.storeMethod(m.store, m.method).apply(this.stores[m.store], m.args)));
      case 'storeNext':
        return this.answer(m.id, () => this.next(m.gen));
      case 'storeClose':
        return this.answer(m.id, async () => {
          await this.generators.get(m.gen)?.gen.return?.();
          this.generators.delete(m.gen);
          return null;
        });
    }
  }

  private sinkItem(item: SinkItem): void {
    switch (item.k) {
      case 'report':
        return this.recorder.report(item.r, this.ack(item.ack));
      case 'inbound':
        return this.recorder.inbound(item.m, this.ack(item.ack));
      case 'wire':
        return this.recorder.onWire(item.attemptId, this.ack(item.ack)!);
      case 'flushSoon':
        return this.recorder.flushSoon();
      case 'health':
        // The pool sees the link as its gateway says before the dispatcher is told it came back.
        this.stubs.get(item.providerId)?.setUp(item.up);
        return this.recorder.health(item.providerId, item.up, item.reason ?? undefined);
    }
  }

  /** Serve these stores to the main thread's faces, by name. */
  serve(stores: object): void {
    this.stores = stores as Readonly<Record<string, object>>;
  }

  private storeMethod(store: string, method: string): (...args: unknown[]) => unknown {
    const fn = (this.stores[store] as Record<string, unknown> | undefined)?.[method];
    if (typeof fn !== 'function') throw new Error(`no store method ${store}.${method}`);
    return fn as (...args: unknown[]) => unknown;
  }

  /** Run `fn` (a store call, synchronous or not) and post its value or its error, typed. */
  private answer(id: number, fn: () => unknown): void {
    void (async () => {
      try {
        this.send({ t: 'result', id, ok: true, value: await fn() });
      } catch (err) {
        this.send({ t: 'result', id, ok: false, error: sendError(err) });
      }
    })();
  }

  private open(pages: unknown): number {
    const it = pages as AsyncIterable<unknown>;
    if (typeof it?.[Symbol.asyncIterator] !== 'function') throw new Error('not a paging method');
    // A reader that never closes (a connection lost without a word) must not keep its generator for ever.
    const now = Date.now();
    for (const [id, g] of this.generators) if (now - g.used > IDLE_PAGES_MS) this.generators.delete(id);
    const id = this.nextGen++;
    this.generators.set(id, { gen: it[Symbol.asyncIterator](), used: now });
    return id;
  }

  private async next(id: number): Promise<{ done: boolean; value: unknown }> {
    const g = this.generators.get(id);
    if (!g) throw new Error('this list was closed: it was left unread for ten minutes');
    g.used = Date.now();
    const step = await g.gen.next();
    if (step.done) this.generators.delete(id);
    return { done: step.done === true, value: step.done ? null : step.value };
  }

  /** Ask the main thread to drain a gateway; what it hands back arrives as sink items before `drained`. */
  private drain(providerId: number): Promise<void> {
    const req = this.nextDrain++;
    return new Promise((resolve) => {
      this.drains.set(req, resolve);
      this.send({ t: 'drain', req, providerId });
    });
  }

  private async call<O extends EngineOp>(id: number, op: O, args: EngineCalls[O]['args']): Promise<void> {
    try {
      const handler = this.handlers[op] as (a: EngineCalls[O]['args']) => Promise<EngineCalls[O]['result']>;
      this.send({ t: 'result', id, ok: true, value: await handler(args) });
    } catch (err) {
      this.log.error({ err, op }, 'spool engine call failed');
      this.send({ t: 'result', id, ok: false, error: sendError(err) });
    }
  }

  private readonly handlers: { [O in EngineOp]: (args: EngineCalls[O]['args']) => Promise<EngineCalls[O]['result']> } = {
    openWithPeer: async ({ providerId }) => this.spool.openWithPeer(providerId),
    start: async ({ adopted }) => {
      this.dispatcher.start(adopted);
      this.preparer.start();
      this.outbox.start();
      this.mail.start();
      this.retention.start();
      return null;
    },
    jobCreated: async ({ jobId }) => {
      this.preparer.add(jobId);
      this.dispatcher.wake();
      this.wakeups.announce();
      return null;
    },
    wake: async () => {
      this.dispatcher.wake();
      this.wakeups.announce();
      return null;
    },
    stopDispatch: async ({ graceMs }) => {
      await this.mail.stop();
      await this.retention.stop();
      await this.preparer.stop();
      await this.dispatcher.stop(graceMs);
      // What it gave back is the others' now: they start on it at once.
      this.wakeups.announce();
      await this.outbox.stop(Math.min(graceMs, 2000));
      return null;
    },
    // The schema version: read through the pager (a read transaction) or from PostgreSQL, so a connection that cannot read does not answer.
    probe: async () => storeSchemaVersion(this.db),
    close: async () => {
      await this.checker.close();
      this.recorder.flush();
      clearInterval(this.statsTimer);
      this.postStats();
      this.db.close();
      return null;
    },
  };
}
