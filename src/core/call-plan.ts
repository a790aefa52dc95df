import { compileTemplate } from './merge.js';
import type { MergeFields } from './model.js';

export interface KeyResponse {
  message: string | null;
  /** E.164 number the call is bridged to. */
  redirectTo: string | null;
}

/** What an answered call does (seed 000's TTS fields), texts already merged for this recipient. */
export interface CallPlan {
  voice: string;
  /** A voice job's own recording (a converted WAV), played instead of a spoken message. */
  audio: string | null;
  header: string | null;
  message: string;
  /** The message is read twice unless skip_message_repeat. */
  repeat: boolean;
  /** Read instead when an answering machine is detected (default: the message). */
  voicemail: string | null;
  /** 2-way: collect one key while the message plays. */
  collect: boolean;
  responses: Record<string, KeyResponse>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** Build a recipient's call plan from the job's content and the recipient's merge fields. */
export function callPlan(content: Record<string, unknown>, message: string, fields: MergeFields, twoWay: boolean): CallPlan {
  const merge = (t: string | null) => (t === null ? null : compileTemplate(t)(fields));
  const responses: Record<string, KeyResponse> = {};
  if (twoWay && Array.isArray(content.two_way_key_responses)) {
    for (const r of content.two_way_key_responses as Record<string, unknown>[]) {
      responses[String(r.key_press)] = { message: merge(text(r.response_message)), redirectTo: text(r.redirect_to) };
    }
  }
  return {
    voice: text(content.voice) ?? 'default',
    audio: text(content.audio_file),
    header: merge(text(content.header)),
    message,
    // A recording plays once; a spoken message twice unless skip_message_repeat.
    repeat: !text(content.audio_file) && content.skip_message_repeat !== true && content.skip_message_repeat !== 1,
    voicemail: merge(text(content.voicemail_message)),
    collect: twoWay,
    responses,
  };
}

/** Every distinct text a plan may speak (rendered before dialling, so nothing waits on the call). */
export function planTexts(p: CallPlan): string[] {
  return [...new Set([p.header, p.audio ? null : p.message, p.voicemail, ...Object.values(p.responses).map((r) => r.message)].filter((t): t is string => t !== null))];
}
