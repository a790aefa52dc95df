import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Delivery, Gateway, GatewayContext, GatewayRoute, GatewaySink } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';
import { concatUdh, decodeSms, senderAddress, SmsAddressError, type SmsLink, type SmsPlan } from '../../core/sms.js';
import { KANNEL_DLR_MASK, kannelDlr, kannelText, queryBytes, sendsmsAnswer } from './protocol.js';
import type { KannelSettings } from './settings.js';

export interface KannelEndpoint {
  name: string;
  host: string;
  port: number;
  username: string;
  password: string;
}

/** sendsms parameters: strings go as UTF-8, Buffers as their octets (UCS-2 text, UDH). */
type Params = [name: string, value: string | Buffer][];

interface Request {
  d: Delivery;
  query: Params;
  msg: { tokens: string[]; answered: number; reported: boolean; plan: SmsPlan };
}

/**
 * SMS through Kannel's smsbox: one sendsms request per part (switchpost plans the parts and their UDH),
 * each with a dlr-url carrying an unguessable token that is the part's peer id; DLRs and MO messages come
 * back to routes the daemon serves. See README.md.
 */
export class KannelGateway implements Gateway {
  readonly routes: GatewayRoute[];
  /** Kannel carries GSM 03.38 (coding 0) and UCS-2 (coding 2); its 8-bit coding is binary, so Latin-1 goes as UCS-2. */
  readonly smsLink: SmsLink = { encoding: 'auto', latin1: false, latin1Fallback: false };
  private readonly waiting: Request[] = [];
  private active = 0;
  private up = false;
  private baseUrl = '';
  private probeTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly providerId: number,
    private readonly endpoint: KannelEndpoint,
    private readonly settings: KannelSettings,
    private readonly sink: GatewaySink,
    private readonly log: Logger,
  ) {
    const base = `/gateways/kannel/${encodeURIComponent(endpoint.name)}`;
    this.routes = [
      { method: 'GET', path: `${base}/dlr`, handle: (q) => this.onDlr(q) },
      { method: 'GET', path: `${base}/mo`, handle: (q) => this.onMo(q) },
    ];
  }

  private get sendsmsUrl(): string {
    return `${this.settings.tls ? 'https' : 'http'}://${this.endpoint.host}:${this.endpoint.port}${this.settings.sendsms_path}`;
  }

  async start(ctx: GatewayContext): Promise<void> {
    this.baseUrl = (this.settings.callback_base_url ?? ctx.baseUrl).replace(/\/$/, '');
    await this.probe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    for (const r of this.waiting.splice(0)) this.hold(r, 'the daemon is stopping');
  }

  isUp(): boolean {
    return this.up;
  }

  send(d: Delivery): void {
    const report = (outcome: Outcome) => this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
    if (d.kind !== 'sms') return report({ kind: 'failed', retryable: false, state: 'rejected', reason: `a Kannel provider carries SMS, not ${d.channel}`, code: 'channel' });
    const plan = d.sms.plan;
    try {
      const sender = d.sender ?? this.settings.default_sender;
      if (sender) senderAddress(sender); // refuses a sender no network takes
    } catch (err) {
      if (err instanceof SmsAddressError) return report({ kind: 'failed', retryable: false, state: 'rejected', reason: err.message, code: 'encoding' });
      return report({ kind: 'failed', retryable: true, reason: (err as Error).message });
    }
    if (!this.up) return report({ kind: 'held', reason: 'kannel is not reachable', retryMs: this.settings.probe_ms });
    const total = plan.parts.length;
    const ref = total > 1 ? randomBytes(1)[0]! : 0;
    const msg = { tokens: plan.parts.map(() => randomBytes(16).toString('hex')), answered: 0, reported: false, plan };
    plan.parts.forEach((payload, i) => {
      const q: Params = [
        ['username', this.endpoint.username],
        ['password', this.endpoint.password],
        ['to', d.destination],
      ];
      const sender = d.sender ?? this.settings.default_sender;
      if (sender) q.push(['from', sender]);
      // GSM text goes as UTF-8 (coding 0, Kannel maps it to GSM 03.38); UCS-2 as its own octets.
      if (plan.encoding === 'gsm7') q.push(['charset', 'UTF-8'], ['text', decodeSms(payload, 0).text]);
      else q.push(['coding', '2'], ['charset', 'UTF-16BE'], ['text', payload]);
      if (total > 1) q.push(['udh', concatUdh(ref, total, i + 1)]);
      if (d.sms.flash) q.push(['mclass', '0']);
      if (d.sms.validityMinutes) q.push(['validity', String(Math.round(d.sms.validityMinutes))]);
      if (this.settings.smsc_id) q.push(['smsc', this.settings.smsc_id]);
      q.push(['dlr-mask', String(KANNEL_DLR_MASK)], ['dlr-url', `${this.baseUrl}${this.routes[0]!.path}?t=${msg.tokens[i]}&s=%d&a=%A`]);
      this.waiting.push({ d, query: q, msg });
    });
    this.pump();
  }

  private pump(): void {
    while (this.active < this.settings.concurrency && this.waiting.length > 0) {
      const r = this.waiting.shift()!;
      if (r.msg.reported) continue;
      this.active++;
      void this.request(r).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async request(r: Request): Promise<void> {
    let status: number;
    let body: string;
    try {
      const res = await fetch(`${this.sendsmsUrl}?${encodeParams(r.query)}`, { signal: AbortSignal.timeout(this.settings.timeout_ms) });
      status = res.status;
      body = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.cause?.code === 'ECONNREFUSED' && r.msg.answered === 0) {
        this.setUp(false, 'connection refused');
        return this.hold(r, 'kannel is not reachable');
      }
      return this.finish(r, { kind: 'failed', retryable: true, reason: `sendsms: ${e.name === 'TimeoutError' ? `no answer in ${this.settings.timeout_ms} ms` : e.message}`, code: 'no_response' });
    }
    const answer = sendsmsAnswer(status, body);
    if (!answer.ok) {
      if (status === 401 || status === 403) this.log.error({ status, body: body.slice(0, 200) }, 'kannel refused our sendsms credentials');
      return this.finish(r, answer.retryable ? { kind: 'failed', retryable: true, reason: answer.reason, code: String(status) } : { kind: 'failed', retryable: false, state: 'rejected', reason: answer.reason, code: String(status) });
    }
    if (++r.msg.answered < r.msg.tokens.length) return;
    this.finish(r, {
      kind: 'accepted',
      peerId: r.msg.tokens[0],
      awaitReceipt: true,
      parts: r.msg.tokens.length,
      encoding: r.msg.plan.encoding,
      ...(r.msg.tokens.length > 1 ? { partPeerIds: r.msg.tokens } : {}),
    });
  }

  private finish(r: Request, outcome: Outcome): void {
    if (r.msg.reported) return;
    r.msg.reported = true;
    this.sink.report({ attemptId: r.d.attemptId, at: Date.now(), outcome });
  }

  private hold(r: Request, reason: string): void {
    this.finish(r, { kind: 'held', reason, retryMs: this.settings.probe_ms });
  }

  private setUp(up: boolean, reason?: string): void {
    if (up === this.up) return;
    this.up = up;
    this.sink.health(this.providerId, up, reason);
    if (!up) for (const r of this.waiting.splice(0)) this.hold(r, 'kannel is not reachable');
    if (!up) this.scheduleProbe();
  }

  /** Any HTTP answer from sendsms means smsbox is there. */
  private async probe(): Promise<void> {
    if (this.stopped) return;
    try {
      await fetch(this.sendsmsUrl, { signal: AbortSignal.timeout(this.settings.timeout_ms) });
      this.setUp(true);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'kannel sendsms is not reachable');
      this.setUp(false, 'not reachable');
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

  private stored(report: (committed: () => void) => void): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => report(() => resolve({ status: 200, body: 'OK' })));
  }

  /** dlr-url: t = the part's token, s = %d, a = %A. */
  private onDlr(rawQuery: string): Promise<{ status: number; body: string }> {
    const q = queryBytes(rawQuery);
    const token = q.get('t')?.toString('latin1') ?? '';
    if (!/^[0-9a-f]{32}$/.test(token)) return Promise.resolve({ status: 400, body: 'bad token' });
    const dlr = kannelDlr(Number(q.get('s')?.toString('latin1') ?? '0'), q.get('a')?.toString('latin1') ?? '');
    if (!dlr.status) return Promise.resolve({ status: 200, body: 'OK' });
    const status = dlr.status;
    return this.stored((committed) => this.sink.report({ providerId: this.providerId, peerId: token, at: Date.now(), outcome: { kind: 'receipt', status, code: dlr.code, text: dlr.text ?? undefined } }, committed));
  }

  /** sms-service get-url: secret, from = %p, to = %P, text = %b, charset = %C. */
  private onMo(rawQuery: string): Promise<{ status: number; body: string }> {
    const q = queryBytes(rawQuery);
    const secret = this.settings.mo_secret;
    const given = q.get('secret') ?? Buffer.alloc(0);
    if (!secret || given.length !== Buffer.byteLength(secret) || !timingSafeEqual(given, Buffer.from(secret))) return Promise.resolve({ status: 403, body: 'forbidden' });
    const from = q.get('from')?.toString('utf8').trim() ?? '';
    if (!/^\+?[0-9A-Za-z ._-]{1,20}$/.test(from)) return Promise.resolve({ status: 400, body: 'bad sender' });
    const to = q.get('to')?.toString('utf8').trim() || null;
    const text = kannelText(q.get('text') ?? Buffer.alloc(0), q.get('charset')?.toString('latin1') ?? '');
    return this.stored((committed) => this.sink.inbound({ providerId: this.providerId, channel: 'sms', from, to, text, at: Date.now(), data: { via: 'kannel' } }, committed));
  }
}

function encodeParams(params: Params): string {
  return params.map(([k, v]) => `${k}=${typeof v === 'string' ? encodeURIComponent(v) : escapeOctets(v)}`).join('&');
}

const escapeOctets = (b: Buffer): string => [...b].map((o) => `%${o.toString(16).toUpperCase().padStart(2, '0')}`).join('');
