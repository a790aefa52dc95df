import { callPlan, type CallPlan } from './call-plan.js';
import type { Content } from './content.js';
import { emailMessage, type EmailMessage } from './email.js';
import type { Channel, MergeFields } from './model.js';
import { mmsMessage, type MmsMessage } from './mms.js';
import { smsMessage, type SmsLink, type SmsMessage } from './sms.js';

/** What the spool knows of a fax's earlier tries to this number. */
export interface FaxHistory {
  /** Pages an earlier try delivered: a retry sends only the rest (0-based start page). */
  startPage: number;
  /** T.38 failed to this number lately: send in audio. */
  audio: boolean;
}

/** One recipient's fax as the gateway sends it. */
export interface FaxPlan extends FaxHistory {
  /** The fax TIFF in the data dir. */
  file: string;
  header: string | null;
}

/** What a gateway is handed for one recipient: the plan the core made from the job's content. */
export type DeliveryPlan = { kind: 'sms'; sms: SmsMessage } | { kind: 'call'; call: CallPlan } | { kind: 'fax'; fax: FaxPlan } | { kind: 'email'; email: EmailMessage } | { kind: 'mms'; mms: MmsMessage };

/** What the plan depends on beyond the job: the link it goes over, and a fax's history. */
export interface PlanContext {
  sms: SmsLink;
  faxHistory: () => FaxHistory;
  /** Whether an earlier try of this MMS recipient was a WAP Push that expired for its link fallback. */
  pushExpired?: () => boolean;
}

/**
 * A recipient's plan: its text (`text`, already merged) cut into SMS parts for the link, its call's steps,
 * its fax resumed where earlier tries left it, or its MMS (subject and text merged, the job's media). Throws SmsEncodingError when the job's SMS limits refuse the text.
 */
export function planDelivery(content: Content, channel: Channel, text: string, fields: MergeFields, ctx: PlanContext): DeliveryPlan {
  switch (content.kind) {
    case 'sms':
      return { kind: 'sms', sms: smsMessage(text, content.sms, ctx.sms) };
    case 'call':
      return { kind: 'call', call: callPlan(content, text, fields, channel === 'tts2way') };
    case 'fax':
      return { kind: 'fax', fax: { file: content.document, header: content.header, ...ctx.faxHistory() } };
    case 'email':
      return { kind: 'email', email: emailMessage(content, fields) };
    case 'mms':
      return { kind: 'mms', mms: { ...mmsMessage(content, text, fields), ...(ctx.pushExpired?.() ? { pushExpired: true } : {}) } };
  }
}
