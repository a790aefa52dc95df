import type { ReceiptStatus } from '../../core/outcomes.js';
import { parseReceiptText, statStatus } from '../../core/receipts.js';

/**
 * A query string as bytes: Kannel's escapes (%b, %A) put raw message octets in URLs, which are not
 * UTF-8 for UCS-2 text, so URLSearchParams would corrupt them. '+' is a space, as in forms.
 */
export function queryBytes(rawQuery: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = percentBytes(eq < 0 ? pair : pair.slice(0, eq)).toString('latin1');
    if (!out.has(key)) out.set(key, percentBytes(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return out;
}

function percentBytes(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b) bytes.push(0x20);
    else bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** MO text from Kannel's %b and %C (the charset Kannel names for it). */
export function kannelText(bytes: Buffer, charset: string): string {
  const cs = charset.trim().toUpperCase();
  if (cs === 'UTF-16BE' || cs === 'UCS-2' || cs === 'UCS2') return Buffer.from(bytes).swap16().toString('utf16le');
  if (cs === 'UTF-8' || cs === 'GSM' || cs === '') return bytes.toString('utf8');
  return bytes.toString('latin1');
}

/** Kannel's DLR type (%d): 1 delivered, 2 not delivered, 4 queued on the SMSC, 8 accepted by it, 16 refused by it. */
export const KANNEL_DLR_MASK = 1 | 2 | 16;

export interface KannelDlr {
  /** null: an intermediate report (4 or 8) that changes nothing. */
  status: ReceiptStatus | null;
  code: string;
  text: string | null;
}

/** A Kannel DLR: its type, refined by the SMSC's receipt text (%A) when it has one (e.g. EXPIRED). */
export function kannelDlr(type: number, smscReply: string): KannelDlr {
  const receipt = parseReceiptText(smscReply);
  const stat = receipt ? statStatus(receipt.stat) : null;
  const base: ReceiptStatus | null = type === 1 ? 'delivered' : type === 2 ? 'undeliverable' : type === 16 ? 'rejected' : null;
  const status = base === null ? null : base === 'delivered' ? 'delivered' : stat && stat !== 'delivered' ? stat : base;
  return { status, code: receipt?.err ?? `dlr ${type}`, text: receipt?.stat ?? (smscReply.trim() || null) };
}

export type SendsmsAnswer = { ok: true } | { ok: false; retryable: boolean; reason: string };

/** sendsms's HTTP answer: 202 accepted (or queued); 503 and 5xx try again; 4xx refused (403: credentials, retried after a fix). */
export function sendsmsAnswer(status: number, body: string): SendsmsAnswer {
  const text = body.trim().slice(0, 200);
  if (status === 202 || status === 200) return { ok: true };
  if (status >= 500 || status === 403 || status === 401) return { ok: false, retryable: true, reason: `kannel answered ${status}: ${text}` };
  return { ok: false, retryable: false, reason: `kannel refused the message (${status}): ${text}` };
}
