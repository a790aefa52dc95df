import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Delivery, InboundDetails, Gateway, GatewayRequest, GatewayRoute, GatewaySink, MmsDelivery } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';
import { mmsBodyBytes } from '../../core/mms.js';
import { mm7Headers, mm7Url, type Mm7Endpoint, type Mm7Settings } from './settings.js';
import { addressOf, child, mm7Response, Mm7ParseError, parseMm7, statusOf, submitReq, textOf, type Mm7Dialect, type Mm7Message } from './soap.js';
import { CONTENT_CID, readMm7Request, submitBody } from './mime.js';
import { isSuccess, mmStatusReceipt, submitFailure } from './status.js';
import { HttpFailure, request } from './http.js';
import { keepInboundMedia } from '../../media/inbound-mms.js';

type Answer = { status: number; body: string; contentType?: string };

/**
 * MMS to an operator's MMSC over MM7 (3GPP TS 23.140: SOAP over HTTP, multipart/related): a SubmitReq
 * per recipient, whose SubmitRsp's MessageID is the attempt's peer id; the MMSC's DeliveryReportReq
 * (the recipient's outcome) and DeliverReq (an MMS sent to us: a reply) come to the route this gateway
 * serves, each answered once stored. See README.md.
 */
export class Mm7Gateway implements Gateway {
  readonly routes: GatewayRoute[];
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly dialect: Mm7Dialect;
  private readonly waiting: MmsDelivery[] = [];
  private active = 0;
  private up = false;
  private stopped = false;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly providerId: number,
    private readonly endpoint: Mm7Endpoint,
    private readonly settings: Mm7Settings,
    private readonly sink: GatewaySink,
    private readonly log: Logger,
    /** The daemon's data dir: a received MMS's media is kept under it (media/mms-in/); null: not kept. */
    private readonly dataDir: string | null = null,
  ) {
    this.url = mm7Url(endpoint, settings);
    const sockets = { keepAlive: true, maxSockets: settings.concurrency };
    this.agent = settings.tls ? new https.Agent({ ...sockets, ...(settings.tls_ca_file ? { ca: readFileSync(settings.tls_ca_file) } : {}) }) : new http.Agent(sockets);
    this.dialect = { version: settings.version, namespace: settings.namespace };
    this.routes = [{ method: 'POST', path: `/gateways/mm7/${encodeURIComponent(endpoint.name)}`, handle: (_q, req) => this.onRequest(req) }];
  }

  async start(): Promise<void> {
    await this.probe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    for (const d of this.waiting.splice(0)) this.report(d, { kind: 'held', reason: 'the daemon is stopping', retryMs: this.settings.probe_ms });
    this.agent.destroy();
  }

  isUp(): boolean {
    return this.up;
  }

  room(): number {
    return Math.max(0, this.settings.concurrency - this.active - this.waiting.length);
  }

  send(d: Delivery): void {
    if (d.kind !== 'mms') return this.report(d, { kind: 'failed', retryable: false, state: 'rejected', reason: `an MM7 provider carries MMS, not ${d.channel}`, code: 'channel' });
    const size = mmsBodyBytes(d.mms);
    if (size > this.settings.max_bytes) return this.report(d, { kind: 'failed', retryable: false, state: 'rejected', reason: `the message is ${size} bytes, more than this MMSC's ${this.settings.max_bytes}`, code: 'too_large' });
    if (!this.up) return this.report(d, { kind: 'held', reason: 'the MMSC is not reachable', retryMs: this.settings.probe_ms });
    this.waiting.push(d);
    this.pump();
  }

  private report(d: Delivery, outcome: Outcome): void {
    this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
  }

  private pump(): void {
    while (this.active < this.settings.concurrency && this.waiting.length > 0) {
      const d = this.waiting.shift()!;
      this.active++;
      void this.submit(d).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private headers(contentType: string): Record<string, string> {
    return mm7Headers(this.endpoint, contentType);
  }

  private number(e164: string): string {
    return this.settings.number_format === 'plus' ? e164 : e164.replace(/^\+/, '');
  }

  private sender(d: MmsDelivery): { type: 'ShortCode' | 'Number'; value: string } | null {
    const given = d.sender ?? this.settings.sender_address;
    if (!given) return null;
    const type = this.settings.sender_type ?? (given.startsWith('+') || given.replace(/\D/g, '').length > 8 ? 'Number' : 'ShortCode');
    return { type, value: type === 'Number' ? this.number(given) : given };
  }

  private async submit(d: MmsDelivery): Promise<void> {
    const transactionId = `sp-${d.attemptId}`;
    let answer;
    try {
      const soap = submitReq(this.dialect, {
        transactionId,
        vaspId: this.settings.vasp_id,
        vasId: this.settings.vas_id,
        sender: this.sender(d),
        recipient: this.number(d.destination),
        subject: d.mms.subject,
        deliveryReport: this.settings.delivery_report,
        expiry: this.settings.expiry_hours ? new Date(Date.now() + this.settings.expiry_hours * 3_600_000) : null,
        contentId: CONTENT_CID,
      });
      const body = await submitBody(soap, d.mms, this.settings.transfer_encoding);
      answer = await request(this.agent, this.url, 'POST', this.headers(body.contentType), body.body, this.settings.timeout_ms);
    } catch (err) {
      if (err instanceof HttpFailure && err.unreachable) {
        this.setUp(false, err.message);
        return this.report(d, { kind: 'held', reason: `the MMSC is not reachable: ${err.message}`, retryMs: this.settings.probe_ms });
      }
      if (err instanceof HttpFailure) return this.report(d, { kind: 'failed', retryable: true, reason: `SubmitReq: ${err.message}`, code: 'no_response' });
      // The stored media is gone or unreadable: the job's content cannot be sent again either.
      return this.report(d, { kind: 'failed', retryable: false, reason: `SubmitReq not made: ${(err as Error).message}`, code: 'content' });
    }
    this.report(d, this.submitOutcome(answer.status, answer.body, transactionId));
  }

  /** A SubmitRsp (or a SOAP Fault with its status) as the attempt's outcome; an answer that is neither is retried. */
  private submitOutcome(status: number, body: Buffer, transactionId: string): Outcome {
    if (status === 401 || status === 403) {
      this.log.error({ status }, 'the MMSC refused our MM7 credentials');
      return { kind: 'failed', retryable: false, reason: `the MMSC refused our credentials (HTTP ${status})`, code: String(status) };
    }
    let m: Mm7Message;
    try {
      m = parseMm7(body);
    } catch (err) {
      return { kind: 'failed', retryable: true, reason: `SubmitRsp unreadable (HTTP ${status}): ${(err as Error).message}`, code: `http_${status}` };
    }
    const st = statusOf(m);
    if (!st) return { kind: 'failed', retryable: true, reason: `${m.kind} without a StatusCode (HTTP ${status})`, code: `http_${status}` };
    if (m.transactionId && m.transactionId !== transactionId) this.log.warn({ sent: transactionId, got: m.transactionId }, 'SubmitRsp names another TransactionID');
    if (!isSuccess(st.code)) return submitFailure(st.code, st.text);
    const messageId = textOf(child(m.body, 'MessageID'))?.trim();
    if (m.kind !== 'SubmitRsp' || !messageId) return { kind: 'failed', retryable: true, reason: `a ${m.kind} of ${st.code} without a MessageID`, code: 'no_message_id' };
    return { kind: 'accepted', peerId: messageId, awaitReceipt: this.settings.delivery_report, parts: 1, encoding: 'mm7' };
  }

  /** The MMSC's requests to us: checked (its Basic auth when one is set), parsed, stored, then answered. */
  private async onRequest(req: GatewayRequest): Promise<Answer> {
    if (!this.authorised(req.headers.authorization)) return { status: 401, body: 'unauthorised' };
    const contentType = String(req.headers['content-type'] ?? '');
    let m: Mm7Message;
    let received;
    try {
      received = await readMm7Request(contentType, req.body);
      if (!received) return { status: 400, body: 'expected an MM7 SOAP request (text/xml or multipart/related)' };
      m = parseMm7(received.soap);
    } catch (err) {
      if (err instanceof Mm7ParseError) return { status: 400, body: err.message };
      throw err;
    }
    if (m.kind === 'DeliveryReportReq') return this.onDeliveryReport(m);
    if (m.kind === 'DeliverReq') {
      let parts: NonNullable<InboundDetails['mms']>['parts'];
      try {
        // Kept before the message is stored, so that the inbound record never names a file not there.
        parts = this.dataDir ? keepInboundMedia(this.dataDir, received.parts) : received.parts.map((p) => ({ type: p.contentType, size: p.content.length }));
      } catch (err) {
        // A disk that refuses: the MMSC is told to try again later (a server error, MM7's 3000), nothing said of paths.
        this.log.error({ err }, "a received MMS's media could not be kept");
        return this.answer('DeliverRsp', m.transactionId, 3000, 'Server Error', 500);
      }
      return this.onDeliver(m, received.text, parts);
    }
    return this.answer('DeliverRsp', m.transactionId, 4003, `${m.kind} is not taken here`, 500);
  }

  private authorised(header: string | string[] | undefined): boolean {
    const { inbound_username: user, inbound_password: pass } = this.settings;
    if (user === null || pass === null) return true;
    const want = Buffer.from(`Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`);
    const given = Buffer.from(typeof header === 'string' ? header : '');
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private answer(kind: 'DeliveryReportRsp' | 'DeliverRsp', transactionId: string, code: number, text: string, status = 200): Answer {
    return { status, contentType: 'text/xml; charset=utf-8', body: mm7Response(this.dialect, kind, transactionId, code, text) };
  }

  /** DeliveryReportReq: MessageID is the attempt's peer id, MMStatus its receipt; answered DeliveryReportRsp once stored. */
  private onDeliveryReport(m: Mm7Message): Promise<Answer> {
    const messageId = textOf(child(m.body, 'MessageID'))?.trim();
    const mmStatus = textOf(child(m.body, 'MMStatus'))?.trim() ?? '';
    if (!messageId || !mmStatus) return Promise.resolve(this.answer('DeliveryReportRsp', m.transactionId, 4004, 'MessageID and MMStatus are required', 500));
    const status = mmStatusReceipt(mmStatus);
    if (status === null) return Promise.resolve(this.answer('DeliveryReportRsp', m.transactionId, 1000, 'Success'));
    const text = textOf(child(m.body, 'StatusText'))?.trim();
    const outcome: Outcome = { kind: 'receipt', status, code: mmStatus, text: status === 'delivered' ? undefined : text ? `${mmStatus}: ${text}` : mmStatus };
    return new Promise((resolve) => this.sink.report({ providerId: this.providerId, peerId: messageId, at: Date.now(), outcome }, () => resolve(this.answer('DeliveryReportRsp', m.transactionId, 1000, 'Success'))));
  }

  /** DeliverReq: an MMS from a handset (a reply), its text as the message's; answered DeliverRsp once stored. */
  private onDeliver(m: Mm7Message, text: string, parts: NonNullable<InboundDetails['mms']>['parts']): Promise<Answer> {
    const raw = addressOf(child(m.body, 'Sender'));
    const from = raw && /^\+?\d{3,20}$/.test(raw) ? `+${raw.replace(/^\+/, '')}` : raw;
    if (!from || from.length > 64) return Promise.resolve(this.answer('DeliverRsp', m.transactionId, 2002, 'a Sender address is required', 500));
    const to = addressOf(child(child(m.body, 'Recipients'), 'To'));
    const subject = textOf(child(m.body, 'Subject'))?.trim();
    const linkedId = textOf(child(m.body, 'LinkedID'))?.trim();
    const data: InboundDetails = { via: 'mm7', mms: { ...(subject ? { subject } : {}), ...(linkedId ? { linked_id: linkedId } : {}), parts } };
    return new Promise((resolve) => this.sink.inbound({ providerId: this.providerId, channel: 'mms', from, to, text: text || subject || '', at: Date.now(), data }, () => resolve(this.answer('DeliverRsp', m.transactionId, 1000, 'Success'))));
  }

  private setUp(up: boolean, reason?: string): void {
    if (up === this.up) return;
    this.up = up;
    this.sink.health(this.providerId, up, reason);
    if (!up) {
      for (const d of this.waiting.splice(0)) this.report(d, { kind: 'held', reason: 'the MMSC is not reachable', retryMs: this.settings.probe_ms });
      this.scheduleProbe();
    }
  }

  /** Any HTTP answer from the MM7 URL means the MMSC is there (MM7 has no ping of its own). */
  private async probe(): Promise<void> {
    if (this.stopped) return;
    try {
      await request(this.agent, this.url, 'GET', this.headers('text/plain'), null, this.settings.timeout_ms);
      this.setUp(true);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'the MMSC is not reachable');
      this.setUp(false, (err as Error).message);
      this.scheduleProbe();
    }
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
