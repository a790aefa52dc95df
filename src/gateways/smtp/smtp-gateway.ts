import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Delivery, Gateway, GatewaySink } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';
import { returnPath } from '../../core/verp.js';
import type { SmtpFailure } from './reply.js';
import type { SmtpEndpoint, SmtpSettings } from './settings.js';
import type { FromSmtpThread, SmtpThreadData, ToSmtpThread } from './worker-protocol.js';

type EmailDelivery = Extract<Delivery, { kind: 'email' }>;

/** Where bounces go: each attempt's envelope sender is its own address on this domain (core/verp.ts). */
export interface BounceAddress {
  domain: string;
  prefix: string;
  key: Buffer;
}

/** DKIM keys by sending domain (lower case), and where nodemailer spools a large body while it signs. */
export interface DkimSigning {
  keys: ReadonlyMap<string, { selector: string; privateKey: string }>;
  /** A directory of the daemon's (inside data_dir): bodies over `cacheThreshold` bytes are buffered there, not in memory. */
  cacheDir: string;
  cacheThreshold: number;
}

/** One SMTP thread (smtp-thread.ts) and the messages handed to it that have no outcome yet. */
interface Thread {
  worker: Worker;
  connections: number;
  /** Handed over (waiting there or on the wire), by attempt id. */
  held: Map<number, EmailDelivery>;
  /** Questions asked (verify, release) by request number: null when the thread ended first. */
  replies: Map<number, (m: FromSmtpThread | null) => void>;
}

/**
 * E-mail through an SMTP relay: `threads` worker threads (smtp-thread.ts), each a nodemailer pool of
 * its share of `max_connections` connections, each connection carrying one message at a time and
 * `max_messages` before it is replaced. This side, on the main thread, only picks the envelope sender,
 * hands each message to the least loaded thread and turns the answers into outcomes. The gateway's
 * room is its connections and three messages queued behind each, so the spool hands it work as
 * connections free up (and paces it by the provider's throughput, as every driver); nothing more waits.
 * Each message has one recipient, so the relay's answer is that recipient's outcome. See README.md.
 */
export class SmtpGateway implements Gateway {
  private readonly threads: Thread[];
  private req = 0;
  private handedOver = 0;
  private up = false;
  private stopped = false;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly providerId: number,
    private readonly endpoint: SmtpEndpoint,
    private readonly settings: SmtpSettings,
    private readonly bounce: BounceAddress | null,
    private readonly dkim: DkimSigning | null,
    private readonly sink: GatewaySink,
    private readonly log: Logger,
  ) {
    const n = Math.min(settings.threads, settings.max_connections);
    this.threads = Array.from({ length: n }, (_, i) => this.startThread(Math.floor(settings.max_connections / n) + (i < settings.max_connections % n ? 1 : 0)));
  }

  async start(): Promise<void> {
    await this.probe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    await this.drain();
    // Messages on the wire finish (or fail, and are reported) first; then each thread ends.
    for (const th of this.threads) this.tell(th, { t: 'close' });
  }

  async drain(): Promise<void> {
    await this.releaseAll('the daemon is stopping');
  }

  isUp(): boolean {
    return this.up;
  }

  /**
   * Connections, and three messages waiting behind each: a connection that finishes takes the next
   * at once instead of idling for the spool's round trip (the outcome's flush, the claim it wakes, the
   * hand-over: two commits), which with one behind each still left connections idle in
   * bench/email-smtp.js. Not much more: work waiting here is work the spool cannot give another provider.
   */
  room(): number {
    return Math.max(0, 4 * this.settings.max_connections - this.handedOver);
  }

  send(d: Delivery): void {
    if (d.kind !== 'email') return this.report(d, { kind: 'failed', retryable: false, state: 'rejected', reason: `an SMTP provider carries e-mail, not ${d.channel}`, code: 'channel' });
    if (!this.up || this.stopped) return this.report(d, { kind: 'held', reason: 'the SMTP relay is not reachable', retryMs: this.settings.probe_ms });
    // Without a bounce domain the envelope sender is the From address, as any mail client sends.
    const envelopeFrom = this.bounce ? returnPath({ recipientId: d.recipientId, attemptId: d.attemptId }, this.bounce.domain, this.bounce.key, this.bounce.prefix) : d.email.from.address;
    // The thread with the least handed over per connection.
    let th = this.threads[0]!;
    for (const t of this.threads) if (t.held.size / t.connections < th.held.size / th.connections) th = t;
    th.held.set(d.attemptId, d);
    this.handedOver++;
    this.tell(th, { t: 'send', job: { id: d.attemptId, to: d.destination, envelopeFrom, email: d.email } });
  }

  private startThread(connections: number): Thread {
    const data: SmtpThreadData = {
      endpoint: this.endpoint,
      settings: this.settings,
      connections,
      dkim: this.dkim ? { keys: new Map(this.dkim.keys), cacheDir: this.dkim.cacheDir, cacheThreshold: this.dkim.cacheThreshold } : null,
    };
    const th: Thread = { worker: new Worker(new URL('./smtp-thread.js', import.meta.url), { workerData: data }), connections, held: new Map(), replies: new Map() };
    th.worker.on('message', (m: FromSmtpThread) => this.receive(th, m));
    th.worker.on('error', (err) => this.log.error({ err }, 'an SMTP thread failed'));
    th.worker.on('exit', (code) => this.lost(th, code));
    // A thread must not keep the daemon alive on its own.
    th.worker.unref();
    return th;
  }

  /** A thread that ended: what it held goes back to the spool; one that failed is replaced. */
  private lost(th: Thread, code: number): void {
    this.handedOver -= th.held.size;
    for (const d of th.held.values()) this.report(d, { kind: 'held', reason: 'the SMTP thread ended', retryMs: this.settings.probe_ms });
    th.held.clear();
    for (const reply of th.replies.values()) reply(null);
    th.replies.clear();
    if (this.stopped) return;
    this.log.error({ code }, 'an SMTP thread ended; starting another');
    const i = this.threads.indexOf(th);
    this.threads[i] = this.startThread(th.connections);
    if (this.up) this.tell(this.threads[i]!, { t: 'up' });
  }

  private tell(th: Thread, m: ToSmtpThread): void {
    th.worker.postMessage(m);
  }

  private ask(th: Thread, m: (req: number) => ToSmtpThread): Promise<FromSmtpThread | null> {
    const req = ++this.req;
    return new Promise((resolve) => {
      th.replies.set(req, resolve);
      this.tell(th, m(req));
    });
  }

  private receive(th: Thread, m: FromSmtpThread): void {
    if (m.t === 'verified' || m.t === 'released') {
      th.replies.get(m.req)?.(m);
      th.replies.delete(m.req);
      return;
    }
    const d = th.held.get(m.id);
    if (!d) return;
    th.held.delete(m.id);
    this.handedOver--;
    if (m.t === 'sent') return this.report(d, { kind: 'accepted', peerId: m.peerId, awaitReceipt: false });
    const failure = m.failure;
    switch (failure.kind) {
      case 'link':
        this.report(d, { kind: 'held', reason: failure.reason, retryMs: this.settings.probe_ms });
        return this.setUp(false, failure.reason);
      case 'temporary':
        return this.report(d, { kind: 'failed', retryable: true, reason: failure.reason, code: failure.code });
      case 'permanent':
        return this.report(d, { kind: 'failed', retryable: false, state: failure.recipient ? 'undeliverable' : 'rejected', reason: failure.reason });
    }
  }

  private report(d: Delivery, outcome: Outcome): void {
    this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
  }

  /** Every thread starts nothing more; what waits in them (not yet on the wire) goes back to the spool as held. */
  private async releaseAll(reason: string): Promise<void> {
    const answers = await Promise.all(this.threads.map((th) => this.ask(th, (req) => ({ t: 'release', req })).then((m) => ({ th, m }))));
    for (const { th, m } of answers) {
      if (m?.t !== 'released') continue;
      for (const id of m.ids) {
        const d = th.held.get(id);
        if (!d) continue;
        th.held.delete(id);
        this.handedOver--;
        this.report(d, { kind: 'held', reason, retryMs: this.settings.probe_ms });
      }
    }
  }

  private setUp(up: boolean, reason?: string): void {
    if (up === this.up) return;
    this.up = up;
    this.sink.health(this.providerId, up, reason);
    if (up) {
      for (const th of this.threads) this.tell(th, { t: 'up' });
      return;
    }
    this.log.warn({ reason }, 'the SMTP relay is down; its work is held');
    void this.releaseAll('the SMTP relay is not reachable');
    this.scheduleProbe();
  }

  /** A connection, EHLO, STARTTLS and AUTH as the pool makes them: the relay is up when it takes us. */
  private async probe(): Promise<void> {
    if (this.stopped) return;
    const m = await this.ask(this.threads[0]!, (req) => ({ t: 'verify', req }));
    const failure: SmtpFailure | null = m?.t === 'verified' ? m.failure : { kind: 'link', reason: 'the SMTP thread ended' };
    if (this.stopped) return;
    if (!failure) return this.setUp(true);
    if (failure.reason.includes('login')) this.log.error({ reason: failure.reason }, 'the SMTP relay refused our credentials');
    else this.log.warn({ reason: failure.reason }, 'the SMTP relay is not reachable');
    if (this.up) this.setUp(false, failure.reason);
    else this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      void this.probe();
    }, this.settings.probe_ms);
    this.probeTimer.unref();
  }
}
