import { DateTime } from 'luxon';
import type { JobRow, RecipientRow, ReportRow } from '../../store/jobs.js';
import type { CallbackStatus } from '../../store/callbacks.js';
import { CHANNEL_TO_TYPE, REPORT_STATUS, jobStatusName, reportStatus } from './job-types.js';
import { parseContent, templateOf } from '../../core/content.js';

/** "2023-08-29 22:15:57" in the owner's zone (the list's format). */
export const listDate = (ms: number | null, zone: string): string | null => (ms === null ? null : DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss'));
/** "2023-08-29T22:15:57+10:00" (the detail's and callbacks' format; milliseconds always 0). */
export const isoDate = (ms: number | null, zone: string): string | null => (ms === null ? null : DateTime.fromMillis(ms, { zone }).set({ millisecond: 0 }).toISO({ suppressMilliseconds: true }));

const money = (n: number): number => Math.round(n * 10000) / 10000;

/** A cost as shown: null for a user whose hide_costs_in_reports is set. */
const shown = (n: number, costs: boolean): number | null => (costs ? money(n) : null);

export function jobSummary(j: JobRow, baseUrl: string, costs = true) {
  return {
    job_id: j.id,
    user_id: j.user_id,
    user_code: j.user_code,
    job_type: CHANNEL_TO_TYPE[j.channel],
    job_name: j.name,
    start_date: listDate(j.created_at, j.timezone),
    send_date: listDate(j.first_sent_at, j.timezone),
    complete_date: listDate(j.completed_at, j.timezone),
    scheduled_date: listDate(j.scheduled_at, j.timezone),
    total_recipients: j.total,
    failed_recipients: j.failed,
    sent_recipients: j.succeeded,
    total_amount: shown(j.cost, costs),
    job_status: jobStatusName(j.status),
    details_url: `${baseUrl}/jobs/${j.id}`,
  };
}

export function report(r: RecipientRow, zone: string, sender: string | null, sms = false, callback?: CallbackStatus | null, costs = true, mms = false) {
  const s = { ...REPORT_STATUS[r.state], status: reportStatus(r.state, r.reason, !sms) };
  const notes = [r.reason, sender ? `SenderID: ${sender}.` : null].filter(Boolean).join(' ');
  return {
    report_id: r.id,
    reference: r.reference,
    recipient: r.name,
    destination: r.destination,
    status: s.status,
    duration: r.duration ?? r.parts ?? null,
    message_cost: shown(r.cost ?? 0, costs),
    stage: s.stage,
    notes: notes || null,
    send_date_time: isoDate(r.sent_at, zone),
    // Beyond the seed (clients ignore unknown keys): how an SMS went on the air.
    ...(sms ? { sms_parts: r.parts, sms_encoding: r.encoding } : {}),
    // An MMS's path (its current attempt's: mm7, wap_push, sms_link; null before one was taken).
    ...(mms ? { mms_path: r.encoding } : {}),
    // Beyond the seed, for a job with a callback_url: whether this recipient's callbacks arrived
    // (null: none sent yet), so that a callback that failed for good is seen, not only logged.
    ...(callback !== undefined ? { callback_status: callback?.state ?? null, callback_error: callback?.error ?? null } : {}),
  };
}

/** A recipient as the job detail echoes it: the request's own fields. */
export const recipientEntry = (r: RecipientRow) => ({ destination: r.destination, reference: r.reference, recipient: r.name, ...(r.fields ? (JSON.parse(r.fields) as object) : {}) });

/** A report row's entry in `reports`; its callback status only for a job with a callback URL. */
export const reportEntry = (j: JobRow, withCallbacks: boolean, costs = true) => {
  const sms = j.channel === 'sms' || j.channel === 'sms2way';
  const mms = j.channel === 'mms';
  return (r: ReportRow) => report(r, j.timezone, j.sender, sms, withCallbacks ? r.callback : undefined, costs, mms);
};

/**
 * The job detail, with its two per-recipient lists given as values made by the caller (the streamed
 * lists of jsonStream), and the sum of the recipients' durations read beforehand.
 */
export function jobDetail(j: JobRow, totalDuration: number, recipients: unknown, reports: unknown, costs = true) {
  const options = JSON.parse(j.options) as Record<string, unknown>;
  const content = parseContent(j.content);
  const zone = j.timezone;
  // The request's own fields are echoed first so that the computed ones below win.
  return {
    ...options,
    job_id: j.id,
    user_id: j.user_id,
    cost: shown(j.cost, costs),
    user_code: j.user_code,
    job_type: CHANNEL_TO_TYPE[j.channel],
    job_name: j.name,
    start_date: isoDate(j.created_at, zone),
    send_date: isoDate(j.first_sent_at, zone),
    complete_date: isoDate(j.completed_at, zone),
    scheduled_date: isoDate(j.scheduled_at, zone),
    dedupe: options.dedupe ?? 0,
    total_recipients: j.total,
    failed_recipients: j.failed,
    sent_recipients: j.succeeded,
    total_amount: shown(j.cost, costs),
    total_duration: totalDuration,
    job_status: jobStatusName(j.status),
    manual_sender_id: j.sender,
    // A fax's message is the request's own (it is not faxed); fixed texts (2FA) show none.
    message: content.kind === 'fax' ? (options.message ?? '') : templateOf(content),
    callback_url: j.callback_url,
    cutoff_hour: j.cutoff,
    // Beyond the seed, for a job with documents (a fax's, a recording, attachments, MMS media): whether
    // they are still kept, or were removed by the user's maximum_document_retention_hours, and when.
    ...(j.documents !== null ? { documents_kept: j.documents === 'kept', documents_removed_date: isoDate(j.documents_removed_at, zone) } : {}),
    recipients,
    user_list_ids: options.user_list_ids ?? null,
    reports,
  };
}
