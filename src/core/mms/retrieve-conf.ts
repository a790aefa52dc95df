/**
 * M-Retrieve.conf (OMA-TS-MMS_ENC §6.3, Table 5): the message the handset fetches from the notified
 * Content-Location. Its headers, Content-Type last (§7.1), then the body as a WSP multipart: the
 * text as text/plain in UTF-8, each media file with its content type, every part named by
 * Content-Location and Content-ID. `related` adds a SMIL presentation as the root part
 * (application/vnd.wap.multipart.related with Start and Type, §7.1 and OMA-TS-MMS_CONF), which lays the
 * media out above the text; `mixed` (application/vnd.wap.multipart.mixed) leaves it to the handset.
 */
import { contentType, encodedString, multipart, MmsPduError, quotedString, textString, UTF8_MIB, type MultipartEntry } from './wsp.js';
import { dateValue, FIELD, fromValue, header, MESSAGE_TYPE, messageClass, mmsAddress, mmsVersion, type MessageClass, type MmsVersion } from './headers.js';

export interface MmsMedia {
  contentType: string;
  bytes: Buffer;
  /** The part's file name (Content-Location), e.g. "photo.jpg". */
  name: string;
}

export interface MmsMessage {
  /** Message-ID: the daemon's own id for the message. */
  messageId: string;
  transactionId?: string;
  version?: MmsVersion;
  date: Date;
  from?: string;
  to?: string;
  subject?: string;
  messageClass?: MessageClass;
  text?: string;
  media: MmsMedia[];
  presentation?: 'mixed' | 'related';
}

// WSP well-known header codes inside a part (WAP-230 Table 39): Content-Location 0x0E, Content-ID 0x40 (encoding 1.3).
const PART_CONTENT_LOCATION = 0x8e;
const PART_CONTENT_ID = 0xc0;
const TEXT_NAME = 'text.txt';
const SMIL_ID = 'smil';

const safeName = (name: string): boolean => /^[A-Za-z0-9._-]{1,64}$/.test(name) && !name.startsWith('.');

function partHeaders(name: string): Buffer {
  return Buffer.concat([Buffer.from([PART_CONTENT_LOCATION]), textString(name), Buffer.from([PART_CONTENT_ID]), quotedString(`<${name}>`)]);
}

/** SMIL's element for a media type. */
const smilElement = (type: string): string => (type.startsWith('image/') ? 'img' : type.startsWith('audio/') ? 'audio' : type.startsWith('video/') ? 'video' : 'ref');

/** A one-slide SMIL (OMA-TS-MMS_CONF's basic profile): the media in an Image region, the text below it. */
export function smilFor(media: MmsMedia[], hasText: boolean): string {
  const items = media.map((m) => `<${smilElement(m.contentType)} src="${m.name}"${smilElement(m.contentType) === 'audio' ? '' : ' region="Image"'}/>`);
  if (hasText) items.push(`<text src="${TEXT_NAME}" region="Text"/>`);
  return (
    '<smil><head><layout><root-layout/>' +
    '<region id="Image" top="0" left="0" height="80%" width="100%" fit="meet"/>' +
    '<region id="Text" top="80%" left="0" height="20%" width="100%" fit="scroll"/>' +
    `</layout></head><body><par dur="8000ms">${items.join('')}</par></body></smil>`
  );
}

export function encodeRetrieveConf(m: MmsMessage): Buffer {
  if (m.media.length === 0 && !m.text) throw new MmsPduError('an MMS needs a text or a media file');
  const names = new Set<string>([TEXT_NAME, `${SMIL_ID}.smil`]);
  for (const media of m.media) {
    if (!safeName(media.name)) throw new MmsPduError(`media name "${media.name.slice(0, 64)}": letters, digits, ".", "_" and "-" only`);
    if (names.has(media.name)) throw new MmsPduError(`media name "${media.name}" is used twice`);
    names.add(media.name);
  }
  const entries: MultipartEntry[] = [];
  const related = m.presentation === 'related';
  if (related) {
    entries.push({
      contentType: contentType('application/smil'),
      headers: Buffer.concat([Buffer.from([PART_CONTENT_LOCATION]), textString(`${SMIL_ID}.smil`), Buffer.from([PART_CONTENT_ID]), quotedString(`<${SMIL_ID}>`)]),
      data: Buffer.from(smilFor(m.media, !!m.text), 'utf8'),
    });
  }
  for (const media of m.media) entries.push({ contentType: contentType(media.contentType, [{ name: media.name }]), headers: partHeaders(media.name), data: media.bytes });
  if (m.text) entries.push({ contentType: contentType('text/plain', [{ charset: UTF8_MIB }, { name: TEXT_NAME }]), headers: partHeaders(TEXT_NAME), data: Buffer.from(m.text, 'utf8') });

  const head = [header(FIELD.messageType, Buffer.from([MESSAGE_TYPE.retrieveConf]))];
  if (m.transactionId !== undefined) head.push(header(FIELD.transactionId, textString(m.transactionId)));
  head.push(header(FIELD.mmsVersion, mmsVersion(m.version ?? '1.2')), header(FIELD.messageId, textString(m.messageId)), header(FIELD.date, dateValue(m.date)));
  if (m.from !== undefined) head.push(header(FIELD.from, fromValue(m.from)));
  if (m.to !== undefined) head.push(header(FIELD.to, encodedString(mmsAddress(m.to))));
  if (m.subject) head.push(header(FIELD.subject, encodedString(m.subject)));
  head.push(header(FIELD.messageClass, messageClass(m.messageClass ?? 'personal')));
  const type = related ? contentType('application/vnd.wap.multipart.related', [{ start: `<${SMIL_ID}>` }, { type: 'application/smil' }]) : contentType('application/vnd.wap.multipart.mixed');
  head.push(header(FIELD.contentType, type));
  return Buffer.concat([...head, multipart(entries)]);
}
