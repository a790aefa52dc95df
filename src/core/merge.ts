import type { MergeFields } from './model.js';

/** A merge field in a message: %%name%%; names are case-insensitive. */
const FIELD = /%%([A-Za-z0-9_][A-Za-z0-9_ .-]{0,63})%%/g;

export type Template = (fields: MergeFields) => string;

// C0 controls but LF and CR (GSM 03.38 has both; "\r\n" stays as written), DEL and C1 controls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

/**
 * A merge value as it may reach an SMSC or a text-to-speech engine: control characters removed (a
 * tab becomes a space, so that words stay apart). A value with none is returned as it is, after one
 * regex test: the common case costs no copy.
 */
export function plainValue(value: string): string {
  return CONTROL.test(value) ? value.replace(CONTROLS, (c) => (c === '\t' ? ' ' : '')) : value;
}

// What a client's own message text may not carry: the controls above but TAB (it is written as a space).
// eslint-disable-next-line no-control-regex -- likewise
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * The first control character in a client's message text (C0 but TAB, LF and CR; DEL; C1), named
 * for the error ("U+001B at character 7"), or null. A message text is refused with it rather than
 * cleaned: the client wrote it, and an ESC or NUL sent on would mean something else to an SMSC.
 */
export function controlCharacterIn(text: string): string | null {
  const m = TEXT_CONTROL.exec(text);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at character ${m.index + 1}` : null;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A value as HTML text (an element's content or a quoted attribute): a recipient's field never becomes markup. */
export const htmlEscape = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * Compile once per job, merge once per recipient: the text is split into literal and field parts
 * so merging is a join, not a regex per recipient. A field with no value merges as empty; values lose
 * their control characters (plainValue), then pass through `escape` (an HTML body's htmlEscape); the
 * template's own text is taken as the client wrote it.
 */
export function compileTemplate(text: string, escape: (value: string) => string = (v) => v): Template {
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of text.matchAll(FIELD)) {
    parts.push(text.slice(last, m.index));
    names.push(m[1]!.toLowerCase());
    last = m.index + m[0].length;
  }
  if (names.length === 0) return () => text;
  parts.push(text.slice(last));
  return (fields) => {
    let out = parts[0]!;
    for (let i = 0; i < names.length; i++) out += escape(plainValue(fields[names[i]!] ?? '')) + parts[i + 1]!;
    return out;
  };
}

export const templateFields = (text: string): string[] => [...new Set([...text.matchAll(FIELD)].map((m) => m[1]!.toLowerCase()))];

/** Lower-case the keys of a recipient's merge data; values become strings. */
export function normaliseFields(data: Record<string, unknown>): MergeFields {
  const out: MergeFields = {};
  for (const [k, v] of Object.entries(data)) if (v !== null && v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}
