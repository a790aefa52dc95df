import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRow, JobStore } from '../../store/jobs.js';
import type { UserRow, UserStore } from '../../store/users.js';
import type { JobReply, ReplyStore } from '../../store/replies.js';
import type { MailTimerKind } from '../../store/mail-timers.js';
import type { MailFollowUps, RecordedReply } from '../../spool/mail-follow-ups.js';
import { plainJob, type NewJob } from '../../core/jobs.js';
import type { EmailAttachment, EmailContent } from '../../core/content.js';
import { systemEmail } from '../../core/email.js';
import { csvLine } from '../csv-stream.js';
import { breathe } from '../json-stream.js';
import { listDate, report } from './present.js';
import { CHANNEL_TO_TYPE, jobStatusName } from './job-types.js';
import { emailList } from './user-settings.js';

export interface WelcorpMailDeps {
  jobs: JobStore;
  users: UserStore;
  replies: ReplyStore;
  /** The From of every e-mail here (email.system_from); null: none are made. */
  from: EmailContent['from'] | null;
  /** Where a Detailed report's CSV is written (a directory under data_dir). */
  reportDir: string;
}

/** A batch e-mail lists at most this many replies; the count says how many there were. */
export const MAX_BATCH_REPLIES = 5000;
/** The report CSV is read and written this many recipients at a time, a turn of the event loop between. */
const CSV_PAGE = 1000;
const CSV_HEADER = ['report_id', 'reference', 'recipient', 'destination', 'status', 'stage', 'notes', 'send_date_time', 'duration', 'message_cost'];

type Options = Record<string, unknown>;
const optionsOf = (j: JobRow): Options => JSON.parse(j.options) as Options;
const profileOf = (u: UserRow | undefined): Options => (u ? (JSON.parse(u.profile || '{}') as Options) : {});
/** A job the daemon made itself (a 2FA code, a reply or report e-mail): it never sends e-mails of its own. */
const isSystemJob = (o: Options): boolean => o.two_factor === true || typeof o.system === 'string';
const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';
const jobTitle = (j: { id: number; name: string | null }): string => (j.name ? `"${j.name}" (job ${j.id})` : `job ${j.id}`);
const when = (ms: number | null, zone: string): string => (ms === null ? '-' : `${listDate(ms, zone)} (${zone})`);

/**
 * The v1 API's e-mails after the fact (seed 000), as `email` jobs of the job's own user from the system
 * sender: a 2-way job's replies to `response_email_address` (else the user's
 * `default_sms_reply_email_address`), one e-mail per reply or, with `batch_replies`, one listing them all
 * when `expires` runs out; a finished job's report to `additional_report_emails` and, when the user's
 * `receive_reports` is set, to its e-mail and `additional_reports_address`, with a CSV of every
 * recipient's report when its `report_type` is Detailed.
 */
export function welcorpMailFollowUps(deps: WelcorpMailDeps): MailFollowUps {
  const mail = (user: number, forJob: number, kind: string, name: string, to: string[], subject: string, text: string, attachments: EmailAttachment[] = []): NewJob =>
    plainJob({
      userId: user,
      face: 'welcorp',
      channel: 'email',
      name,
      content: systemEmail(deps.from!, subject, text, attachments),
      options: { system: kind, for_job: forJob },
      recipients: to.map((destination) => ({ destination, name: null, reference: null, fields: null, blackouts: null })),
    });

  /** Where a 2-way job's replies go: the job's address, else its user's default; none: not mailed. */
  const replyAddress = (options: Options, userId: number): string | null => {
    const own = typeof options.response_email_address === 'string' ? emailList(options.response_email_address) : null;
    if (own && own.length) return own[0]!;
    const fallback = profileOf(deps.users.byId(userId)).default_sms_reply_email_address;
    const list = typeof fallback === 'string' ? emailList(fallback) : null;
    return list && list.length ? list[0]! : null;
  };

  const reportAddresses = (j: JobRow, o: Options): { to: string[]; detailed: boolean; costs: boolean } => {
    const user = deps.users.byId(j.user_id);
    const profile = profileOf(user);
    const to: string[] = [];
    if (typeof o.additional_report_emails === 'string') to.push(...(emailList(o.additional_report_emails) ?? []));
    if (truthy(profile.receive_reports)) {
      if (user?.email) to.push(...(emailList(user.email) ?? []));
      if (typeof profile.additional_reports_address === 'string') to.push(...(emailList(profile.additional_reports_address) ?? []));
    }
    const seen = new Set<string>();
    return {
      to: to.filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase())),
      detailed: typeof profile.report_type === 'string' && profile.report_type.trim().toLowerCase() === 'detailed',
      costs: !truthy(profile.hide_costs_in_reports),
    };
  };

  const replyBlock = (r: Pick<JobReply, 'from' | 'to' | 'text' | 'at' | 'name' | 'reference'>, zone: string): string =>
    [`From:      ${r.from}`, `To:        ${r.to ?? '-'}`, `Received:  ${when(r.at, zone)}`, `Recipient: ${r.name ?? '-'}${r.reference ? ` (reference ${r.reference})` : ''}`, '', r.text ?? ''].join('\n');

  const batchMails = (jobId: number): NewJob[] => {
    const j = deps.jobs.get(jobId);
    if (!j || !deps.from) return [];
    const to = replyAddress(optionsOf(j), j.user_id);
    const until = j.reply_until ?? Date.now();
    const count = deps.replies.replyCount(jobId, until);
    if (!to || count === 0) return [];
    const listed = deps.replies.repliesOf(jobId, until, MAX_BATCH_REPLIES);
    const head = `${count} ${count === 1 ? 'reply' : 'replies'} to your ${CHANNEL_TO_TYPE[j.channel]} job ${jobTitle(j)}, received until ${when(until, j.timezone)}.`;
    const more = count > listed.length ? [`... and ${count - listed.length} more, not listed here.`] : [];
    const text = [head, '', ...listed.map((r) => replyBlock(r, j.timezone) + '\n\n----'), ...more].join('\n');
    return [mail(j.user_id, j.id, 'replies', `Replies to job ${j.id}`, [to], `${count} ${count === 1 ? 'reply' : 'replies'} to ${jobTitle(j)}`, text)];
  };

  /** Every recipient's report as CSV, written a page at a time to a file beside the others (then renamed into place). */
  const writeCsv = async (j: JobRow, costs: boolean): Promise<EmailAttachment> => {
    mkdirSync(deps.reportDir, { recursive: true });
    const file = join(deps.reportDir, `job-${j.id}.csv`);
    const part = `${file}.part`;
    const fd = openSync(part, 'w', 0o600);
    try {
      writeSync(fd, csvLine(CSV_HEADER));
      const sms = j.channel === 'sms' || j.channel === 'sms2way';
      // seq counts from 0: the first page is the one after -1.
      for (let after = -1; ;) {
        const rows = deps.jobs.reportRows(j.id, after, CSV_PAGE);
        if (rows.length === 0) break;
        const r = rows.map((row) => report(row, j.timezone, j.sender, sms, undefined, costs));
        writeSync(fd, r.map((x) => csvLine([x.report_id, x.reference, x.recipient, x.destination, x.status, x.stage, x.notes, x.send_date_time, x.duration, x.message_cost])).join(''));
        after = rows.at(-1)!.seq;
        await breathe();
      }
    } finally {
      closeSync(fd);
    }
    renameSync(part, file);
    return { file, name: `job-${j.id}-report.csv`, size: statSync(file).size };
  };

  const reportOf = async (jobId: number): Promise<NewJob[]> => {
    const j = deps.jobs.get(jobId);
    if (!j || !deps.from) return [];
    const o = optionsOf(j);
    const { to, detailed, costs } = reportAddresses(j, o);
    if (to.length === 0 || isSystemJob(o)) return [];
    const status = jobStatusName(j.status);
    const lines = [
      `Your ${CHANNEL_TO_TYPE[j.channel]} job ${jobTitle(j)} is ${status.toLowerCase()}.`,
      '',
      `Recipients: ${j.total}`,
      `Sent:       ${j.succeeded}`,
      `Failed:     ${j.failed}`,
      `Started:    ${when(j.created_at, j.timezone)}`,
      `Completed:  ${when(j.completed_at, j.timezone)}`,
      ...(costs ? [`Cost:       ${Math.round(j.cost * 10000) / 10000}`] : []),
      ...(detailed ? ['', `Every recipient's report is in the attached job-${j.id}-report.csv.`] : []),
    ];
    const attachments = detailed ? [await writeCsv(j, costs)] : [];
    return [mail(j.user_id, j.id, 'report', `Report of job ${j.id}`, to, `Report of ${jobTitle(j)}: ${status}`, lines.join('\n'), attachments)];
  };

  return {
    reply(r: RecordedReply) {
      const none = { mails: [], batchAt: null };
      if (!deps.from || !r.forwarded || r.job.face !== 'welcorp' || (r.job.channel !== 'sms2way' && r.job.channel !== 'mms')) return none;
      const to = replyAddress(r.job.options, r.job.userId);
      if (!to) return none;
      if (truthy(r.job.options.batch_replies)) return { mails: [], batchAt: r.job.replyUntil ?? r.at };
      const text = [`A reply to your ${CHANNEL_TO_TYPE[r.job.channel]} job ${jobTitle(r.job)}:`, '', replyBlock({ ...r.recipient, from: r.from, to: r.to, text: r.text, at: r.at }, r.job.timezone)].join('\n');
      return { mails: [mail(r.job.userId, r.job.id, 'reply', `Reply to job ${r.job.id}`, [to], `Reply from ${r.from} to ${jobTitle(r.job)}`, text)], batchAt: null };
    },
    wantsReport(jobId: number) {
      const j = deps.from ? deps.jobs.get(jobId) : undefined;
      if (!j || j.face !== 'welcorp') return false;
      const o = optionsOf(j);
      return !isSystemJob(o) && reportAddresses(j, o).to.length > 0;
    },
    due(jobId: number, kind: MailTimerKind) {
      return kind === 'replies' ? Promise.resolve(batchMails(jobId)) : reportOf(jobId);
    },
  };
}
