import type { JobStore } from '../../store/jobs.js';
import type { MailTimerKind } from '../../store/mail-timers.js';
import type { MailFollowUps } from '../../spool/mail-follow-ups.js';
import type { EmailContent } from '../../core/content.js';
import { plainJob, type NewJob } from '../../core/jobs.js';
import { systemEmail } from '../../core/email.js';
import { isSuccess } from '../../core/model.js';
import { resultMail } from '../../core/email-to-fax.js';

/** A fax job has at most this many recipients' e-mails made at its end (max_recipients bounds an e-mail's recipients far below). */
const MAX_RESULTS = 100;

type EmailToFaxOptions = { email_to_fax?: { reply_to?: unknown } };
const replyToOf = (optionsJson: string): string | null => {
  try {
    const v = (JSON.parse(optionsJson) as EmailToFaxOptions).email_to_fax?.reply_to;
    return typeof v === 'string' && v !== '' ? v : null;
  } catch {
    return null;
  }
};

/**
 * E-mail to fax's last word to its sender (issue 17): when a fax job made from an e-mail ends, one
 * e-mail per recipient saying it was sent or why it failed, as `email` jobs from the system sender, made
 * through the job's report timer (spool/mail-follow-ups.ts) in the transaction that finishes the job.
 */
export function emailToFaxFollowUps(deps: { jobs: JobStore; from: EmailContent['from'] | null }): MailFollowUps {
  return {
    reply: () => ({ mails: [], batchAt: null }),
    wantsReport(jobId: number) {
      const j = deps.from ? deps.jobs.get(jobId) : undefined;
      return !!j && j.channel === 'fax' && replyToOf(j.options) !== null;
    },
    due(jobId: number, kind: MailTimerKind): Promise<NewJob[]> {
      const j = kind === 'report' && deps.from ? deps.jobs.get(jobId) : undefined;
      const to = j ? replyToOf(j.options) : null;
      if (!j || !to || !deps.from) return Promise.resolve([]);
      const mails = deps.jobs.reportRows(jobId, -1, MAX_RESULTS).map((r) => {
        const ok = isSuccess(r.state);
        const detail = ok ? (r.parts ? `${r.parts} page${r.parts === 1 ? '' : 's'}` : null) : (r.reason ?? r.state);
        const { subject, text } = resultMail(jobId, r.destination, ok, detail);
        return plainJob({
          userId: j.user_id,
          face: 'welcorp',
          channel: 'email',
          name: subject.slice(0, 200),
          content: systemEmail(deps.from!, subject, text),
          options: { system: 'email_to_fax_result', for_job: jobId, for_recipient: r.id },
          recipients: [{ destination: to, name: null, reference: null, fields: null, blackouts: null }],
        });
      });
      return Promise.resolve(mails);
    },
  };
}
