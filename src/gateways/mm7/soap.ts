import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** SOAP 1.1's envelope namespace, which MM7 is carried in. */
export const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

/** What names the MM7 dialect a provider speaks. */
export interface Mm7Dialect {
  version: string;
  namespace: string;
}

export interface SubmitReq {
  transactionId: string;
  vaspId: string;
  vasId: string | null;
  sender: { type: 'ShortCode' | 'Number'; value: string } | null;
  recipient: string;
  subject: string;
  deliveryReport: boolean;
  expiry: Date | null;
  /** The Content-ID of the message's content part (without <>). */
  contentId: string;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true, suppressBooleanAttributes: false, processEntities: true });

const envelope = (d: Mm7Dialect, transactionId: string, body: Record<string, unknown>): string =>
  '<?xml version="1.0" encoding="UTF-8"?>' +
  builder.build({
    'env:Envelope': {
      '@_xmlns:env': SOAP_ENV,
      'env:Header': { 'mm7:TransactionID': { '@_xmlns:mm7': d.namespace, '@_env:mustUnderstand': '1', '#text': transactionId } },
      'env:Body': body,
    },
  });

/** A SubmitReq's envelope, its elements in the schema's order (MM7Version, SenderIdentification, Recipients, …, Subject, Content). */
export function submitReq(d: Mm7Dialect, r: SubmitReq): string {
  return envelope(d, r.transactionId, {
    SubmitReq: {
      '@_xmlns': d.namespace,
      MM7Version: d.version,
      SenderIdentification: {
        VASPID: r.vaspId,
        ...(r.vasId ? { VASID: r.vasId } : {}),
        ...(r.sender ? { SenderAddress: { [r.sender.type]: r.sender.value } } : {}),
      },
      Recipients: { To: { Number: r.recipient } },
      ...(r.expiry ? { ExpiryDate: r.expiry.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
      DeliveryReport: r.deliveryReport ? 'true' : 'false',
      ...(r.subject ? { Subject: r.subject } : {}),
      Content: { '@_href': `cid:${r.contentId}`, '@_allowAdaptations': 'true' },
    },
  });
}

/**
 * A CancelReq for `messageId` (its elements in the schema's order: MM7Version, SenderIdentification,
 * MessageID). The doctor sends one naming no message of ours: the MMSC identifies the VASP, finds
 * nothing to cancel and answers so (2005 Message ID Not found), and nothing is sent or changed.
 */
export function cancelReq(d: Mm7Dialect, r: { transactionId: string; vaspId: string; vasId: string | null; messageId: string }): string {
  return envelope(d, r.transactionId, {
    CancelReq: {
      '@_xmlns': d.namespace,
      MM7Version: d.version,
      SenderIdentification: { VASPID: r.vaspId, ...(r.vasId ? { VASID: r.vasId } : {}) },
      MessageID: r.messageId,
    },
  });
}

/** The answer to an MMSC's request (DeliveryReportRsp, DeliverRsp), with its TransactionID and a status. */
export function mm7Response(d: Mm7Dialect, kind: 'DeliveryReportRsp' | 'DeliverRsp', transactionId: string, code: number, text: string): string {
  return envelope(d, transactionId, { [kind]: { '@_xmlns': d.namespace, MM7Version: d.version, Status: { StatusCode: String(code), StatusText: text } } });
}

/** An MM7 message as read: its TransactionID, the body element's name and its content (namespace prefixes removed). */
export interface Mm7Message {
  transactionId: string;
  kind: string;
  body: Record<string, unknown>;
}

export class Mm7ParseError extends Error {
  override name = 'Mm7ParseError';
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false, parseAttributeValue: false, trimValues: true, processEntities: true });

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An element's text: the element itself when it is text, else its #text beside its attributes. */
export function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isNode(v) && typeof v['#text'] === 'string') return v['#text'];
  return null;
}

/** A child element (the first when repeated). */
export function child(v: unknown, name: string): unknown {
  if (!isNode(v)) return undefined;
  const c = v[name];
  return Array.isArray(c) ? c[0] : c;
}

/** Parse an MM7 SOAP envelope (as the MMSC sent it: any prefixes, any namespace); Mm7ParseError when it is none. */
export function parseMm7(xml: string | Buffer): Mm7Message {
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (err) {
    throw new Mm7ParseError(`not XML: ${(err as Error).message}`);
  }
  const env = child(doc, 'Envelope');
  const body = child(env, 'Body');
  if (!isNode(body)) throw new Mm7ParseError('no SOAP Envelope with a Body');
  const transactionId = textOf(child(child(env, 'Header'), 'TransactionID'))?.trim() ?? '';
  const kind = Object.keys(body).find((k) => !k.startsWith('@_'));
  if (!kind) throw new Mm7ParseError('an empty SOAP Body');
  const content = body[kind];
  return { transactionId, kind, body: isNode(content) ? content : {} };
}

/** A response's Status (StatusCode, StatusText, Details), or a Fault's RSErrorRsp/VASPErrorRsp status. */
export function statusOf(m: Mm7Message): { code: number; text: string | null } | null {
  const holder = m.kind === 'Fault' ? firstErrorRsp(child(m.body, 'detail')) : m.body;
  const status = child(holder, 'Status');
  const code = Number(textOf(child(status, 'StatusCode')));
  if (!Number.isInteger(code) || code <= 0) return null;
  const text = textOf(child(status, 'StatusText')) ?? textOf(child(status, 'Details'));
  return { code, text };
}

const firstErrorRsp = (detail: unknown): unknown => child(detail, 'RSErrorRsp') ?? child(detail, 'VASPErrorRsp');

/** The address in a Sender/Recipient/To element: Number, ShortCode or RFC2822Address. */
export function addressOf(v: unknown): string | null {
  for (const k of ['Number', 'ShortCode', 'RFC2822Address']) {
    const t = textOf(child(v, k));
    if (t) return t.trim();
  }
  return textOf(v)?.trim() || null;
}
