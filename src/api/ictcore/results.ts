import type { Channel } from '../../core/model.js';
import type { AttemptRow, ResultRow } from '../../store/transmissions.js';
import { seconds } from './fields.js';

/** The ICTCore application that does a channel's work (core/Application/*.php), named as its results name it. */
const APPLICATION: Record<Channel, string> = { sms: 'sms_send', sms2way: 'sms_send', mms: 'sms_send', tts: 'originate', tts2way: 'originate', voice: 'originate', fax: 'fax_send', email: 'email_send' };

/**
 * The daemon's results (store kinds) in ICTCore's words (core/Result.php types application, contact,
 * message, info, error; names as its applications write them): a key pressed is Input's and Play_menu's
 * `info`/`key`, fax pages Fax_send's `info`/`pages`, a reply Sms_receive's `message`/`text` (here the
 * text itself: no text row is made of it), a voicemail `info`/`voicemail` (Record would store a
 * recording; none is kept here).
 */
const NAMES: Record<string, { type: string; name: string }> = {
  keypress: { type: 'info', name: 'key' },
  fax_pages: { type: 'info', name: 'pages' },
  reply: { type: 'message', name: 'text' },
  voicemail: { type: 'info', name: 'voicemail' },
};

/**
 * A spool's results as ICTCore's `Result::search` lists them: first the application's own (Application::process:
 * type application, its name, `success` or `error`, once the spool has ended), an `error` with the far
 * end's answer when it failed (Fax_send's `error`), then what the far end gave.
 */
export function ictcoreResults(channel: Channel, a: AttemptRow, status: 'initiated' | 'completed' | 'failed', rows: readonly ResultRow[]): Record<string, unknown>[] {
  const at = seconds(a.ended_at ?? a.started_at);
  const out: Record<string, unknown>[] = [];
  if (status !== 'initiated') out.push({ spool_result_id: null, spool_id: a.id, type: 'application', name: APPLICATION[channel], data: status === 'completed' ? 'success' : 'error', date_created: at });
  if (status === 'failed' && a.response) out.push({ spool_result_id: null, spool_id: a.id, type: 'error', name: 'error', data: a.response, date_created: at });
  for (const r of rows) {
    const n = NAMES[r.kind] ?? { type: 'info', name: r.kind };
    out.push({ spool_result_id: r.id, spool_id: a.id, type: n.type, name: n.name, data: r.value ?? r.data, date_created: seconds(r.created_at) });
  }
  return out;
}
