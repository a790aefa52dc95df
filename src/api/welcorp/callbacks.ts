import type { CallbackFormatter } from '../../events/callbacks.js';
import type { CallbackRequest } from '../../store/callbacks.js';
import type { JobInfo, RecipientView } from '../../core/jobs.js';
import { reportStatus } from './job-types.js';
import { isoDate } from './present.js';

const FORM = 'application/x-www-form-urlencoded';
const SMS_CHANNELS = new Set(['sms', 'sms2way', 'mms']);

/** The seed writes destinations as digits, without "+". */
const digits = (r: RecipientView) => (r.address ?? r.destination).replace(/^\+/, '');

const form = (kind: string, url: string, fields: [string, string | number | boolean | null][]): CallbackRequest => ({
  kind,
  url,
  contentType: FORM,
  body: new URLSearchParams(fields.map(([k, v]) => [k, v === null ? '' : String(v)])).toString(),
});

/** The v1 API's form-encoded callbacks: SMS delivery report, SMS reply, the fax/TTS/voice report, and e-mail's (the SMS report's fields). */
export const welcorpCallbacks: CallbackFormatter = {
  status(job: JobInfo, r: RecipientView, at: number) {
    if (!job.callbackUrl) return null;
    const common = (): [string, string | number | boolean | null][] => [
      ['BroadcastID', job.id],
      ['Timestamp', isoDate(at, job.timezone)],
      ['Reference', r.reference],
      ['Recipient', r.name],
      ['Destination', digits(r)],
      ['Status', reportStatus(r.state, r.reason, !SMS_CHANNELS.has(job.channel))],
    ];
    if (SMS_CHANNELS.has(job.channel)) {
      if (job.options.callback_on_sms_status_update !== true) return null;
      return form('sms.status', job.callbackUrl, [...common(), ['BroadcastName', job.name]]);
    }
    // E-mail: the seed names no fields of its own; the delivery report's, the address as given.
    if (job.channel === 'email') return form('email.status', job.callbackUrl, [...common().map(([k, v]): [string, string | number | boolean | null] => (k === 'Destination' ? [k, r.address ?? r.destination] : [k, v])), ['BroadcastName', job.name]]);
    return form('call.status', job.callbackUrl, [...common(), ['Duration', r.duration ?? 0], ['Cost', r.cost ?? 0], ['Keypress', r.keypress], ['Voicemail', r.voicemail ?? false], ['BroadcastName', job.name]]);
  },
  reply(job: JobInfo, r: RecipientView, text: string, at: number) {
    if (!job.callbackUrl) return null;
    return form('sms.reply', job.callbackUrl, [
      ['BroadcastID', job.id],
      ['Timestamp', isoDate(at, job.timezone)],
      ['Reference', r.reference],
      ['Recipient', r.name],
      ['Destination', digits(r)],
      ['Response', text],
      ['BroadcastName', job.name],
    ]);
  },
};
