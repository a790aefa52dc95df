import type { Readable } from 'node:stream';
import { MailParser, type AttachmentStream, type HeaderValue, type MessageText, type StructuredHeader } from 'mailparser';
import libmime from 'libmime';

/** One recipient's block of a delivery status notification (RFC 3464 §2.3), as far as a bounce needs it. */
export interface DsnRecipient {
  /** failed, delayed, delivered, relayed or expanded (lower case). */
  action: string;
  /** The status code, `5.1.1`; null when missing or malformed. */
  status: string | null;
  /** Diagnostic-Code without its type: the remote server's reply (`550 5.1.1 … User unknown`); null when none. */
  diagnostic: string | null;
  /** Final-Recipient's address without its type; null when none. */
  finalRecipient: string | null;
}

/**
 * What a message to a return path turned out to be: a DSN (RFC 3464, or RFC 6533's internationalized
 * one), a qmail bounce (QSBMF, plain text, whose recipients all failed for good), or neither.
 */
export type Bounce = { kind: 'dsn' | 'qsbmf'; recipients: DsnRecipient[] } | { kind: 'not-dsn'; why: string };

/** Limits on what is read of a message from the network: only the report part, and only so much of it. */
export interface DsnLimits {
  /** Most bytes of the message/delivery-status part read. */
  maxStatusBytes: number;
  /** Most per-recipient blocks read. */
  maxRecipients: number;
  /** Longest diagnostic kept (the reason stored). */
  maxDiagnosticChars: number;
}

export const DSN_LIMITS: DsnLimits = { maxStatusBytes: 64 * 1024, maxRecipients: 100, maxDiagnosticChars: 1000 };

const STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** The report types of a DSN and the content type of its status part: RFC 3464's, and RFC 6533's UTF-8 one. */
const STATUS_PARTS: Readonly<Record<string, string>> = {
  'delivery-status': 'message/delivery-status',
  'global-delivery-status': 'message/global-delivery-status',
};

/** How a qmail bounce begins (QSBMF §2: "its body begins with the characters \"Hi. This is the\""). */
const QSBMF_START = 'Hi. This is the';

/**
 * Reads a message (a stream of its raw bytes, already bounded by the listener) with mailparser: it is a
 * DSN when its top-level type is multipart/report with report-type=delivery-status (or RFC 6533's
 * global-delivery-status) and it has the matching status part. Only that part's content is read; every
 * other part (the human-readable text, the returned message, which is never parsed: `ignoreEmbedded`)
 * is released unread. A plain-text message whose body begins as qmail's bounces do is read as QSBMF.
 * An automatic reply (Auto-Submitted: auto-replied, RFC 3834: a vacation notice sent to the return
 * path) is never a bounce.
 */
export async function readBounce(raw: Readable, limits: DsnLimits = DSN_LIMITS): Promise<Bounce> {
  const parser = new MailParser({
    keepDeliveryStatus: true,
    ignoreEmbedded: true,
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
    checksumAlgo: false,
    maxHeadSize: 64 * 1024,
    maxChildNodes: 50,
  });
  let topType: StructuredHeader | null = null;
  let autoSubmitted = 'no';
  let status: Buffer | null = null;
  let statusType: string | null = null;
  let text: string | null = null;
  let tooBig = false;
  parser.once('headers', (h) => {
    topType = structured(h.get('content-type'));
    const auto = h.get('auto-submitted');
    if (typeof auto === 'string') autoSubmitted = auto.split(';')[0]!.trim().toLowerCase();
  });
  parser.on('data', (data: AttachmentStream | MessageText) => {
    if (data.type === 'text') {
      text = typeof data.text === 'string' ? data.text.slice(0, limits.maxStatusBytes) : null;
      return;
    }
    const wanted = status === null && Object.values(STATUS_PARTS).includes(data.contentType);
    if (wanted) statusType = data.contentType;
    const chunks: Buffer[] = [];
    let size = 0;
    data.content.on('data', (c: Buffer) => {
      if (!wanted) return;
      size += c.length;
      if (size > limits.maxStatusBytes) tooBig = true;
      else chunks.push(c);
    });
    data.content.on('end', () => {
      if (wanted) status = Buffer.concat(chunks);
      data.release?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    raw.on('error', reject);
    raw.pipe(parser);
  });
  const type = topType as StructuredHeader | null;
  if (autoSubmitted === 'auto-replied') return { kind: 'not-dsn', why: 'an automatic reply (Auto-Submitted: auto-replied)' };
  const reportType = type?.params['report-type']?.toLowerCase() ?? '';
  if (type?.value !== 'multipart/report' || !Object.hasOwn(STATUS_PARTS, reportType)) {
    const body = text as string | null;
    if ((type === null || type.value === 'text/plain') && body?.startsWith(QSBMF_START)) return { kind: 'qsbmf', recipients: parseQsbmf(body, limits) };
    return { kind: 'not-dsn', why: `not a delivery status notification (${type?.value ?? 'no content type'})` };
  }
  if (tooBig) return { kind: 'not-dsn', why: `its delivery-status part is over ${limits.maxStatusBytes} bytes` };
  if (status === null || statusType !== STATUS_PARTS[reportType]) return { kind: 'not-dsn', why: `no ${STATUS_PARTS[reportType]} part` };
  // RFC 6533's fields are UTF-8 (an internationalized address, a reply in any script); RFC 3464's are ASCII, which UTF-8 reads the same.
  return { kind: 'dsn', recipients: parseDeliveryStatus((status as Buffer).toString('utf8'), limits) };
}

/**
 * The recipient paragraphs of a qmail bounce (QSBMF §2): after the introductory paragraph, each
 * paragraph that begins with "<" is a recipient's, its first line `<address>:` and the rest the
 * explanation, until the break paragraph (it begins with "-"). Every recipient listed failed for good
 * ("This is a permanent error; I've given up"). A status code in the text (`#5.1.1`, or a remote
 * server's `550 5.1.1`) is kept when there is one.
 */
export function parseQsbmf(body: string, limits: DsnLimits = DSN_LIMITS): DsnRecipient[] {
  const paragraphs = body
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .slice(1);
  const out: DsnRecipient[] = [];
  for (const p of paragraphs) {
    if (p.startsWith('-')) break;
    if (!p.startsWith('<') || out.length >= limits.maxRecipients) continue;
    const [head = '', ...rest] = p.split('\n');
    const address = /^<([^<>\s]*)>:\s*$/.exec(head)?.[1];
    if (address === undefined) continue;
    const explanation = rest.join(' ').replace(/\s+/g, ' ').trim();
    const code = /(?:^|[\s(#])([245]\.\d{1,3}\.\d{1,3})(?=[\s)]|$)/.exec(explanation)?.[1] ?? null;
    out.push({ action: 'failed', status: code, diagnostic: explanation.slice(0, limits.maxDiagnosticChars) || null, finalRecipient: address || null });
  }
  return out;
}

/**
 * The per-recipient blocks of a message/delivery-status body: blocks of header fields separated by
 * blank lines, the first about the message, each further one about a recipient (RFC 3464 §2.1); each
 * block's fields read by libmime's header parser. Blocks without an Action are not recipients' blocks.
 */
export function parseDeliveryStatus(body: string, limits: DsnLimits = DSN_LIMITS): DsnRecipient[] {
  const blocks = body.split(/\r?\n(?:[ \t]*\r?\n)+/).slice(1);
  const out: DsnRecipient[] = [];
  for (const block of blocks) {
    if (out.length >= limits.maxRecipients) break;
    const f = libmime.decodeHeaders(block, { skipPrototypeKeys: true });
    const action = first(f, 'action')?.toLowerCase();
    if (!action) continue;
    const code = first(f, 'status')?.split(/\s/)[0] ?? '';
    out.push({
      action,
      status: STATUS.test(code) ? code : null,
      diagnostic: typed(first(f, 'diagnostic-code'))?.slice(0, limits.maxDiagnosticChars) ?? null,
      finalRecipient: typed(first(f, 'final-recipient')) ?? typed(first(f, 'original-recipient')) ?? null,
    });
  }
  return out;
}

const first = (f: Record<string, string[]>, key: string): string | undefined => (Object.hasOwn(f, key) ? f[key]![0]?.trim() : undefined);

/** A typed field's value (`smtp; 550 …`, `rfc822; a@b`) without its type; the whole when it has none. */
function typed(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const semi = v.indexOf(';');
  // Folded lines come back with their indent: runs of white space are one space in a reason.
  const rest = (semi >= 0 ? v.slice(semi + 1) : v).replace(/\s+/g, ' ').trim();
  return rest || undefined;
}

function structured(v: HeaderValue | undefined): StructuredHeader | null {
  return v && typeof v === 'object' && !Array.isArray(v) && 'value' in v && 'params' in v ? (v as StructuredHeader) : null;
}
