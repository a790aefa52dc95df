import { parseContent, withText } from '../../core/content.js';
import type { EventBus } from '../../events/bus.js';
import type { JobStore } from '../../store/jobs.js';

/**
 * A 2FA message's text holds its code (client_verification/sendCode): once the job is final, only the
 * template stays stored, so the database never keeps a code that has gone out. Returns the unsubscribe.
 */
export function redactFinishedTwoFactor(bus: EventBus, jobs: JobStore): () => void {
  return bus.on(
    (e) => {
      if (e.type !== 'job.finished') return;
      const job = jobs.get(e.jobId);
      const options = job ? (JSON.parse(job.options) as Record<string, unknown>) : {};
      if (!job || options.two_factor !== true) return;
      const content = parseContent(job.content);
      if (content.kind === 'sms' || content.kind === 'call') jobs.setContent(e.jobId, withText(content, { texts: [String(options.template ?? '')] }));
      // An e-mailed code's body is the template too; its subject never held the code.
      if (content.kind === 'email') jobs.setContent(e.jobId, { ...content, text: String(options.template ?? '') });
    },
    (type) => type === 'job.finished',
  );
}
