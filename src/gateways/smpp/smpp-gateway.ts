import type smpp from 'smpp';
import type { Logger } from 'pino';
import type { Delivery, Gateway, GatewayContext, GatewaySink, MmsDelivery, SmsDelivery } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';
import { concatUdh, senderAddress, SmsAddressError, SmsEncodingError, smsMessage, type SmsLink } from '../../core/sms.js';
import { fallsBack, linkText, mediaLinks } from '../../core/mms/sms-link.js';
import { MmsPduError } from '../../core/mms/wsp.js';
import { WAP_PUSH_DATA_CODING, wapPushParts } from '../../core/mms/wap-push.js';
import { dataCoding, destinationAddress, relativeValidity } from './fields.js';
import { canonicalMessageId } from '../../core/receipts.js';
import { classifyStatus, statusCode, statusName } from './status.js';
import { Reassembler } from './reassembly.js';
import { AdaptiveRate, DEFAULT_ADAPTIVE_RATE } from '../../core/adaptive-rate.js';
import { SmppBind, LinkError, type BindMode } from './bind.js';
import { useRawMessages } from './raw-messages.js';
import type { SubmitSmFields } from './encode.js';
import { inboundOf, moMessage, receiptOf } from './deliver.js';
import type { SmppEndpoint, SmppSettings } from './settings.js';
import type { WapPushDelivery } from './wap-push.js';
import { hostLinkFiles, hostWapPush, type HostedMedia, type SmppMmsSettings } from './mms.js';

/**
 * Hosting an MMS failed: its stored media gone (the job's content cannot be sent again either) is final;
 * anything else (a disk full or read-only for now) is retried by the spool's policy. Nothing of paths is said.
 */
function hostingFailure(err: unknown): Outcome {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'failed', retryable: false, reason: "the job's media is no longer stored", code: 'content' };
  return { kind: 'failed', retryable: true, reason: `the MMS could not be hosted: ${(err as { errorCode?: string }).errorCode ?? (err as Error).name}`, code: 'hosting' };
}

/** One message on its way: its parts go out in order, each answered by its own submit_sm_resp. */
interface Outgoing {
  d: { attemptId: number };
  /** What the accepted outcome says it was sent as: the SMS encoding, or `binary` (a WAP Push). */
  encoding: string;
  peerIds: (string | null)[];
  answered: number;
  /** A part went on the wire: from then on, a lost link leaves its fate unknown. */
  onWire: boolean;
  /** An outcome was reported; later responses for its parts only update nothing. */
  reported: boolean;
  /** A last try: recorded as going on the wire (committed) before its first part goes. */
  armed: boolean;
  /** Counted in `unsettled` (from its arming, or its first submit); settle releases it. */
  counted: boolean;
  /** Armed by us and not yet on the wire: counted against the free window slots. */
  arming: boolean;
  /**
   * What its outcome says before it is reported (an MMS path's accepted: submitted until the handset
   * answers); null: nothing is reported, another send of the same attempt took over (a fallback).
   */
  decorate?: ((o: Outcome) => Outcome | null) | undefined;
}

interface PartSend {
  msg: Outgoing;
  index: number;
  fields: SubmitSmFields;
  /** Times the SMSC answered this PDU throttled. */
  throttles: number;
}

/**
 * SMS over SMPP 3.4: plans each message (encoding, parts, UDH), submits the parts over the provider's
 * binds within their windows and the provider's throughput, reports accepted/failed per message, and
 * turns deliver_sm into receipts (per part) and MO messages (reassembled). See README.md.
 */
export class SmppGateway implements Gateway {
  readonly confirmsWire = true;
  readonly smsLink: SmsLink;
  private readonly binds: SmppBind[] = [];
  private queue: PartSend[] = [];
  private head = 0;
  /** The pace the SMSC takes, learned from its throttling, under the provider's throughput. */
  private readonly pace: AdaptiveRate;
  private readonly refs = new Map<string, number>();
  private readonly reassembler: Reassembler<number>;
  /**
   * Messages on the wire whose outcome is not committed yet: from their first part's submit_sm until
   * the recorder has committed what came of them. At most `unsettledCap` (2 × binds × window): after a
   * crash only these may have reached the SMSC without their answer recorded, so only these can go
   * twice. (The rest of what the spool handed over waits here, not on the wire.)
   */
  private unsettled = 0;
  private readonly unsettledCap: number;
  /** Last tries armed (or being armed) but not on the wire yet: never more than could go at once. */
  private arming = 0;
  private pumpTimer: NodeJS.Timeout | null = null;
  private expireTimer: NodeJS.Timeout | null = null;
  private up = false;
  /** Stopping past the grace: nothing more goes on the wire. */
  private draining = false;
  /** The daemon's own URL (hosted media's base when `mms.public_url` is unset), from start(). */
  private baseUrl = 'http://127.0.0.1';

  constructor(
    readonly providerId: number,
    private readonly endpoint: SmppEndpoint,
    private readonly settings: SmppSettings,
    private readonly sink: GatewaySink,
    private readonly log: Logger,
    private readonly rand: () => number = Math.random,
    /** Hosted media for an MMS path (`settings.mms`); null: MMS is refused. */
    private readonly hosted: HostedMedia | null = null,
  ) {
    useRawMessages();
    this.smsLink = { encoding: settings.encoding, latin1: true, latin1Fallback: settings.latin1 };
    this.pace = new AdaptiveRate({ ...DEFAULT_ADAPTIVE_RATE, max: endpoint.throughput > 0 ? endpoint.throughput : Infinity });
    this.reassembler = new Reassembler<number>(settings.mo_reassembly_ms);
    this.unsettledCap = 2 * settings.binds * settings.window;
    const modes: BindMode[] = settings.bind === 'transceiver' ? ['transceiver'] : ['transmitter', 'receiver'];
    for (let i = 0; i < settings.binds; i++) {
      for (const mode of modes) {
        const name = `${mode}-${i + 1}`;
        const bind: SmppBind = new SmppBind(name, mode, endpoint, settings, { deliver: (pdu) => this.onDeliver(pdu), state: (isUp, reason) => this.onBindState(bind, isUp, reason), ready: () => this.pump() }, log.child({ bind: name }), rand);
        this.binds.push(bind);
      }
    }
  }

  async start(ctx?: GatewayContext): Promise<void> {
    if (ctx) this.baseUrl = ctx.baseUrl;
    for (const b of this.binds) b.start();
    this.expireTimer = setInterval(() => this.expireMo(), Math.max(1000, Math.floor(this.settings.mo_reassembly_ms / 4)));
    this.expireTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    if (this.expireTimer) clearInterval(this.expireTimer);
    this.holdQueued('the daemon is stopping');
    await Promise.all(this.binds.map((b) => b.stop()));
    this.expireMo(Infinity);
  }

  drain(): void {
    this.draining = true;
    this.holdQueued('the daemon is stopping');
  }

  isUp(): boolean {
    return this.up;
  }

  /** Messages waiting for a window slot or a token. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  send(d: Delivery): void {
    const report = (outcome: Outcome) => this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
    if (d.kind === 'mms' && this.settings.mms) return this.sendMms(d, this.settings.mms, report);
    if (d.kind !== 'sms') return report({ kind: 'failed', retryable: false, state: 'rejected', reason: `an SMPP provider carries SMS, not ${d.channel}`, code: 'channel' });
    this.enqueue(d.attemptId, report, () => this.partsOf(d));
  }

  /**
   * An MMS over this SMSC (`settings.mms`). By WAP Push: its M-Retrieve.conf hosted under the attempt's
   * ref, the M-Notification.ind pushed as binary SMS without SMS receipts (the handset's fetch and answers
   * are the receipt); accepted is submitted until the notification's expiry; its hosted file goes when
   * it fails here. A refusal falls back to the SMS with a link where `mms.fallback` allows it (same attempt).
   */
  private sendMms(d: MmsDelivery, mms: SmppMmsSettings, report: (o: Outcome) => void): void {
    const hosted = this.hosted;
    if (!hosted) return report({ kind: 'failed', retryable: false, reason: "MMS over SMPP needs the daemon's hosted media", code: 'config' });
    // Nothing is hosted for a link that is down: the work is held as any other.
    if (!this.up) return report({ kind: 'held', reason: 'the SMPP link is down', retryMs: this.settings.reconnect_min_ms * 2 });
    if (mms.path === 'sms_link') return this.sendLink(d, mms, hosted, report, null);
    // An earlier try's push expired unfetched: this one is the link (a provider without the fallback pushes again).
    if (d.mms.pushExpired && mms.fallback === 'sms_link') return this.sendLink(d, mms, hosted, report, 'not fetched before its expiry');
    const fallback = (o: Outcome): boolean => {
      if (mms.fallback !== 'sms_link' || !fallsBack(o)) return false;
      this.sendLink(d, mms, hosted, report, o.reason);
      return true;
    };
    hostWapPush(d, mms, hosted, this.baseUrl, new Date(), Math.floor(this.rand() * 256)).then(
      ({ push, expiresAt, ref }) => {
        const decorate = (o: Outcome): Outcome | null => {
          if (o.kind === 'accepted') return { kind: 'accepted', awaitReceipt: true, encoding: 'wap_push', deadline: expiresAt.getTime(), ...(o.parts !== undefined ? { parts: o.parts } : {}) };
          hosted.files.remove('mms', ref);
          return fallback(o) ? null : o;
        };
        const p: WapPushDelivery = {
          attemptId: d.attemptId,
          destination: d.destination,
          sender: d.sender,
          push,
          receipts: false,
          validityMinutes: Math.max(1, Math.ceil(mms.expiry_seconds / 60)),
          ...(d.lastTry !== undefined ? { lastTry: d.lastTry } : {}),
        };
        this.enqueue(
          d.attemptId,
          (o) => {
            const shown = decorate(o);
            if (shown) report(shown);
          },
          () => this.pushPartsOf(p, decorate),
        );
      },
      (err: unknown) => {
        if (err instanceof MmsPduError) {
          const o: Outcome = { kind: 'failed', retryable: false, state: 'rejected', reason: err.message, code: 'encoding' };
          return fallback(o) || report(o);
        }
        this.log.error({ err, attemptId: d.attemptId }, 'could not host an MMS for WAP Push');
        report(hostingFailure(err));
      },
    );
  }

  /**
   * An MMS as an SMS with a link (`mms.path: sms_link`, or the fallback after a refused WAP Push, whose
   * reason `after` is kept in the outcome): the job's media parts hosted once for the job, each kept
   * until the newest link to it expires; the text and a signed, expiring link per part sent as an SMS
   * of this link's encoding, with its receipts. The attempt's encoding is `sms_link`.
   */
  private sendLink(d: MmsDelivery, mms: SmppMmsSettings, hosted: HostedMedia, report: (o: Outcome) => void, after: string | null): void {
    const decorate = (o: Outcome): Outcome => {
      if (o.kind === 'accepted') return { ...o, encoding: 'sms_link' };
      if (o.kind === 'failed' && after) return { ...o, reason: `WAP Push failed (${after}); the SMS with a link: ${o.reason}` };
      return o;
    };
    const shown = (o: Outcome) => report(decorate(o));
    const expiresAt = new Date(Date.now() + mms.expiry_seconds * 1000);
    hostLinkFiles(d, hosted, expiresAt.getTime()).then(
      () => {
        let sms: SmsDelivery;
        try {
          const text = linkText(d.mms, mediaLinks(d.jobId, d.mms.media.length, mms.public_url ?? this.baseUrl, hosted.key, expiresAt));
          sms = {
            attemptId: d.attemptId,
            recipientId: d.recipientId,
            jobId: d.jobId,
            channel: d.channel,
            destination: d.destination,
            sender: d.sender,
            kind: 'sms',
            sms: smsMessage(text, {}, this.smsLink),
            ...(d.lastTry !== undefined ? { lastTry: d.lastTry } : {}),
          };
        } catch (err) {
          if (err instanceof SmsEncodingError) return shown({ kind: 'failed', retryable: false, state: 'rejected', reason: err.message, code: 'encoding' });
          return shown({ kind: 'failed', retryable: true, reason: `could not build the message: ${(err as Error).message}` });
        }
        this.enqueue(d.attemptId, shown, () => this.partsOf(sms, decorate));
      },
      (err: unknown) => {
        this.log.error({ err, attemptId: d.attemptId }, "could not host an MMS's media for its link");
        shown(hostingFailure(err));
      },
    );
  }

  /**
   * A binary WAP Push (an MMS notification's WSP push PDU) to one handset: 8-bit data (data_coding 4),
   * UDHI set, each part its UDH with the WAP ports and, when long, the concatenation IE; paced, windowed,
   * armed and reported like an SMS (accepted with every part's id, a receipt per part). Must not throw.
   */
  sendWapPush(p: WapPushDelivery): void {
    const report = (outcome: Outcome) => this.sink.report({ attemptId: p.attemptId, at: Date.now(), outcome });
    this.enqueue(p.attemptId, report, () => this.pushPartsOf(p));
  }

  private enqueue(attemptId: number, report: (o: Outcome) => void, build: () => PartSend[]): void {
    let parts: PartSend[];
    try {
      parts = build();
    } catch (err) {
      if (err instanceof SmsAddressError || err instanceof MmsPduError) {
        return report({ kind: 'failed', retryable: false, state: 'rejected', reason: err.message, code: 'encoding' });
      }
      return report({ kind: 'failed', retryable: true, reason: `could not build the message: ${(err as Error).message}` });
    }
    if (!this.up) return report({ kind: 'held', reason: 'the SMPP link is down', retryMs: this.settings.reconnect_min_ms * 2 });
    if (this.draining) return report({ kind: 'held', reason: 'the daemon is stopping', retryMs: this.settings.reconnect_min_ms * 2 });
    this.queue.push(...parts);
    this.pump();
  }

  /** submit_sm fields for every part of a planned message. */
  private partsOf(d: SmsDelivery, decorate?: (o: Outcome) => Outcome | null): PartSend[] {
    const plan = d.sms.plan;
    const coding = dataCoding(plan.encoding, d.sms.flash);
    const addresses = this.addresses(d.destination, d.sender);
    const total = plan.parts.length;
    const ref = total > 1 ? this.nextRef(d.destination) : 0;
    const messages = total > 1 ? plan.parts.map((payload, i) => Buffer.concat([concatUdh(ref, total, i + 1), payload])) : plan.parts;
    // Store-and-forward default mode; UDHI when the part carries a concatenation header.
    return this.partSends(
      d.attemptId,
      d.lastTry,
      plan.encoding,
      messages,
      { ...addresses, esm_class: total > 1 ? 0x40 : 0x00, data_coding: coding, validity_period: d.sms.validityMinutes ? relativeValidity(d.sms.validityMinutes) : '' },
      this.settings.registered_delivery,
      decorate,
    );
  }

  /** submit_sm fields for a WAP Push: every part has a UDH (the ports), so UDHI is always set. */
  private pushPartsOf(p: WapPushDelivery, decorate?: (o: Outcome) => Outcome | null): PartSend[] {
    const addresses = this.addresses(p.destination, p.sender);
    const messages = wapPushParts(p.push, this.nextRef(p.destination));
    const registered = p.receipts === false ? 0 : this.settings.registered_delivery;
    return this.partSends(p.attemptId, p.lastTry, 'binary', messages, { ...addresses, esm_class: 0x40, data_coding: WAP_PUSH_DATA_CODING, validity_period: p.validityMinutes ? relativeValidity(p.validityMinutes) : '' }, registered, decorate);
  }

  private addresses(destination: string, sender: string | null): Pick<SubmitSmFields, 'source_addr_ton' | 'source_addr_npi' | 'source_addr' | 'dest_addr_ton' | 'dest_addr_npi' | 'destination_addr'> {
    const from = sender ?? this.settings.default_sender;
    const src = from ? senderAddress(from) : { ton: 0, npi: 0, addr: '' };
    const dst = destinationAddress(destination);
    return { source_addr_ton: this.settings.source_ton ?? src.ton, source_addr_npi: this.settings.source_npi ?? src.npi, source_addr: src.addr, dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr };
  }

  private partSends(
    attemptId: number,
    lastTry: boolean | undefined,
    encoding: string,
    messages: Buffer[],
    common: Omit<SubmitSmFields, 'short_message' | 'registered_delivery'>,
    registered: number = this.settings.registered_delivery,
    decorate?: (o: Outcome) => Outcome | null,
  ): PartSend[] {
    const msg: Outgoing = { d: { attemptId }, encoding, peerIds: messages.map(() => null), answered: 0, onWire: false, reported: false, armed: lastTry !== true || !this.sink.onWire, counted: false, arming: false, decorate };
    return messages.map((short_message, index) => ({ msg, index, throttles: 0, fields: { ...common, registered_delivery: registered, short_message } }));
  }

  /** Concatenation references per destination, so two long messages to one handset never share one. */
  private nextRef(destination: string): number {
    const prev = this.refs.get(destination) ?? Math.floor(this.rand() * 256);
    const ref = (prev + 1) & 0xff;
    if (this.refs.size >= 100_000) this.refs.clear();
    this.refs.set(destination, ref);
    return ref;
  }

  private pump(): void {
    if (this.pumpTimer) {
      clearTimeout(this.pumpTimer);
      this.pumpTimer = null;
    }
    if (this.draining) return;
    const now = Date.now();
    while (this.head < this.queue.length) {
      const part = this.queue[this.head]!;
      if (part.msg.reported) {
        this.head++;
        continue;
      }
      // Full windows wake the pump when a response frees a slot; a full unsettled count when a commit does.
      if (!part.msg.onWire && this.unsettled >= this.unsettledCap) {
        this.sink.flushSoon?.();
        break;
      }
      const bind = this.freestBind();
      if (!bind) break;
      // Armed only once it could go now: a last try waiting behind a full window or the pace stays
      // unsent, so a crash gives its try back. At most as many armed as free slots, each counted unsettled.
      if (!part.msg.armed) {
        if (this.arming >= this.freeSlots()) break;
        if (this.arming >= this.pace.available(now)) {
          if (this.arming === 0) this.pumpTimer = setTimeout(() => this.pump(), Math.max(1, this.pace.nextAt(now) - now));
          break;
        }
        this.arm(part.msg);
        continue;
      }
      if (!this.pace.take(now)) {
        this.pumpTimer = setTimeout(() => this.pump(), Math.max(1, this.pace.nextAt(now) - now));
        break;
      }
      this.head++;
      this.submit(bind, part);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * A last try leaves the queue until the spool has committed that it goes on the wire (so a crash before
   * then gives its try back), then comes back at its head.
   */
  private arm(msg: Outgoing): void {
    let n = 0;
    while (this.head + n < this.queue.length && this.queue[this.head + n]!.msg === msg) n++;
    const parts = this.queue.splice(this.head, n);
    this.unsettled++;
    msg.counted = true;
    msg.arming = true;
    this.arming++;
    this.sink.onWire!(msg.d.attemptId, () => {
      msg.armed = true;
      if (msg.reported) return;
      if (!this.up || this.draining) {
        msg.reported = true;
        this.report(msg, { kind: 'held', reason: this.draining ? 'the daemon is stopping' : 'the SMPP link is down', retryMs: this.settings.reconnect_min_ms * 2 });
        return;
      }
      this.queue.splice(this.head, 0, ...parts);
      this.pump();
    });
  }

  /** Submits the binds could take now. */
  private freeSlots(): number {
    let n = 0;
    for (const b of this.binds) if (b.canSubmit()) n += this.settings.window - b.outstanding;
    return n;
  }

  /** An armed message went on the wire or ended: it no longer holds a free slot. */
  private disarm(msg: Outgoing): void {
    if (!msg.arming) return;
    msg.arming = false;
    this.arming--;
  }

  private freestBind(): SmppBind | null {
    let best: SmppBind | null = null;
    for (const b of this.binds) if (b.canSubmit() && (!best || b.outstanding < best.outstanding)) best = b;
    return best;
  }

  private submit(bind: SmppBind, part: PartSend): void {
    if (!part.msg.counted) this.unsettled++;
    part.msg.counted = true;
    this.disarm(part.msg);
    part.msg.onWire = true;
    bind.submit(part.fields).then(
      (resp) => this.onSubmitResp(part, resp),
      (err: Error) => this.onNoResp(part, err),
    );
  }

  private onSubmitResp(part: PartSend, resp: smpp.PDU): void {
    const msg = part.msg;
    if (msg.reported) return;
    const status = resp.command_status;
    const cls = classifyStatus(status);
    if (cls === 'ok') {
      this.pace.accepted(Date.now());
      msg.peerIds[part.index] = canonicalMessageId(String(resp.message_id ?? ''), this.settings.message_id.submit);
      if (++msg.answered < msg.peerIds.length) return;
      msg.reported = true;
      const ids = msg.peerIds as string[];
      this.report(msg, {
        kind: 'accepted',
        peerId: ids[0],
        awaitReceipt: this.settings.registered_delivery !== 0,
        parts: ids.length,
        encoding: msg.encoding,
        ...(ids.length > 1 ? { partPeerIds: ids } : {}),
      });
      return;
    }
    const code = statusCode(status);
    if (cls === 'throttled') {
      // Slow the provider's pace down and send the very same part again, a bounded number of times.
      this.pace.throttled(Date.now());
      if (++part.throttles <= this.settings.max_throttle_resends) {
        this.queue.splice(this.head, 0, part);
        this.log.debug({ status: statusName(status), attemptId: msg.d.attemptId, rate: Math.round(this.pace.current) }, 'smsc throttled; slowing down');
        this.pump();
        return;
      }
      msg.reported = true;
      this.report(msg, { kind: 'failed', retryable: true, reason: `SMSC throttled the message ${part.throttles} times: ${statusName(status)}`, code });
      return;
    }
    msg.reported = true;
    const reason = `SMSC refused the message: ${statusName(status)}`;
    if (cls === 'retryable') this.report(msg, { kind: 'failed', retryable: true, reason, code });
    else this.report(msg, { kind: 'failed', retryable: false, state: cls === 'invalid_destination' ? 'invalid' : 'rejected', reason, code });
  }

  private onNoResp(part: PartSend, err: Error): void {
    const msg = part.msg;
    if (msg.reported) return;
    msg.reported = true;
    // Sent but not answered: the SMSC may have it. A retry may duplicate it (at-least-once).
    const reason = err instanceof LinkError ? err.message : `submit failed: ${err.message}`;
    this.report(msg, { kind: 'failed', retryable: true, reason, code: 'no_response' });
  }

  private report(msg: Outgoing, outcome: Outcome): void {
    this.disarm(msg);
    const shown = msg.decorate ? msg.decorate(outcome) : outcome;
    // Superseded (refused, so never delivered): its slot is free at once.
    if (!shown) return void (msg.counted && this.settle());
    this.sink.report({ attemptId: msg.d.attemptId, at: Date.now(), outcome: shown }, msg.counted ? this.settle : undefined);
  }

  /** A message's outcome is committed: it can no longer go twice; room for another. */
  private readonly settle = (): void => {
    if (this.unsettled > 0) this.unsettled--;
    if (this.unsettled === this.unsettledCap - 1 && this.head < this.queue.length) this.pump();
  };

  private onBindState(bind: SmppBind, isUp: boolean, reason: string): void {
    const up = this.binds.some((b) => b.canTransmit && b.isBound);
    if (up !== this.up) {
      this.up = up;
      this.sink.health(this.providerId, up, up ? undefined : `${bind.name}: ${reason}`);
    }
    // Work that never reached the wire waits for the link, without using a try.
    if (!up) this.holdQueued('the SMPP link is down');
    else if (isUp) this.pump();
  }

  private holdQueued(reason: string): void {
    const waiting = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const part of waiting) {
      const msg = part.msg;
      if (msg.reported) continue;
      msg.reported = true;
      if (msg.onWire) this.report(msg, { kind: 'failed', retryable: true, reason: `${reason} while its parts were being sent`, code: 'link_down' });
      else this.report(msg, { kind: 'held', reason, retryMs: this.settings.reconnect_min_ms * 2 });
    }
  }

  /** A deliver_sm: a receipt by peer id, or an MO message; answered once it is stored. */
  private onDeliver(pdu: smpp.PDU): Promise<number> {
    const now = Date.now();
    const receipt = receiptOf(pdu);
    if (receipt) {
      if (!receipt.status) return Promise.resolve(0); // intermediate (ENROUTE, ACCEPTD): nothing to record
      const peerId = canonicalMessageId(receipt.id, this.settings.message_id.receipt);
      return new Promise((resolve) => this.sink.report({ providerId: this.providerId, peerId, at: now, outcome: { kind: 'receipt', status: receipt.status!, code: receipt.err ?? undefined, text: receipt.stat } }, () => resolve(0)));
    }
    const mo = inboundOf(pdu);
    if (!mo) return Promise.resolve(0x08);
    let payload = mo.payload;
    let dataCoding = mo.dataCoding;
    if (mo.concat && mo.concat.total > 1) {
      // Parts wait in memory; each is acknowledged as it comes (see README: a crash loses an unfinished long MO).
      const whole = this.reassembler.add(mo.from, mo.to, mo.concat, mo.payload, now, mo.dataCoding);
      if (!whole) return Promise.resolve(0);
      payload = whole.payload;
      dataCoding = whole.meta;
    }
    const message = moMessage(this.providerId, mo.from, mo.to, payload, dataCoding, mo.concat?.total ?? 1, now);
    return new Promise((resolve) => this.sink.inbound(message, () => resolve(0)));
  }

  private expireMo(now = Date.now()): void {
    for (const m of this.reassembler.expire(now)) {
      this.log.warn({ from: m.from, missing: m.missing }, 'MO message incomplete after the reassembly timeout; delivered as it is');
      this.sink.inbound(moMessage(this.providerId, m.from, m.to, m.payload, m.meta, m.received, now, { incomplete: true, missing: m.missing }));
    }
  }
}
