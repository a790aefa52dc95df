import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import smpp from 'smpp';
import type { Logger } from 'pino';
import { statusName } from './status.js';
import { reconnectDelay } from '../../core/backoff.js';
import type { SmppEndpoint, SmppSettings } from './settings.js';
import { encodeEmptyResponse, encodeSubmitSm, type SubmitSmFields } from './encode.js';

export type BindMode = 'transceiver' | 'transmitter' | 'receiver';

/** A request that got no answer: the link failed or the peer never responded. Its fate is unknown. */
export class LinkError extends Error {
  override name = 'LinkError';
}

interface Pending {
  resolve: (pdu: smpp.PDU) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface BindHandlers {
  /** A deliver_sm (receipt or MO); resolve with the command_status to answer once it is safe to. */
  deliver(pdu: smpp.PDU): Promise<number>;
  /** Bound and ready, or the link went down (with why). */
  state(up: boolean, reason: string): void;
  /** Room in the window again, or the socket drained. */
  ready(): void;
}

/**
 * One SMPP session, kept bound: connect (TCP_NODELAY, optional TLS), bind, enquire_link both ways,
 * inactivity detection, a timeout on every request, reconnect with exponential backoff and jitter,
 * unbind on stop. Around the `smpp` 0.5 package's gaps: it answers nothing itself, never fails pending
 * requests when the socket closes, freezes after a malformed PDU (so any 'error' destroys the socket),
 * and ignores backpressure (callers ask `canSubmit` first).
 */
export class SmppBind {
  private session: smpp.Session | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private bound = false;
  private running = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private linkTimer: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  private readonly tlsCa: Buffer | null;

  constructor(
    readonly name: string,
    private readonly mode: BindMode,
    private readonly endpoint: SmppEndpoint,
    private readonly settings: SmppSettings,
    private readonly handlers: BindHandlers,
    private readonly log: Logger,
    private readonly rand: () => number = Math.random,
  ) {
    this.tlsCa = settings.tls && settings.tls_ca_file ? readFileSync(settings.tls_ca_file) : null;
  }

  get isBound(): boolean {
    return this.bound;
  }

  get canTransmit(): boolean {
    return this.mode !== 'receiver';
  }

  /** Requests awaiting a response on this bind. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Whether a submit_sm may go now: bound, window not full, socket not backed up. */
  canSubmit(): boolean {
    return this.bound && this.canTransmit && this.pending.size < this.settings.window && !this.session?.socket.writableNeedDrain;
  }

  start(): void {
    this.running = true;
    this.connect();
  }

  /** Unbind (bounded by the response timeout) and close; pending requests fail with LinkError. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const session = this.session;
    if (!session) return;
    if (this.bound) {
      try {
        await this.request('unbind', {});
      } catch {
        // The peer did not answer; close anyway.
      }
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        session.destroy();
        resolve();
      }, 1000);
      session.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.down('stopped');
  }

  /** Send a request PDU; resolves with its response (whatever its command_status), rejects with LinkError. */
  request(command: string, fields: smpp.PduFields): Promise<smpp.PDU> {
    return this.track(command, (seq) => new smpp.PDU(command, { ...fields, sequence_number: seq }));
  }

  /** submit_sm through the direct encoder (the hot path). */
  submit(fields: SubmitSmFields): Promise<smpp.PDU> {
    return this.track('submit_sm', (seq) => encodeSubmitSm(seq, fields));
  }

  private track(command: string, build: (seq: number) => smpp.PDU | Buffer): Promise<smpp.PDU> {
    const session = this.session;
    if (!session || !session.socket.writable) return Promise.reject(new LinkError(`${this.name}: not connected`));
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    const seq = this.seq;
    let pdu: smpp.PDU | Buffer;
    try {
      pdu = build(seq);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<smpp.PDU>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new LinkError(`${this.name}: no ${command}_resp within ${this.settings.response_timeout_ms} ms`));
        // A peer that stops answering is a dead link, whatever TCP thinks.
        this.reset(`no response to ${command}`);
      }, this.settings.response_timeout_ms);
      this.pending.set(seq, { resolve, reject, timer });
      this.write(session, pdu);
    });
  }

  private corked = false;

  /**
   * PDUs written in one tick leave in one write: with TCP_NODELAY each socket write is its own segment
   * and system call, which at thousands of PDUs a second costs more than encoding them.
   */
  private write(session: smpp.Session, pdu: smpp.PDU | Buffer): void {
    const socket = session.socket;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    if (Buffer.isBuffer(pdu)) socket.write(pdu);
    else session.send(pdu);
  }

  private connect(): void {
    if (!this.running) return;
    const { host, port } = this.endpoint;
    const socket = this.settings.tls ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...(this.tlsCa ? { ca: this.tlsCa } : {}) }) : net.connect({ host, port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const session = new smpp.Session({ socket });
    this.session = session;
    socket.once(this.settings.tls ? 'secureConnect' : 'connect', () => void this.bind(session));
    // A connect that hangs counts as a failure too.
    socket.setTimeout(this.settings.response_timeout_ms, () => {
      if (!this.bound) socket.destroy(new Error('connect or bind timed out'));
    });
    session.on('pdu', (pdu: smpp.PDU) => this.onPdu(session, pdu));
    session.on('error', (err: Error) => {
      this.log.warn({ bind: this.name, err: err.message }, 'smpp session error; resetting');
      socket.destroy();
    });
    socket.on('drain', () => this.handlers.ready());
    session.on('close', () => {
      if (this.session === session) this.session = null;
      this.down('connection closed');
      this.scheduleReconnect();
    });
  }

  private async bind(session: smpp.Session): Promise<void> {
    this.lastHeard = Date.now();
    let resp: smpp.PDU;
    try {
      resp = await this.request(`bind_${this.mode}`, {
        system_id: this.endpoint.systemId,
        password: this.endpoint.password,
        system_type: this.settings.system_type,
        interface_version: 0x34,
      });
    } catch (err) {
      this.log.warn({ bind: this.name, err: (err as Error).message }, 'smpp bind got no answer');
      session.destroy();
      return;
    }
    if (resp.command_status !== 0) {
      this.failures += 2; // a refused bind backs off faster than a dropped link
      this.log.error({ bind: this.name, status: statusName(resp.command_status) }, 'smpp bind refused');
      session.destroy();
      return;
    }
    session.socket.setTimeout(0);
    this.bound = true;
    this.failures = 0;
    this.log.info({ bind: this.name, mode: this.mode, host: this.endpoint.host, port: this.endpoint.port }, 'smpp bound');
    this.linkTimer = setInterval(() => this.checkLink(), Math.min(this.settings.enquire_link_ms, this.settings.inactivity_ms) / 2);
    this.linkTimer.unref();
    this.handlers.state(true, 'bound');
    this.handlers.ready();
  }

  private lastEnquire = 0;

  private checkLink(): void {
    const now = Date.now();
    if (now - this.lastHeard >= this.settings.inactivity_ms) return this.reset(`nothing heard for ${this.settings.inactivity_ms} ms`);
    if (now - Math.max(this.lastHeard, this.lastEnquire) >= this.settings.enquire_link_ms) {
      this.lastEnquire = now;
      this.request('enquire_link', {}).catch(() => undefined);
    }
  }

  private onPdu(session: smpp.Session, pdu: smpp.PDU): void {
    this.lastHeard = Date.now();
    if (pdu.isResponse()) {
      const p = this.pending.get(pdu.sequence_number);
      if (!p) return;
      this.pending.delete(pdu.sequence_number);
      clearTimeout(p.timer);
      p.resolve(pdu);
      if (this.pending.size === this.settings.window - 1) this.handlers.ready();
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        this.write(session, pdu.response());
        return;
      case 'deliver_sm':
      case 'data_sm':
        this.handlers.deliver(pdu).then(
          (status) => session.socket.writable && this.write(session, encodeEmptyResponse(pdu.command_id, pdu.sequence_number, status)),
          () => session.socket.writable && this.write(session, encodeEmptyResponse(pdu.command_id, pdu.sequence_number, 0x08)),
        );
        return;
      case 'unbind':
        session.send(pdu.response());
        this.down('unbound by the SMSC');
        session.close();
        return;
      case 'alert_notification':
        return; // has no response
      default:
        // Commands an ESME does not take (or the package could not parse): say so, stay up.
        session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: 0x03 }));
    }
  }

  /** Drop the link now (it will reconnect). */
  reset(reason: string): void {
    this.log.warn({ bind: this.name, reason }, 'smpp link reset');
    this.session?.socket.destroy();
  }

  private down(reason: string): void {
    if (this.linkTimer) clearInterval(this.linkTimer);
    this.linkTimer = null;
    const wasBound = this.bound;
    this.bound = false;
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new LinkError(`${this.name}: ${reason} before the response`));
      this.pending.delete(seq);
    }
    if (wasBound) this.handlers.state(false, reason);
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = reconnectDelay(this.failures++, this.settings.reconnect_min_ms, this.settings.reconnect_max_ms, this.rand());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
