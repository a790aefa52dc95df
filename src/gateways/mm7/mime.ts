import { readFileSync } from 'node:fs';
import MimeNode from 'nodemailer/lib/mime-node';
import { simpleParser } from 'mailparser';
import type { MmsMedia } from '../../core/content.js';
import type { MmsMessage } from '../../core/mms.js';

/** The Content-IDs of the SOAP part and of the message's content (the multipart the SubmitReq's Content href names). */
export const SOAP_CID = 'mm7-soap';
export const CONTENT_CID = 'mm7-content';

export interface Mm7Body {
  /** The HTTP Content-Type: multipart/related with its boundary, type and start. */
  contentType: string;
  body: Buffer;
}

/** How media parts are carried: as they are (HTTP is 8-bit clean) or in base64, for an MMSC that asks it. */
export type MediaEncoding = 'binary' | 'base64';

// A job's media part is made once, not per recipient (its headers and its encoded bytes, by MimeNode):
// its file is named by its hash, so never changes. Each message then carries the part as made.
const madeParts = new Map<string, Buffer>();
const PARTS_KEPT = 32;

async function mediaPart(p: MmsMedia, name: string, encoding: MediaEncoding): Promise<Buffer> {
  const key = `${p.file}\0${name}\0${encoding}\0${p.contentType}`;
  let made = madeParts.get(key);
  if (!made) {
    const part = new MimeNode('multipart/mixed').createChild(p.contentType);
    part.setHeader('Content-ID', `<${name}>`);
    part.setHeader('Content-Location', name);
    part.setHeader('Content-Transfer-Encoding', encoding);
    const bytes = readFileSync(p.file);
    if (encoding === 'base64') {
      part.setContent(bytes);
      made = await part.build();
    } else {
      // Binary bytes go as they are after MimeNode's headers: its build would end them with a line
      // break they did not have (a final CR gets an LF), which the delimiter's CRLF then follows.
      made = Buffer.concat([Buffer.from(`${part.buildHeaders()}\r\n\r\n`), bytes]);
    }
    if (madeParts.size >= PARTS_KEPT) madeParts.delete(madeParts.keys().next().value!);
    madeParts.set(key, made);
  }
  return made;
}

const ROOT_TYPE = `multipart/related; type="text/xml"; start="<${SOAP_CID}>"`;

/**
 * A SubmitReq as MM7 carries it (TS 23.140 annex: SOAP with attachments): multipart/related whose
 * start is the SOAP envelope and whose second part is the message, itself multipart/related: a SMIL
 * presentation (start), the text and each media part with its Content-ID and type (binary, or base64
 * when the MMSC asks it). Built by nodemailer's MimeNode.
 */
export async function submitBody(soapXml: string, m: MmsMessage, encoding: MediaEncoding = 'binary'): Promise<Mm7Body> {
  // No newline conversion: it would rewrite the line breaks inside binary media too.
  const root = new MimeNode(ROOT_TYPE);
  const soap = root.createChild('text/xml; charset=utf-8');
  soap.setHeader('Content-ID', `<${SOAP_CID}>`);
  soap.setContent(soapXml);
  const content = root.createChild('multipart/related; type="application/smil"; start="<mms.smil>"');
  content.setHeader('Content-ID', `<${CONTENT_CID}>`);
  const names = m.media.map((p, i) => `part${i + 1}.${p.contentType.split('/')[1]!.replace(/[^a-z0-9]/g, '')}`);
  const smil = content.createChild('application/smil; charset=utf-8');
  smil.setHeader('Content-ID', '<mms.smil>');
  smil.setContent(smilOf(m, names));
  if (m.text) {
    const text = content.createChild('text/plain; charset=utf-8');
    text.setHeader('Content-ID', '<text.txt>');
    text.setContent(m.text);
  }
  for (const [i, p] of m.media.entries()) content.createChild(false).setRaw(await mediaPart(p, names[i]!, encoding));
  const whole = await root.build();
  // MimeNode writes the root's own header block first (RFC 5322: up to the first empty line); HTTP
  // carries that header itself, with the boundary MimeNode chose.
  const body = whole.subarray(whole.indexOf('\r\n\r\n') + 4);
  return { contentType: `${ROOT_TYPE}; boundary="${String(root.boundary)}"`, body };
}

/** One slide per media part, the text on the first (what handsets lay out; MMSCs expect a SMIL). */
function smilOf(m: MmsMessage, names: string[]): string {
  const ref = (p: { contentType: string }) => (p.contentType.startsWith('image/') ? 'img' : p.contentType.startsWith('audio/') ? 'audio' : 'video');
  const slides = (m.media.length ? m.media : [null]).map((p, i) => {
    const media = p ? `<${ref(p)} src="cid:${names[i]}" region="Image"/>` : '';
    const text = i === 0 && m.text ? '<text src="cid:text.txt" region="Text"/>' : '';
    return `<par dur="8000ms">${media}${text}</par>`;
  });
  return (
    '<smil><head><layout><root-layout width="100%" height="100%"/>' +
    '<region id="Image" top="0" left="0" height="70%" width="100%" fit="meet"/><region id="Text" top="70%" left="0" height="30%" width="100%" fit="scroll"/>' +
    `</layout></head><body>${slides.join('')}</body></smil>`
  );
}

/** A part of a received MM7 request. */
export interface ReceivedPart {
  contentType: string;
  contentId: string | null;
  content: Buffer;
}

export interface ReceivedMm7 {
  /** The SOAP envelope's bytes. */
  soap: Buffer;
  /** The message's text parts, in order. */
  text: string;
  /** Every other part (media; the SMIL left out). */
  parts: ReceivedPart[];
}

/**
 * An MMSC's request as posted: a bare SOAP envelope (text/xml), or multipart/related whose start part
 * (else its first XML part) is the envelope, the rest the message. Read by mailparser. Null when it is
 * neither.
 */
export async function readMm7Request(contentType: string, body: Buffer): Promise<ReceivedMm7 | null> {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'text/xml' || type === 'application/xml' || type === 'application/soap+xml') return { soap: body, text: '', parts: [] };
  if (!type.startsWith('multipart/')) return null;
  const mail = await simpleParser(Buffer.concat([Buffer.from(`Content-Type: ${contentType.replace(/[\r\n]+/g, ' ')}\r\nMIME-Version: 1.0\r\n\r\n`), body]));
  const ct = mail.headers.get('content-type');
  const start = typeof ct === 'object' && ct !== null && 'params' in ct ? (ct.params as Record<string, string>).start : undefined;
  const all = mail.attachments.map((a) => ({ contentType: a.contentType.toLowerCase(), contentId: a.contentId ?? null, content: a.content }));
  const isXml = (p: ReceivedPart) => p.contentType === 'text/xml' || p.contentType === 'application/xml' || p.contentType === 'application/soap+xml';
  const soap = (start ? all.find((p) => p.contentId === start || p.contentId === `<${start.replace(/^<|>$/g, '')}>`) : undefined) ?? all.find(isXml);
  if (!soap) return null;
  return { soap: soap.content, text: (mail.text ?? '').trim(), parts: all.filter((p) => p !== soap && p.contentType !== 'application/smil') };
}
