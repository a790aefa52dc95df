// The v1 job detail as it was built before it was streamed (ac1485b, src/api/welcorp/present.ts), kept
// verbatim as the reference the streamed body must equal byte for byte.
import type { JobRow, RecipientRow } from '../../dist/store/jobs.js';
import type { CallbackStatus } from '../../dist/store/callbacks.js';
import { CHANNEL_TO_TYPE, jobStatusName } from '../../dist/api/welcorp/job-types.js';
import { isoDate, report } from '../../dist/api/welcorp/present.js';
import { parseContent, templateOf } from '../../dist/core/content.js';

const money = (n: number): number => Math.round(n * 10000) / 10000;

export function jobDetailV0(j: JobRow, recipients: RecipientRow[], callbacks: Map<number, CallbackStatus> | null = null) {
  const options = JSON.parse(j.options) as Record<string, unknown>;
  const content = parseContent(j.content);
  const zone = j.timezone;
  // The request's own fields are echoed first so that the computed ones below win.
  return {
    ...options,
    job_id: j.id,
    user_id: j.user_id,
    cost: money(j.cost),
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
    total_amount: money(j.cost),
    total_duration: recipients.reduce((n, r) => n + (r.duration ?? 0), 0),
    job_status: jobStatusName(j.status),
    manual_sender_id: j.sender,
    // A fax's message is the request's own (it is not faxed); fixed texts (2FA) show none.
    message: content.kind === 'fax' ? (options.message ?? '') : templateOf(content),
    callback_url: j.callback_url,
    cutoff_hour: j.cutoff,
    recipients: recipients.map((r) => ({ destination: r.destination, reference: r.reference, recipient: r.name, ...(r.fields ? (JSON.parse(r.fields) as object) : {}) })),
    user_list_ids: options.user_list_ids ?? null,
    reports: recipients.map((r) => report(r, zone, j.sender, j.channel === 'sms' || j.channel === 'sms2way', callbacks ? (callbacks.get(r.id) ?? null) : undefined)),
  };
}
