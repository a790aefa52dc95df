import type { CallContent } from './content.js';
import { compileTemplate } from './merge.js';
import type { MergeFields } from './model.js';

/** What a key does on this recipient's call, its text merged. */
export interface KeyAction {
  message: string | null;
  /** E.164 number the call is bridged to. */
  redirectTo: string | null;
}

/** What an answered call does, texts already merged for this recipient. */
export interface CallPlan {
  voice: string;
  /** A voice job's own recording (a converted WAV), played instead of a spoken message. */
  audio: string | null;
  header: string | null;
  /** The spoken message; for a recording, a placeholder that keys the recording's file. */
  message: string;
  /** How many times the message is read: twice (or the user's tts_repeat_count), once with skip_message_repeat; a recording plays once. */
  plays: number;
  /** Read instead when an answering machine is detected (default: the message). */
  voicemail: string | null;
  /** 2-way: collect one key while the message plays. */
  collect: boolean;
  responses: Record<string, KeyAction>;
}

const RECORDING = '(recording)';

/** A recipient's call plan from the job's call content, its text and merge fields. */
export function callPlan(content: CallContent, message: string, fields: MergeFields, twoWay: boolean): CallPlan {
  const merge = (t: string | null) => (t === null || t.trim() === '' ? null : compileTemplate(t)(fields));
  const responses: Record<string, KeyAction> = {};
  if (twoWay) for (const r of content.responses) responses[r.key] = { message: merge(r.message), redirectTo: r.redirectTo?.trim() ? r.redirectTo : null };
  return {
    voice: content.voice.trim() || 'default',
    audio: content.recording?.file ?? null,
    header: merge(content.header),
    message: content.recording ? RECORDING : message,
    plays: content.recording || !content.repeat ? 1 : (content.plays ?? 2),
    voicemail: merge(content.voicemail),
    collect: twoWay,
    responses,
  };
}

/** Every distinct text a plan may speak (rendered before dialling, so nothing waits on the call). */
export function planTexts(p: CallPlan): string[] {
  return [...new Set([p.header, p.audio ? null : p.message, p.voicemail, ...Object.values(p.responses).map((r) => r.message)].filter((t): t is string => t !== null))];
}
