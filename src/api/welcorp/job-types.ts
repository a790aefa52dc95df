import type { Channel, JobStatus, RecipientState } from '../../core/model.js';

/** The seed's job_type names (any case) and the channel each means. */
const TYPE_TO_CHANNEL: Record<string, Channel> = {
  sms: 'sms',
  '2 way sms': 'sms2way',
  mms: 'mms',
  tts: 'tts',
  'text-to-speech': 'tts',
  '2 way tts': 'tts2way',
  voice: 'voice',
  fax: 'fax',
  email: 'email',
};

export const CHANNEL_TO_TYPE: Record<Channel, string> = {
  sms: 'SMS',
  sms2way: '2 Way SMS',
  mms: 'MMS',
  tts: 'Text-to-speech',
  tts2way: '2 way TTS',
  voice: 'Voice',
  fax: 'Fax',
  email: 'Email',
};

export const JOB_TYPES = Object.keys(TYPE_TO_CHANNEL);
export const channelOf = (jobType: string): Channel | undefined => TYPE_TO_CHANNEL[jobType.trim().toLowerCase().replace(/\s+/g, ' ')];

const STATUS_NAMES: Record<JobStatus, string> = { submitted: 'Broadcast Submitted', complete: 'Complete', cancelled: 'Closed' };
const STATUS_FILTER: Record<string, JobStatus> = { 'broadcast submitted': 'submitted', submitted: 'submitted', complete: 'complete', completed: 'complete', closed: 'cancelled', cancelled: 'cancelled' };
export const jobStatusName = (s: JobStatus): string => STATUS_NAMES[s];
export const jobStatusOf = (name: string): JobStatus | undefined => STATUS_FILTER[name.trim().toLowerCase()];

/** Per-recipient report status and stage; the table is in this face's README. */
export const REPORT_STATUS: Record<RecipientState, { status: string; stage: string }> = {
  queued: { status: 'QUEUED', stage: 'Pending' },
  sending: { status: 'SENDING', stage: 'Sending' },
  submitted: { status: 'SENT', stage: 'Sent' },
  delivered: { status: 'SENT', stage: 'Confirmed' },
  sent: { status: 'SENT', stage: 'Unconfirmed' },
  undeliverable: { status: 'FAILED', stage: 'Undeliverable' },
  expired: { status: 'EXPIRED', stage: 'Expired' },
  rejected: { status: 'FAILED', stage: 'Rejected' },
  failed: { status: 'FAILED', stage: 'Failed' },
  invalid: { status: 'INVALID', stage: 'Invalid number' },
  opted_out: { status: 'OPTED OUT', stage: 'Opted out' },
  cancelled: { status: 'CANCELLED', stage: 'Cancelled' },
};

/** A call's failed status says why, when the reason does (a busy line, no answer); else as REPORT_STATUS. */
export function reportStatus(state: RecipientState, reason: string | null, call: boolean): string {
  if (call && state === 'failed' && reason) {
    if (/^user busy/.test(reason)) return 'BUSY';
    if (/^(no answer|no user response)/.test(reason)) return 'NO ANSWER';
  }
  return REPORT_STATUS[state].status;
}
