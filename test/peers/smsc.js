// A scriptable SMSC for tests and benchmarks, built on the `smpp` package's server side (SMPP 3.4).
// It speaks real PDUs on a real socket on 127.0.0.1; scripts decide each submit_sm's fate.
// Plain ESM JavaScript so a benchmark can run it in its own process (see bench/sms-smpp.js).
import smpp from 'smpp';
import { useRawMessages } from '../../dist/gateways/smpp/raw-messages.js';

// Raw short_message bytes both ways, as the daemon does: tests assert the octets themselves.
useRawMessages();
// Times as the octets on the wire too (the package would turn them into Dates).
for (const field of ['validity_period', 'schedule_delivery_time']) {
  const param = smpp.commands.submit_sm.params[field];
  param.filter = { encode: (v) => v, decode: (v) => v };
}

const pad = (n) => String(n).padStart(2, '0');
const smppDate = (d) => `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;

/** The deliver_sm fields of a delivery receipt for message `id` (SMPP 3.4 Appendix B text, and TLVs if asked). */
export function receiptFields(id, { stat = 'DELIVRD', err = '000', destination = '', source = '', tlv = false, state } = {}) {
  const now = new Date();
  const text = `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${smppDate(now)} done date:${smppDate(now)} stat:${stat} err:${err} text:`;
  const states = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8, ENROUTE: 1 };
  return {
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: destination,
    dest_addr_ton: 0,
    dest_addr_npi: 1,
    destination_addr: source,
    esm_class: 0x04,
    data_coding: 0,
    short_message: Buffer.from(text, 'latin1'),
    ...(tlv ? { receipted_message_id: id, message_state: state ?? states[stat] ?? 7 } : {}),
  };
}

/**
 * Options:
 *  - systemId/password: the credentials binds must give (else ESME_RBINDFAIL / ESME_RINVPASWD)
 *  - script(submit, ctx): returns what to do with a submit_sm, any of
 *      { status } command_status of the response (default 0);
 *      { noResponse: true } never answer;
 *      { receipt: { stat, err, delayMs, beforeResp, tlv } } or { receipt: null } for none;
 *      { respDelayMs }
 *    default: accept and send DELIVRD after `receiptDelayMs` (0).
 *  - messageId(n): the id for the n-th accepted message (default: hex of n)
 *  - receiptId(id): how receipts write that id (default: as in the response)
 *  - receiptDelayMs
 *  - tls: { key, cert } to serve SMPP over TLS
 *  - record: false to keep no copy of each submit_sm (benchmarks)
 *  - rateLimit: { perSecond, burst } to take at most perSecond submit_sm a second (a token bucket holding
 *    burst, default a tenth of a second's worth) and answer the rest ESME_RTHROTTLED (0x58), as an
 *    SMSC enforcing an account's rate does; counted in `throttled`
 *  - recordWire: true to keep every octet each bind sent, as read off its socket (`wire`, one array of
 *    chunks per session; `receivedPdus()` cuts them into PDUs)
 *  - countDestinations: true to count every submit_sm per destination_addr in `perDestination`, and the
 *    times of the first and last one accepted in `firstAcceptedAt` / `lastAcceptedAt` (without `record`)
 *  - receiptsElsewhere: n to send every n-th receipt on another receiving bind than the one the message
 *    came on (as an SMSC does that delivers a system_id's receipts on whichever of its binds: with
 *    several daemons bound, another node's), and a receipt whose own bind is gone on another one too
 *    (as an SMSC keeps a receipt for the system_id's next bind); counted in `receiptsMoved`
 */
export class TestSmsc {
  constructor(opts = {}) {
    this.opts = opts;
    this.submits = [];
    this.binds = [];
    this.enquireLinks = 0;
    this.unbinds = 0;
    this.sessions = new Set();
    this.n = 0;
    this.receiptsSent = 0;
    this.receiptsMoved = 0;
    this.deliverResps = [];
    /** command_status of each data_sm_resp the client sent back. */
    this.dataResps = [];
    this.throttled = 0;
    this.wire = [];
    this.perDestination = opts.countDestinations ? new Map() : null;
    this.firstAcceptedAt = 0;
    this.lastAcceptedAt = 0;
    if (opts.rateLimit) {
      const { perSecond, burst = Math.max(1, Math.ceil(perSecond / 10)) } = opts.rateLimit;
      this.bucket = { perSecond, burst, tokens: burst, at: Date.now() };
    }
    this.server = smpp.createServer(opts.tls ?? {}, (session) => this.onSession(session));
  }

  /** The port it listens on (0 before `listen`). */
  get port() {
    return this.boundPort ?? 0;
  }

  async listen(port = 0) {
    await new Promise((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.boundPort = this.server.address().port;
    return this.boundPort;
  }

  onSession(session) {
    session.socket.setNoDelay(true);
    if (this.opts.recordWire) {
      // The package pulls PDUs with socket.read(); a 'data' listener would take them from it.
      const chunks = [];
      this.wire.push(chunks);
      const read = session.socket.read.bind(session.socket);
      session.socket.read = (n) => {
        const b = read(n);
        if (b) chunks.push(Buffer.from(b));
        return b;
      };
    }
    this.sessions.add(session);
    session.socket.on('close', () => {
      this.sessions.delete(session);
      if (this.opts.receiptsElsewhere) this.redeliver(session);
    });
    session.on('error', () => session.socket.destroy());
    for (const cmd of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
      session.on(cmd, (pdu) => {
        const { systemId, password } = this.opts;
        const status = systemId && pdu.system_id !== systemId ? 0x0f : password && pdu.password !== password ? 0x0e : 0;
        this.binds.push({ command: cmd, system_id: pdu.system_id, system_type: pdu.system_type, interface_version: pdu.interface_version, status, at: Date.now() });
        session.send(pdu.response({ command_status: status, system_id: 'TESTSMSC' }));
        if (status) session.close();
        else {
          session.mode = cmd.slice(5);
          if (this.kept?.length && cmd !== 'bind_transmitter') this.redeliver(null);
        }
      });
    }
    session.on('enquire_link', (pdu) => {
      this.enquireLinks++;
      session.send(pdu.response());
    });
    session.on('unbind', (pdu) => {
      this.unbinds++;
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm_resp', (pdu) => this.deliverResps.push(pdu.command_status));
    session.on('data_sm_resp', (pdu) => this.dataResps.push(pdu.command_status));
    session.on('submit_sm', (pdu) => this.onSubmit(session, pdu));
  }

  onSubmit(session, pdu) {
    const submit = {
      source_addr_ton: pdu.source_addr_ton,
      source_addr_npi: pdu.source_addr_npi,
      source_addr: pdu.source_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      dest_addr_npi: pdu.dest_addr_npi,
      destination_addr: pdu.destination_addr,
      esm_class: pdu.esm_class,
      registered_delivery: pdu.registered_delivery,
      data_coding: pdu.data_coding,
      validity_period: pdu.validity_period,
      short_message: Buffer.from(pdu.short_message),
      sequence_number: pdu.sequence_number,
      at: Date.now(),
    };
    if (this.opts.record !== false) this.submits.push(submit);
    this.submitCount = (this.submitCount ?? 0) + 1;
    if (this.perDestination) this.perDestination.set(submit.destination_addr, (this.perDestination.get(submit.destination_addr) ?? 0) + 1);
    if (this.bucket && !this.takeToken()) {
      this.throttled++;
      submit.throttled = true;
      session.send(pdu.response({ command_status: 0x58, message_id: '' }));
      return;
    }
    const plan = this.opts.script?.(submit, this) ?? {};
    if (plan.noResponse) return;
    const status = plan.status ?? 0;
    const id = status === 0 ? (this.opts.messageId ?? ((n) => n.toString(16)))(++this.n) : '';
    if (status === 0) {
      this.firstAcceptedAt ||= submit.at;
      this.lastAcceptedAt = submit.at;
    }
    submit.messageId = id;
    const receipt = plan.receipt === undefined ? { delayMs: this.opts.receiptDelayMs ?? 0 } : plan.receipt;
    const deliverTo = this.receiverFor(session);
    const sendReceipt = () => {
      if (!receipt || status !== 0) return;
      const target = this.elsewhere(session) ?? this.receiverFor(session) ?? deliverTo;
      if (!target || !target.socket.writable) return;
      this.receiptsSent++;
      const rid = receipt.id ?? (this.opts.receiptId ?? ((x) => x))(id);
      this.sendReceipt(target, receiptFields(rid, { stat: receipt.stat ?? 'DELIVRD', err: receipt.err, destination: submit.destination_addr, source: submit.source_addr, tlv: receipt.tlv }));
    };
    const respond = () => {
      if (session.socket.writable) session.send(pdu.response({ command_status: status, message_id: id }));
      if (receipt && !receipt.beforeResp) receipt.delayMs ? setTimeout(sendReceipt, receipt.delayMs) : setImmediate(sendReceipt);
    };
    if (receipt?.beforeResp) sendReceipt();
    if (plan.respDelayMs) setTimeout(respond, plan.respDelayMs);
    else respond();
  }

  /** Every PDU the binds sent, as octets, in the order each session read them (needs `recordWire`). */
  receivedPdus() {
    const out = [];
    for (const chunks of this.wire) {
      const all = Buffer.concat(chunks);
      for (let at = 0; at + 4 <= all.length;) {
        const len = all.readUInt32BE(at);
        out.push(all.subarray(at, at + len));
        at += len;
      }
    }
    return out;
  }

  takeToken() {
    const b = this.bucket;
    const now = Date.now();
    b.tokens = Math.min(b.burst, b.tokens + ((now - b.at) * b.perSecond) / 1000);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * A receipt on `session`. With `receiptsElsewhere` it is kept until its deliver_sm_resp: one whose
   * bind closes first goes again on another receiving bind, now or the next to bind (an SMSC stores
   * receipts and retries them; only a resp ends one).
   */
  sendReceipt(session, fields) {
    if (!this.opts.receiptsElsewhere) return session.send(new smpp.PDU('deliver_sm', fields));
    const unanswered = (session.unanswered ??= new Map());
    const pdu = new smpp.PDU('deliver_sm', fields);
    session.send(pdu, (resp) => {
      unanswered.delete(pdu.sequence_number);
      // Refused (a daemon that could not store it yet): tried again shortly, on whichever bind then.
      if (resp.command_status !== 0) setTimeout(() => ((this.kept ??= []).push(fields), this.redeliver(null)), 100);
    });
    unanswered.set(pdu.sequence_number, fields);
  }

  /** The receipts a closed bind never answered: on another receiving bind, or kept for the next. */
  redeliver(closed) {
    const left = [...(closed?.unanswered?.values() ?? []), ...(this.kept ?? [])];
    closed?.unanswered?.clear();
    this.kept = [];
    for (const fields of left) {
      const to = [...this.sessions].find((s) => s !== closed && (s.mode === 'receiver' || s.mode === 'transceiver') && s.socket.writable);
      if (!to) this.kept.push(fields);
      else {
        this.receiptsMoved++;
        this.sendReceipt(to, fields);
      }
    }
  }

  /** With `receiptsElsewhere`, every n-th receipt's bind: a receiving one other than `session`, if any. */
  elsewhere(session) {
    const n = this.opts.receiptsElsewhere;
    if (!n || (session.socket.writable && (this.receiptsSent + 1) % n !== 0)) return undefined;
    const others = [...this.sessions].filter((s) => s !== session && (s.mode === 'receiver' || s.mode === 'transceiver') && s.socket.writable);
    if (!others.length) return undefined;
    return others[this.receiptsMoved++ % others.length];
  }

  /** The session that takes deliver_sm: a transceiver or receiver bind of the same client. */
  receiverFor(session) {
    if (session.mode === 'transceiver') return session;
    return [...this.sessions].find((s) => s.mode === 'receiver' || s.mode === 'transceiver');
  }

  /** Send an MO deliver_sm on a receiving bind. */
  deliver(fields) {
    const s = [...this.sessions].find((x) => x.mode === 'receiver' || x.mode === 'transceiver');
    if (!s) throw new Error('no receiving bind');
    s.send(new smpp.PDU('deliver_sm', { esm_class: 0, data_coding: 0, ...fields }));
  }

  /** Send an MO as a data_sm (SMPP 3.4 §4.7: the text in the message_payload TLV) on a receiving bind. */
  deliverData(fields) {
    const s = [...this.sessions].find((x) => x.mode === 'receiver' || x.mode === 'transceiver');
    if (!s) throw new Error('no receiving bind');
    s.send(new smpp.PDU('data_sm', { esm_class: 0, data_coding: 0, registered_delivery: 0, ...fields }));
  }

  /** Ask the client for an enquire_link response (the SMSC side of the keep-alive). */
  enquire() {
    return Promise.all([...this.sessions].map((s) => new Promise((resolve) => s.send(new smpp.PDU('enquire_link'), resolve))));
  }

  /** Drop every connection at once, as a network failure would. */
  dropAll() {
    for (const s of this.sessions) s.socket.destroy();
  }

  /** Write bytes that are not a valid PDU to every session. */
  garbage() {
    const junk = Buffer.alloc(16);
    junk.writeUInt32BE(16, 0);
    junk.writeUInt32BE(0x00000004, 4); // submit_sm from the SMSC side, with no body at all
    junk.writeUInt32BE(0, 8);
    junk.writeUInt32BE(1, 12);
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0x7fffffff, 0); // a length far past the package's limit: it throws in the parser
    for (const s of this.sessions) s.socket.write(Buffer.concat([junk, huge]));
  }

  get bound() {
    return [...this.sessions].filter((s) => s.mode).length;
  }

  async close() {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}
