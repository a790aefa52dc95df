import { z } from 'zod';
import { plainJob, type NewJob, type NewRecipient } from '../../core/jobs.js';
import type { EmailAttachment, EmailContent } from '../../core/content.js';
import { checkEmailAddress } from '../../core/email-address.js';
import type { MergeFields } from '../../core/model.js';

/** At most this many addresses in one sendEmail's `to`. */
export const MAX_TO = 100;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}$/;

/** The body of Forms/sendEmail as seed 002 gives it; any other field is refused (nothing is dropped unsaid). */
export const sendEmailSchema = z.strictObject({
  campaign: z.string().max(255).optional(),
  to: z.union([z.string().max(25_000), z.array(z.string().max(254)).max(MAX_TO)]),
  subject: z.string().max(998).optional(),
  body: z.string().max(1_000_000).optional(),
  attachments: z.array(z.string().min(1).max(2000)).max(20).optional(),
  schedule: z
    .strictObject({
      title: z.string().max(500).optional(),
      organizer: z.string().max(254).optional(),
      from: z.string().max(40),
      to: z.string().max(40),
    })
    .optional(),
  template: z.string().max(100).optional(),
  variables: z.record(z.string(), z.union([z.string().max(10_000), z.number(), z.boolean()])).optional(),
});
export type SendEmailBody = z.infer<typeof sendEmailSchema>;

/** `to`: one address, several separated by `,` or `;`, or a list; each checked, duplicates once. */
export function recipientsOf(to: string | string[]): { ok: true; addresses: string[] } | { ok: false; reason: string } {
  const given = (Array.isArray(to) ? to : to.split(/[,;]/)).map((s) => s.trim()).filter((s) => s !== '');
  if (given.length === 0) return { ok: false, reason: 'to: an e-mail address is required' };
  if (given.length > MAX_TO) return { ok: false, reason: `to: at most ${MAX_TO} addresses` };
  const out: string[] = [];
  for (const g of given) {
    const c = checkEmailAddress(g);
    if (!c.ok) return { ok: false, reason: `to: "${g.slice(0, 60)}": ${c.reason}` };
    if (!out.some((a) => a.toLowerCase() === c.address.toLowerCase())) out.push(c.address);
  }
  return { ok: true, addresses: out };
}

/** `variables` as merge fields (names as `%%name%%` takes them), or why not. */
export function variablesOf(v: SendEmailBody['variables']): { ok: true; fields: MergeFields } | { ok: false; reason: string } {
  const fields: MergeFields = {};
  for (const [k, value] of Object.entries(v ?? {})) {
    if (!NAME.test(k)) return { ok: false, reason: `variables: "${k.slice(0, 60)}" is not a variable name (letters, digits, _ . - and spaces, up to 64)` };
    fields[k] = String(value);
  }
  return { ok: true, fields };
}

/** uContact says a body "can be HTML": a body with a tag goes as the HTML body, else as text. */
export const looksHtml = (body: string): boolean => /<[A-Za-z!/][^>]*>/.test(body);

/** The bodies of an e-mail from one uContact body (and a template's plain alternative). */
export function bodiesOf(body: string, alt: string | null = null): { text: string | null; html: string | null } {
  if (looksHtml(body)) return { html: body, text: alt?.trim() ? alt : null };
  return { text: body, html: null };
}

/** The content of a uContact e-mail: From the user's address, a one-line subject and bodies as templates over the variables. */
export function ucontactEmailContent(from: { address: string; name: string | null }, subject: string, bodies: { text: string | null; html: string | null }, attachments: EmailAttachment[]): EmailContent {
  return { kind: 'email', from, subject, ...bodies, attachments };
}

/** One e-mail job of the user: each address a recipient with the same fields. */
export function emailJob(userId: number, campaign: string, content: EmailContent, recipients: { address: string; fields: MergeFields; priority?: number | null }[], options: Record<string, string>): NewJob {
  const rs: NewRecipient[] = recipients.map((r) => ({ destination: r.address, name: null, reference: null, fields: r.fields, blackouts: null, priority: r.priority ?? null }));
  return plainJob({ userId, face: 'ucontact', channel: 'email', name: campaign || null, content, options: { campaign, ...options }, recipients: rs });
}

/** One row of an e-mail dialer base: `campaign;address;body;subject;"var":"value",…;priority`. */
export interface EmailRow {
  campaign: string;
  address: string;
  body: string;
  subject: string;
  fields: MergeFields;
  priority: number | null;
}

/** A variables cell, `"Var1":"value","Var2":"value"` (a JSON object without its braces; with them too). */
export function parseVariablesCell(cell: string): MergeFields | string {
  const t = cell.trim();
  if (t === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(t.startsWith('{') ? t : `{${t}}`);
  } catch {
    return 'variables: expected "name":"value" pairs separated by commas';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'variables: expected "name":"value" pairs';
  const r = variablesOf(parsed as Record<string, string | number | boolean>);
  if (!r.ok) return r.reason;
  for (const v of Object.values(parsed as Record<string, unknown>)) if (typeof v === 'object' && v !== null) return 'variables: a value must be text or a number';
  return r.fields;
}

/**
 * The CSV of an e-mail dialer base (seed 002's example `CampName;ejemplo@gmail.com;This is an example
 * mail body;;"Var1":"value","Var2":"value";9999`): campaign, address, body, subject (the empty cell),
 * variables, priority. A header line starting `campaign;` is skipped; line numbers from 1.
 */
export function parseEmailBase(csv: string, defaultCampaign: string): { rows: EmailRow[]; rejected: { line: number; reason: string }[]; lines: number } {
  const rows: EmailRow[] = [];
  const rejected: { line: number; reason: string }[] = [];
  let lines = 0;
  csv.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const cells = raw.split(';');
    if (line === 1 && cells[0]?.trim().toLowerCase() === 'campaign') return;
    lines++;
    if (cells.length < 3) return void rejected.push({ line, reason: 'expected campaign;email;body;subject;variables;priority' });
    const last = cells.length >= 6 ? cells[cells.length - 1]!.trim() : '';
    if (last !== '' && !/^-?\d{1,9}$/.test(last)) return void rejected.push({ line, reason: 'priority: expected a whole number' });
    // The variables may hold ";" inside their values: everything between the subject and the priority.
    const varsCell = cells.length >= 6 ? cells.slice(4, -1).join(';') : (cells[4] ?? '');
    const fields = parseVariablesCell(varsCell);
    if (typeof fields === 'string') return void rejected.push({ line, reason: fields });
    const address = checkEmailAddress(cells[1] ?? '');
    if (!address.ok) return void rejected.push({ line, reason: `email: ${address.reason}` });
    const body = cells[2]!;
    if (body.trim() === '') return void rejected.push({ line, reason: 'body: is empty' });
    const campaign = cells[0]!.trim() || defaultCampaign;
    if (campaign.length > 255) return void rejected.push({ line, reason: 'campaign: at most 255 characters' });
    rows.push({ campaign, address: address.address, body, subject: (cells[3] ?? '').trim(), fields, priority: last === '' ? null : Number(last) });
  });
  return { rows, rejected, lines };
}
