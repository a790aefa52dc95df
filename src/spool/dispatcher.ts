import type { Logger } from 'pino';
import type { SpoolStore, DueRow, JobCounterDelta } from '../store/spool.js';
import type { ReplyStore } from '../store/replies.js';
import type { Delivery, Gateway, GatewayReport } from '../gateways/gateway.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { Clock } from '../core/clock.js';
import { planDelivery } from '../core/delivery-plan.js';
import type { Content } from '../core/content.js';
import { PLAIN_SMS_LINK, SmsEncodingError } from '../core/sms.js';
import type { MergeFields, Service } from '../core/model.js';
import type { Outcome } from '../core/outcomes.js';
import { pushExpiryOutcome } from '../core/mms/push-outcomes.js';
import { linkFallback } from '../gateways/smpp/settings.js';
import type { JobCache, SpoolJob } from './job-cache.js';
import type { ProviderPool } from './provider-pool.js';
import type { Recorder } from './recorder.js';
import { HeldWork } from './held-work.js';
import { addressOf, decideClaim, type ClaimFacts, type RowDecision } from './claim.js';
import type { NodePresence } from './node-presence.js';
import type { LeaseScope } from '../store/spool.js';

export interface DispatcherOptions {
  batchSize: number;
  pollMs: number;
  /** Attempts handed to gateways whose first outcome is not yet committed: the bound on duplicates after a crash. */
  maxInFlight: number;
  leaseMs: number;
  sweepMs: number;
  /**
   * How long an idle dispatcher may sleep when other nodes wake it (LISTEN/NOTIFY, `wakeups.ts`): until
   * its next due row, at most this. Unset: it polls every `pollMs`, as a lone node does.
   */
  idleMs?: number;
  /** This daemon among the nodes sharing the store: heartbeats, dead nodes' leases, work left to others. None: a lone node. */
  node?: NodePresence;
}

interface InFlight {
  recipientId: number;
  jobId: number;
  providerId: number;
  destination: string;
}

/**
 * Finds due recipients by index, in batches; applies windows (moving due_at, never polling a blocked row),
 * validates numbers, skips opt-outs, leases the rest with an attempt and hands them to a provider's gateway.
 */
/** How long a row whose claim failed waits before it is tried again. */
const QUARANTINE_MS = 60_000;
/** Due rows a claim reads beyond the providers' room, for the decisions that are not a send. */
const CLAIM_BEYOND_ROOM = 64;

export class Dispatcher {
  private readonly inFlight = new Map<number, InFlight>();
  private readonly held = new HeldWork();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private ticking = false;
  /** How many due rows the last claim asked for: a claim that moved as many goes again at once. */
  private claimLimit = Infinity;
  private nextSweep = 0;
  /** The services the last claim found no provider for, and when their limit clears. */
  private readonly lastBlocked = new Map<Service, number>();

  constructor(
    private readonly spool: SpoolStore,
    private readonly replies: ReplyStore,
    private readonly jobs: JobCache,
    private readonly pool: ProviderPool,
    private readonly recorder: Recorder,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: DispatcherOptions,
  ) {
    recorder.setInFlightLookup((id) => {
      const held = this.inFlight.get(id);
      // In flight: nothing taken yet (an accepted outcome brings its parts).
      return held && { id, recipient_id: held.recipientId, job_id: held.jobId, provider_id: held.providerId, destination: held.destination, parts: null };
    });
    recorder.on('released', (ids) => this.release(ids));
    recorder.on('flushed', () => this.wake());
    recorder.on('held', (recipientId, service, dueAt) => this.held.add(service, recipientId, dueAt));
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** `adopted`: attempts a gateway reconciles itself (calls placed by a previous run); they stay leased. */
  start(adopted: readonly number[] = []): void {
    this.opts.node?.register(this.clock.now());
    const recovered = this.releaseLeases(adopted);
    if (recovered) this.log.warn({ recovered }, 'requeued recipients leased by a previous run');
    this.recoverDeadNodes(this.clock.now());
    this.running = true;
    this.wake();
  }

  /**
   * Ends what holds a lease (a previous run's, at start; this run's, at a stop past its grace), but for
   * `keep`. One transaction: a kill meanwhile leaves every lease as it found it, to be released once.
   */
  private releaseLeases(keep: readonly number[]): number {
    const now = this.clock.now();
    return this.spool.tx(() => {
      this.endSpentLeases(keep, now, this.spool.own);
      return this.spool.recoverLeases(now, keep, now + this.opts.leaseMs);
    });
  }

  /**
   * Other nodes silent past node.timeout_seconds: their leases are recovered as their own restart would
   * (at-least-once: what was on their wire may go again), each by one live node — the one whose mark of
   * the node's row wins, in the transaction that recovers. Their calls (attempts with a peer id) stay
   * theirs to adopt when they come back, until node.calls_grace_seconds; then they are requeued too.
   */
  private recoverDeadNodes(now: number): void {
    const node = this.opts.node;
    if (!node) return;
    for (const dead of node.dead(now)) {
      const scope: LeaseScope = { node: dead.row.id, legacy: false };
      try {
        const requeued = this.spool.tx(() => {
          if (!node.take(dead, now)) return null;
          const keep = dead.calls ? [] : this.spool.leasedWithPeer(scope);
          this.endSpentLeases(keep, now, scope);
          return this.spool.recoverLeases(now, keep, null, scope);
        });
        // A node stopped cleanly leaves nothing but its calls: its recovery is worth a warning only when it requeued.
        if (requeued) this.log.warn({ deadNode: dead.row.id, requeued, calls: dead.calls }, 'recovered the leases of a node that stopped answering');
        else if (requeued === 0) this.log.info({ deadNode: dead.row.id, calls: dead.calls }, 'a node stopped answering; it had no leases to recover');
      } catch (err) {
        this.log.error({ err, deadNode: dead.row.id }, "could not recover a dead node's leases");
      }
    }
  }

  /**
   * Leases a previous run left: one held back from the wire (`unsent`) gives its try back; one on its last
   * try may have reached the peer — its try counted when it was leased — so it ends as that try's failure
   * rather than going out once more than `tries` allows. The rest are requeued by `recoverLeases`.
   */
  private endSpentLeases(adopted: readonly number[], now: number, scope: LeaseScope): void {
    let ended = 0;
    const leased = this.spool.leasedBy(adopted, scope);
    this.spool.giveBackTries(leased.filter((r) => r.unsent).map((r) => r.attempt_id));
    for (const r of leased) {
      if (r.unsent) continue;
      const job = this.jobs.get(r.job_id);
      if (!job || r.tries < job.retry.tries) continue;
      this.recorder.report({ attemptId: r.attempt_id, at: now, outcome: { kind: 'failed', retryable: true, reason: 'interrupted by a restart on its last try (it may have been sent)', code: 'interrupted' } });
      ended++;
    }
    if (!ended) return;
    this.recorder.flush();
    // The recorder keeps a batch it could not commit: then nothing of the recovery may commit either, or
    // recoverLeases would requeue these last tries for one try more.
    if (this.recorder.pending > 0) throw new Error('could not record the last tries a previous run left leased');
    this.log.warn({ ended }, 'ended recipients leased on their last try by a previous run');
  }

  /** Run a tick soon (new work, freed capacity). */
  wake(): void {
    if (!this.running || this.ticking) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  private sleep(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(ms, this.opts.idleMs ?? this.opts.pollMs)));
  }

  private tick(): void {
    this.timer = null;
    if (!this.running) return;
    this.ticking = true;
    let progressed = 0;
    try {
      const now = this.clock.now();
      if (this.opts.node?.beat(now)) this.recoverDeadNodes(now);
      if (now >= this.nextSweep) {
        this.sweep(now);
        this.nextSweep = now + this.opts.sweepMs;
      }
      progressed = this.claim(now);
    } catch (err) {
      this.log.error({ err }, 'dispatcher tick failed');
    } finally {
      this.ticking = false;
    }
    const capacity = this.opts.maxInFlight - this.inFlight.size;
    // A batch that all moved on means more is probably due: go again at once. Otherwise wait for the
    // poll, a wake, or (when a rate limit held rows back) the sleep claim() set until the next token.
    if (progressed >= this.claimLimit && capacity > 0) setImmediate(() => this.running && !this.timer && this.tick());
    else if (!this.timer) this.sleep(this.idleSleep());
  }

  /** A lone node's poll; with other nodes to wake it, until the next due row (the idle bound at most). */
  private idleSleep(): number {
    const idle = this.opts.idleMs;
    if (idle === undefined) return this.opts.pollMs;
    try {
      const next = this.spool.nextDueAt();
      return next === null ? idle : Math.min(idle, Math.max(this.opts.pollMs, next - this.clock.now()));
    } catch (err) {
      this.log.warn({ err }, 'could not read when work is next due');
      return this.opts.pollMs;
    }
  }

  /** Lease and send what is due now; returns how many rows moved on (sent, finalized or rescheduled). */
  private claim(now: number): number {
    const capacity = this.opts.maxInFlight - this.inFlight.size;
    if (capacity <= 0) return 0;
    // Rows beyond the providers' room would only stay: read those, and a few more that other decisions
    // than a send may move on (a window, a provider down, a service nobody carries).
    this.claimLimit = Math.min(this.opts.batchSize, capacity, this.pool.room() + CLAIM_BEYOND_ROOM);
    const limit = this.claimLimit;
    let rows: DueRow[] = [];
    try {
      // Read in the claim's transaction: on PostgreSQL the read locks its rows until the leases are written.
      return this.claimRows(() => (rows = this.spool.due(now, limit, this.except())), now);
    } catch (err) {
      if (rows.length === 0) throw err;
      if (rows.length === 1) return this.quarantine(rows[0]!, now, err);
      // One row the store refuses must not hold the batch: claim each alone, and set aside the ones that fail.
      this.log.error({ err, rows: rows.length }, 'a claim failed; claiming its rows one by one');
      let moved = 0;
      for (const row of rows) {
        try {
          // Read again, locked: another node may have claimed it since the batch rolled back.
          moved += this.claimRows(() => {
            const again = this.spool.dueOne(row.id, now);
            return again ? [again] : [];
          }, now);
        } catch (rowErr) {
          moved += this.quarantine(row, now, rowErr);
        }
      }
      return moved;
    }
  }

  /** Channels this node leaves to others (their service only other live nodes carry). */
  private except(): readonly string[] {
    return this.opts.node?.exceptChannels() ?? [];
  }

  /** A row whose claim fails: it waits a minute, saying why, rather than being tried at every tick. */
  private quarantine(row: DueRow, now: number, err: unknown): number {
    const why = `could not be claimed: ${(err as Error).message}`;
    this.log.error({ err, recipientId: row.id, jobId: row.job_id }, why);
    try {
      // Only while it is still queued and free: not a row another node leased meanwhile.
      this.spool.tx(() => this.spool.dueOne(row.id, now) && this.spool.reschedule(row.id, now + QUARANTINE_MS, why));
      return 1;
    } catch (again) {
      this.log.error({ err: again, recipientId: row.id }, 'could not set the row aside either');
      return 0;
    }
  }

  /**
   * Claim the rows `read` gives: in one transaction, read them (locked, on PostgreSQL) and what the
   * batch's decisions need (jobs, opt-outs, the providers of retries' last attempts), decide every row in
   * memory (`claim.ts`), then write the decisions; after the commit, hand the deliveries to their gateways.
   */
  private claimRows(read: () => DueRow[], now: number): number {
    let rows: DueRow[] = [];
    const events: SpoolEvent[] = [];
    const counters = new Map<number, JobCounterDelta>();
    let decisions: RowDecision[] = [];
    const sent: { d: Extract<RowDecision, { kind: 'send' }>; attemptId: number }[] = [];
    // What this claim counts in memory as it goes (provider slots as picked, in-flight attempts as
    // written): undone if its transaction fails.
    const picked: number[] = [];
    try {
      this.spool.tx(() => {
        rows = read();
        if (rows.length === 0) return;
        decisions = decideClaim(rows, this.facts(rows, now, picked));
        const by = { reschedule: [] as Extract<RowDecision, { kind: 'reschedule' | 'hold' }>[], final: [] as Extract<RowDecision, { kind: 'final' }>[], send: [] as Extract<RowDecision, { kind: 'send' }>[] };
        for (const d of decisions) {
          if (d.kind === 'reschedule' || d.kind === 'hold') by.reschedule.push(d);
          else if (d.kind === 'final') by.final.push(d);
          else if (d.kind === 'send') by.send.push(d);
        }
        // The batch's decisions in a few statements: rows moved on, rows final, attempts created and leased.
        this.spool.batch.reschedule(by.reschedule.map((d) => ({ id: d.row.id, at: d.kind === 'hold' ? d.until : d.at, reason: d.reason })));
        for (const d of by.reschedule) if (d.kind === 'hold') this.held.add(d.service, d.row.id, d.until);
        this.recorder.finalizeQueued(
          by.final.map((d) => ({ job: d.job, recipientId: d.row.id, destination: d.row.address ?? d.row.destination, state: d.state, reason: d.reason })),
          now,
          events,
          counters,
        );
        const attemptIds = this.spool.batch.insertAttempts(
          by.send.map((d) => ({
            recipientId: d.row.id,
            jobId: d.row.job_id,
            providerId: d.provider.id,
            tryNo: d.row.tries + 1,
            destination: d.address,
            sender: d.job.info.sender,
            twoWay: d.job.info.channel === 'sms2way' || d.job.info.channel === 'mms',
            unsent: d.lastTry && d.gateway.confirmsWire === true,
          })),
          now,
        );
        for (const d of by.send) {
          const attemptId = attemptIds.get(d.row.id)!;
          this.held.forget(d.job.service, d.row.id);
          this.inFlight.set(attemptId, { recipientId: d.row.id, jobId: d.row.job_id, providerId: d.provider.id, destination: d.address });
          sent.push({ d, attemptId });
        }
        this.spool.batch.lease(
          sent.map(({ d, attemptId }) => ({ id: d.row.id, address: d.address, attemptId })),
          now + this.opts.leaseMs,
        );
        this.spool.batch.markJobsSent([...new Set(by.send.map((d) => d.row.job_id))], now);
        this.recorder.applyCounters(counters, now, events);
      });
    } catch (err) {
      // Rolled back: none of these attempts exists, so none may hold an in-flight slot or a provider's.
      for (const { attemptId } of sent) this.inFlight.delete(attemptId);
      for (const providerId of picked) this.pool.done(providerId);
      throw err;
    }
    for (const { d, attemptId } of sent) {
      const delivery = this.delivery(d.job, d.content, d.row, d.address, attemptId, now, d.lastTry, d.gateway);
      if ('outcome' in delivery) {
        this.recorder.report(delivery);
        continue;
      }
      try {
        d.gateway.send(delivery);
      } catch (err) {
        // A gateway must not throw; if one does, the attempt fails retryably rather than hanging in flight.
        this.recorder.report({ attemptId, at: now, outcome: { kind: 'failed', retryable: true, reason: `gateway error: ${(err as Error).message}` } });
      }
    }
    if (rows.length === 0) return 0;
    for (const e of events) this.bus.emit(e);
    if (this.lastBlocked.size) {
      // Rows held back by a limit stay due; look again when the soonest limit clears, not at once.
      const soonest = Math.min(...[...this.lastBlocked.values()]);
      this.sleep(Math.max(1, soonest - now));
    }
    return rows.length - decisions.filter((d) => d.kind === 'stay').length;
  }

  /** What the batch's decisions read: fetched for every row at once, then looked up. */
  private facts(rows: readonly DueRow[], now: number, picked: number[]): ClaimFacts {
    const addresses = new Map<number, string[]>();
    for (const row of rows) {
      const job = this.jobs.get(row.job_id);
      const a = job && addressOf(row, job);
      if (!job || !a?.ok) continue;
      const list = addresses.get(job.info.userId) ?? [];
      list.push(a.e164);
      addresses.set(job.info.userId, list);
    }
    const optedOut = new Map([...addresses].map(([userId, list]) => [userId, this.replies.optedOutAmong(userId, list)]));
    const retries = rows.flatMap((r) => (r.tries > 0 && r.attempt_id !== null ? [r.attempt_id] : []));
    const lastProviders = this.spool.providersOf(retries);
    this.lastBlocked.clear();
    return {
      now,
      job: (id) => this.jobs.get(id),
      address: addressOf,
      optedOut: (userId, address) => optedOut.get(userId)?.has(address) === true,
      lastProvider: (row) => (row.tries > 0 && row.attempt_id !== null ? (lastProviders.get(row.attempt_id) ?? null) : null),
      pick: (service, avoid) => {
        const pick = this.pool.pick(service, now, avoid);
        if (pick.ok) picked.push(pick.provider.id);
        else this.lastBlocked.set(service, pick.retryAt);
        return pick;
      },
    };
  }

  /** A provider is up again (bind up, ESL up): what was held for its services is due now, not at the hold's end. */
  providerUp(providerId: number): void {
    const held = this.held.take(this.pool.servicesOf(providerId));
    if (held.length) this.spool.batch.pullForward(held, this.clock.now());
    this.wake();
  }

  /**
   * The attempt as its gateway gets it, planned by the core for that gateway's link; or, when the job's
   * own limits refuse the recipient's text (its SMS parts), that attempt's failure.
   */
  private delivery(job: SpoolJob, content: Content, row: DueRow, address: string, attemptId: number, now: number, lastTry: boolean, gateway: Gateway): Delivery | Extract<GatewayReport, { attemptId: number }> {
    try {
      // Inside the try: the claim has committed by now, so nothing here may throw past it (a throw would
      // read as a failed claim and claim the batch's rows again).
      const fields: MergeFields = row.fields ? (JSON.parse(row.fields) as MergeFields) : {};
      fields.recipient ??= row.name ?? '';
      fields.reference ??= row.reference ?? '';
      fields.destination ??= address;
      // A fax resumes after the pages an earlier try delivered, in audio mode where T.38 failed.
      const plan = planDelivery(content, job.info.channel, job.template(fields), fields, { sms: gateway.smsLink ?? PLAIN_SMS_LINK, faxHistory: () => this.spool.faxHistory(row.id, address, now), pushExpired: () => this.spool.pushExpired(row.id) });
      return { attemptId, recipientId: row.id, jobId: row.job_id, channel: job.info.channel, destination: address, sender: job.info.sender, lastTry, ...plan };
    } catch (err) {
      const outcome =
        err instanceof SmsEncodingError
          ? ({ kind: 'failed', retryable: false, state: 'rejected', reason: err.message, code: 'encoding' } as const)
          : ({ kind: 'failed', retryable: true, reason: `could not build the message: ${(err as Error).message}` } as const);
      return { attemptId, at: now, outcome };
    }
  }

  /** Leases that outlived their gateway, and receipts that never came: both go through the recorder. */
  private sweep(now: number): void {
    for (const r of this.spool.overdue('sending', now, 1000)) {
      if (r.attempt_id === null) continue;
      const held = this.inFlight.get(r.attempt_id);
      if (held) {
        this.inFlight.delete(r.attempt_id);
        this.pool.done(held.providerId);
      }
      this.recorder.report({ attemptId: r.attempt_id, at: now, outcome: { kind: 'failed', retryable: true, reason: 'no answer from the gateway before the lease expired' } });
    }
    for (const r of this.spool.overdue('submitted', now, 1000)) {
      if (r.attempt_id === null) continue;
      // A WAP Push's deadline is its notification's expiry: unfetched by then is its failure (durable: due_at).
      const outcome: Outcome =
        r.encoding === 'wap_push' ? pushExpiryOutcome(r.attempt_status, r.provider_id !== null && linkFallback(this.pool.settingsOf(r.provider_id))) : { kind: 'receipt', status: 'unknown', text: 'no receipt before the timeout' };
      this.recorder.report({ attemptId: r.attempt_id, at: now, outcome });
    }
    this.recorder.flush();
  }

  private release(attemptIds: number[]): void {
    for (const id of attemptIds) {
      const held = this.inFlight.get(id);
      if (!held) continue;
      this.inFlight.delete(id);
      this.pool.done(held.providerId);
    }
  }

  /**
   * Stop taking work, give in-flight attempts up to `graceMs` to report, then requeue what is left.
   * Requeued attempts may have reached the network: delivery is at-least-once.
   */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      this.recorder.flush();
    }
    this.recorder.flush();
    if (this.inFlight.size > 0) {
      // Past the grace: gateways stop putting work on the wire and hand back what they hold unsent (held,
      // its try given back); then the leases end as at start-up — a last try that may have gone as its
      // failure, one held back from the wire with its try back — so none is sent as one try more.
      for (const g of this.pool.gateways()) await g.drain?.();
      this.recorder.flush();
      // Calls already placed stay leased: the next run finds them over ESL instead of dialling again.
      const n = this.releaseLeases(this.spool.leasedWithPeer());
      this.log.warn({ requeued: n }, 'released leases still in flight at shutdown');
      this.inFlight.clear();
    }
  }
}
