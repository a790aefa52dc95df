import type { NewJob, NewRecipient } from '../../core/jobs.js';
import { plausibleNumber } from '../../core/numbers.js';
import { smsContent } from '../../core/content.js';

export const MAX_TEXT = 1600;

/** A uContact SMS row: campaign, number, text, priority (the CSV of uploadbase, or one SendSMS). */
export interface SmsRow {
  campaign: string;
  destination: string;
  text: string;
  priority: number | null;
}

/** Why a row cannot be sent, or null. */
export function rowProblem(r: SmsRow): string | null {
  const bad = plausibleNumber(r.destination);
  if (bad) return `number: ${bad}`;
  if (r.text.trim() === '') return 'text: is empty';
  if ([...r.text].length > MAX_TEXT) return `text: at most ${MAX_TEXT} characters`;
  if (r.campaign.length > 255) return 'campaign: at most 255 characters';
  return null;
}

/**
 * One job per campaign: its texts are taken literally (uContact has no merge fields), each recipient
 * points at its own; a row's priority orders the spool (lower first).
 */
export function campaignJob(userId: number, campaign: string, rows: SmsRow[], opts: { sender: string | null; scheduledAt: number | null; agent?: string | null }): NewJob {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const recipients: NewRecipient[] = rows.map((r) => {
    let i = index.get(r.text);
    if (i === undefined) index.set(r.text, (i = texts.push(r.text) - 1));
    return { destination: r.destination.trim(), name: null, reference: null, fields: { __message: String(i) }, blackouts: null, priority: r.priority };
  });
  return {
    userId,
    face: 'ucontact',
    channel: 'sms',
    name: campaign || null,
    content: smsContent({ texts }),
    options: { campaign, ...(opts.agent ? { agent: opts.agent } : {}) },
    callbackUrl: null,
    sender: opts.sender,
    scheduledAt: opts.scheduledAt,
    validUntil: null,
    replyUntil: null,
    cutoff: null,
    blackouts: [],
    recipients,
  };
}

/** uploadbase's CSV: `campaign;number;text;priority`, a header line allowed; line numbers from 1. */
export function parseBase(csv: string, defaultCampaign: string): { rows: SmsRow[]; rejected: { line: number; reason: string }[] } {
  const rows: SmsRow[] = [];
  const rejected: { line: number; reason: string }[] = [];
  const lines = csv.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const cells = raw.split(';');
    if (line === 1 && cells[0]?.trim().toLowerCase() === 'campaign' && cells[1]?.trim().toLowerCase() === 'number') return;
    if (cells.length < 3) return void rejected.push({ line, reason: 'expected campaign;number;text;priority' });
    // The text may itself hold ";": everything between the number and a trailing numeric priority.
    const last = cells[cells.length - 1]!.trim();
    const priorityCell = cells.length >= 4 && (last === '' || /^-?\d{1,9}$/.test(last));
    const text = cells.slice(2, priorityCell ? -1 : undefined).join(';');
    const row: SmsRow = { campaign: cells[0]!.trim() || defaultCampaign, destination: cells[1]!.trim(), text, priority: priorityCell && last !== '' ? Number(last) : null };
    const problem = rowProblem(row);
    if (problem) rejected.push({ line, reason: problem });
    else rows.push(row);
  });
  return { rows, rejected };
}
