// An MM7 MMSC for tests and benchmarks (3GPP TS 23.140, SOAP over HTTP): an HTTP server that reads each
// SubmitReq with real parsers (mailparser for the MIME parts, fast-xml-parser for the SOAP envelope),
// answers SubmitRsp with a MessageID of its own, then posts a DeliveryReportReq for it to the VASP's
// URL and, for the numbers told to, a DeliverReq (an MMS from the handset, a reply) back.
import http from 'node:http';
import { simpleParser } from 'mailparser';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import MimeNode from 'nodemailer/lib/mime-node';

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false, trimValues: true });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true, suppressBooleanAttributes: false });
const text = (v) => (typeof v === 'string' ? v : v && typeof v['#text'] === 'string' ? v['#text'] : undefined);

// Prefixes kept, to read which namespace the body element is in (removeNSPrefix drops the xmlns attributes).
const nsParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
const local = (o, name) => Object.keys(o ?? {}).find((k) => k === name || k.endsWith(`:${name}`));

/** The namespace an element's name is in, from its own xmlns attributes or its ancestors'. */
function namespaceOf(name, ...scopes) {
  const prefix = name.includes(':') ? name.split(':')[0] : null;
  for (const s of scopes) {
    const ns = s?.[prefix ? `@_xmlns:${prefix}` : '@_xmlns'];
    if (ns) return ns;
  }
  return undefined;
}

/** The envelope as parsed: the body element's namespace, its TransactionID (with mustUnderstand) and its body element. */
export function readEnvelope(xml) {
  const doc = parser.parse(xml, true);
  const env = doc.Envelope;
  const kind = Object.keys(env.Body).find((k) => !k.startsWith('@_'));
  const tid = env.Header?.TransactionID;
  const raw = nsParser.parse(xml);
  const rawEnv = raw[local(raw, 'Envelope')];
  const rawBody = rawEnv[local(rawEnv, 'Body')];
  const el = local(rawBody, kind);
  return { kind, body: env.Body[kind], transactionId: text(tid)?.trim(), mustUnderstand: tid?.['@_mustUnderstand'], namespace: namespaceOf(el, rawBody[el], rawBody, rawEnv) };
}

const envelope = (ns, transactionId, body) =>
  '<?xml version="1.0" encoding="UTF-8"?>' +
  builder.build({ 'soap-env:Envelope': { '@_xmlns:soap-env': SOAP_ENV, 'soap-env:Header': { TransactionID: { '@_xmlns': ns, '@_soap-env:mustUnderstand': '1', '#text': transactionId } }, 'soap-env:Body': body } });

export class TestMmsc {
  /**
   * opts: reportTo (the VASP's URL for DeliveryReportReq/DeliverReq), version, namespace, auth ("user:pass"
   * the VASP must send), reportAuth (what we send it), status (destination → StatusCode for SubmitRsp),
   * mmStatus (destination → MMStatus; default Retrieved), replies (destination → text it answers with),
   * record (keep every request: false for benchmarks), reportDelayMs, vaspId (the VASPID a CancelReq
   * must name: 4001 Improper identification otherwise).
   */
  constructor(opts = {}) {
    this.opts = { version: '6.8.0', namespace: 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4', record: true, reportDelayMs: 5, ...opts };
    this.submits = [];
    this.cancels = [];
    this.reportAnswers = [];
    this.deliverAnswers = [];
    this.submitCount = 0;
    this.reportsSent = 0;
    this.unauthorised = 0;
    this.firstAt = 0;
    this.lastAt = 0;
    this.next = 1;
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  async listen(port = 0) {
    await new Promise((r) => this.server.listen(port, '127.0.0.1', r));
    this.port = this.server.address().port;
    return this.port;
  }

  close() {
    this.server.closeAllConnections?.();
    return new Promise((r) => this.server.close(() => r()));
  }

  async onRequest(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    if (req.method === 'GET') return res.writeHead(405, { allow: 'POST' }).end();
    if (this.opts.auth && req.headers.authorization !== `Basic ${Buffer.from(this.opts.auth).toString('base64')}`) {
      this.unauthorised++;
      return res.writeHead(401, { 'www-authenticate': 'Basic realm="mm7"' }).end();
    }
    try {
      // A request without attachments (CancelReq) comes as bare SOAP.
      if (/^text\/xml/i.test(req.headers['content-type'] ?? '')) return this.bareRequest(readEnvelope(body.toString('utf8')), res);
      const mail = await simpleParser(Buffer.concat([Buffer.from(`Content-Type: ${req.headers['content-type']}\r\n\r\n`), body]));
      const start = mail.headers.get('content-type')?.params?.start;
      const soapPart = mail.attachments.find((a) => a.contentId === start);
      const env = readEnvelope(soapPart.content.toString('utf8'));
      const destination = text(env.body.Recipients?.To?.Number) ?? '';
      const status = this.opts.status?.[destination] ?? 1000;
      const messageId = `mmsc-${process.pid}-${this.next++}`;
      this.submitCount++;
      this.lastAt = Date.now();
      this.firstAt ||= this.lastAt;
      if (this.opts.record)
        this.submits.push({
          headers: req.headers,
          contentType: mail.headers.get('content-type'),
          envelope: env,
          soapPart,
          parts: mail.attachments.filter((a) => a !== soapPart),
          text: mail.text,
          messageId: status === 1000 ? messageId : null,
          destination,
        });
      const ns = this.opts.namespace;
      if (status !== 1000) {
        const fault = {
          'soap-env:Fault': { faultcode: 'soap-env:Client', faultstring: 'Client error', detail: { RSErrorRsp: { '@_xmlns': ns, MM7Version: this.opts.version, Status: { StatusCode: String(status), StatusText: 'refused by the test MMSC' } } } },
        };
        return res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' }).end(envelope(ns, env.transactionId, fault));
      }
      res
        .writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
        .end(envelope(ns, env.transactionId, { SubmitRsp: { '@_xmlns': ns, MM7Version: this.opts.version, Status: { StatusCode: '1000', StatusText: 'Success' }, MessageID: messageId } }));
      const sender = text(env.body.SenderIdentification?.SenderAddress?.ShortCode) ?? text(env.body.SenderIdentification?.SenderAddress?.Number) ?? '';
      if (this.opts.reportTo && env.body.DeliveryReport === 'true') setTimeout(() => void this.deliveryReport(messageId, destination, sender), this.opts.reportDelayMs);
      const reply = this.opts.replies?.[destination];
      if (this.opts.reportTo && reply) setTimeout(() => void this.deliver(destination, sender, reply), this.opts.reportDelayMs * 4);
    } catch (err) {
      this.lastError = err;
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`unreadable: ${err.message}`);
    }
  }

  /**
   * A CancelReq: CancelRsp 1000 for a message this MMSC took (it is marked cancelled), else a Fault with
   * 2005 Message ID Not found; 4001 when the VASPID is not opts.vaspId; 4003 for any other request.
   */
  bareRequest(env, res) {
    const ns = this.opts.namespace;
    const fault = (code, words) =>
      res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' }).end(
        envelope(ns, env.transactionId, {
          'soap-env:Fault': { faultcode: 'soap-env:Client', faultstring: 'Client error', detail: { RSErrorRsp: { '@_xmlns': ns, MM7Version: this.opts.version, Status: { StatusCode: String(code), StatusText: words } } } },
        }),
      );
    if (env.kind !== 'CancelReq') return fault(4003, 'Unsupported operation');
    const messageId = text(env.body.MessageID) ?? '';
    const vaspId = text(env.body.SenderIdentification?.VASPID) ?? '';
    if (this.opts.record) this.cancels.push({ messageId, vaspId, envelope: env });
    if (this.opts.vaspId && vaspId !== this.opts.vaspId) return fault(4001, 'Improper identification');
    const submitted = this.submits.find((x) => x.messageId === messageId);
    if (!submitted) return fault(2005, 'Message ID Not found');
    submitted.cancelled = true;
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(envelope(ns, env.transactionId, { CancelRsp: { '@_xmlns': ns, MM7Version: this.opts.version, Status: { StatusCode: '1000', StatusText: 'Success' } } }));
  }

  async post(contentType, body) {
    const headers = { 'content-type': contentType, soapaction: '""' };
    if (this.opts.reportAuth) headers.authorization = `Basic ${Buffer.from(this.opts.reportAuth).toString('base64')}`;
    const res = await fetch(this.opts.reportTo, { method: 'POST', headers, body });
    const answer = await res.text();
    return { status: res.status, text: answer, envelope: answer.startsWith('<') ? readEnvelope(answer) : null };
  }

  /** A DeliveryReportReq for a submitted message, as a bare SOAP envelope. */
  async deliveryReport(messageId, destination, sender, mmStatus = this.opts.mmStatus?.[destination] ?? 'Retrieved') {
    const ns = this.opts.namespace;
    const xml = envelope(ns, `dr-${messageId}`, {
      DeliveryReportReq: {
        '@_xmlns': ns,
        MM7Version: this.opts.version,
        MessageID: messageId,
        Recipient: { Number: destination },
        Sender: { ShortCode: sender },
        Date: new Date().toISOString(),
        MMStatus: mmStatus,
        StatusText: mmStatus === 'Retrieved' ? 'Success' : 'not fetched',
      },
    });
    this.reportsSent++;
    const answer = await this.post('text/xml; charset=utf-8', xml).catch((err) => ({ status: 0, text: String(err) }));
    if (this.opts.record) this.reportAnswers.push({ messageId, ...answer });
    return answer;
  }

  /**
   * A DeliverReq: an MMS from `from` to `to` with a text part and a small picture, multipart/related;
   * `parts` ([{ type, id, location, content }]) in place of the picture.
   */
  async deliver(from, to, words, parts = [{ type: 'image/gif', id: '<image_0.gif>', content: Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64') }]) {
    const ns = this.opts.namespace;
    const xml = envelope(ns, `mo-${this.next++}`, {
      DeliverReq: {
        '@_xmlns': ns,
        MM7Version: this.opts.version,
        LinkedID: `link-${this.next}`,
        Sender: { Number: from },
        Recipients: { To: { ShortCode: to } },
        TimeStamp: new Date().toISOString(),
        Priority: 'Normal',
        Subject: 'Re: your MMS',
        Content: { '@_href': 'cid:mo-content', '@_allowAdaptations': 'true' },
      },
    });
    const root = new MimeNode('multipart/related; type="text/xml"; start="<mo-soap>"', { newline: 'win' });
    const soap = root.createChild('text/xml; charset=utf-8');
    soap.setHeader('Content-ID', '<mo-soap>');
    soap.setContent(xml);
    const content = root.createChild('multipart/mixed');
    content.setHeader('Content-ID', '<mo-content>');
    const t = content.createChild('text/plain; charset=utf-8');
    t.setHeader('Content-ID', '<text_0.txt>');
    t.setContent(words);
    for (const p of parts) {
      const node = content.createChild(p.type);
      node.setHeader('Content-ID', p.id);
      if (p.location) node.setHeader('Content-Location', p.location);
      node.setContent(p.content);
    }
    const whole = await root.build();
    const body = whole.subarray(whole.indexOf('\r\n\r\n') + 4);
    const answer = await this.post(`multipart/related; type="text/xml"; start="<mo-soap>"; boundary="${root.boundary}"`, body).catch((err) => ({ status: 0, text: String(err) }));
    if (this.opts.record) this.deliverAnswers.push({ from, to, ...answer });
    return answer;
  }
}
