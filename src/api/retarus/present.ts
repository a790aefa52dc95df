import { DateTime } from 'luxon';
import type { JobRow, RecipientRow } from '../../store/jobs.js';
import type { RecipientState } from '../../core/model.js';

/** "2018-09-24T12:17:44.653+02:00" in the owner's zone. */
const ts = (ms: number | null, zone: string): string | undefined => (ms === null ? undefined : (DateTime.fromMillis(ms, { zone }).toISO() ?? undefined));

/** "S.20180924-121800-00001": the job's time and the recipient's own number. */
export const smsId = (job: JobRow, recipientId: number): string => `S.${DateTime.fromMillis(job.created_at, { zone: 'UTC' }).toFormat('yyyyMMdd-HHmmss')}-${String(recipientId).padStart(5, '0')}`;

/** Core state → the seed's processStatus / status / reason (the table in README.md). */
export const STATUS: Record<RecipientState, { process: 'OPEN' | 'DONE'; status?: string; reason?: string }> = {
  queued: { process: 'OPEN' },
  sending: { process: 'OPEN', status: 'SUC_SUB', reason: 'Being sent.' },
  submitted: { process: 'OPEN', status: 'SUC_ACC', reason: 'Accepted.' },
  delivered: { process: 'DONE', status: 'SUC_FIN', reason: 'Delivered to destination.' },
  sent: { process: 'DONE', status: 'SUC_SNT', reason: 'Sent; the network gave no delivery report.' },
  undeliverable: { process: 'DONE', status: 'ERR_DLV', reason: 'Not delivered.' },
  expired: { process: 'DONE', status: 'ERR_EXP', reason: 'Validity period expired.' },
  rejected: { process: 'DONE', status: 'ERR_REJ', reason: 'Rejected.' },
  failed: { process: 'DONE', status: 'ERR_SND', reason: 'Sending failed.' },
  invalid: { process: 'DONE', status: 'ERR_DST', reason: 'Invalid destination.' },
  opted_out: { process: 'DONE', status: 'ERR_OPT', reason: 'The recipient opted out.' },
  cancelled: { process: 'DONE', status: 'ERR_CAN', reason: 'Cancelled.' },
};

/** The job's report; `recipientIds` is its list of smsIds (an array, or a list jsonStream writes page by page). */
export function jobReport(job: JobRow, recipientIds: unknown) {
  const o = JSON.parse(job.options) as Record<string, unknown>;
  const pick = (k: string) => (o[k] === undefined ? {} : { [k]: o[k] });
  return {
    jobId: job.external_id,
    ...pick('src'),
    encoding: o.encoding ?? 'standard',
    ...pick('billcode'),
    statusRequested: o.statusRequested ?? false,
    flash: o.flash ?? false,
    ...pick('validityMin'),
    ...pick('customerRef'),
    qos: o.qos ?? 'NORMAL',
    receiptTs: ts(job.created_at, job.timezone),
    ...(job.completed_at !== null ? { finishedTs: ts(job.completed_at, job.timezone) } : {}),
    recipientIds,
  };
}

export function recipientReport(job: JobRow, r: RecipientRow) {
  const s = STATUS[r.state];
  // A failure's own reason (e.g. the SMSC's error) is more use than the generic one.
  const reason = s.process === 'DONE' && r.state !== 'delivered' && r.reason ? `${s.reason} ${r.reason}` : s.reason;
  return {
    smsId: smsId(job, r.id),
    dst: r.destination,
    processStatus: s.process,
    ...(s.status ? { status: s.status } : {}),
    ...(r.reference !== null ? { customerRef: r.reference } : {}),
    ...(reason ? { reason } : {}),
    ...(r.sent_at !== null ? { sentTs: ts(r.sent_at, job.timezone) } : {}),
    ...(s.process === 'DONE' && r.final_at !== null ? { finishedTs: ts(r.final_at, job.timezone) } : {}),
  };
}
