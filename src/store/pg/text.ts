/**
 * PostgreSQL's text holds no NUL (U+0000) and no lone surrogate; SQLite stores both as given. Rather
 * than a write refused (22021) — a network input such as an MO with a NUL would then fail its commit
 * and be redelivered forever — the facade binds such a string with U+FFFD (the replacement character)
 * in their place, as UTF-8 encoding does for a lone surrogate. A string that is JSON (a row batch cast
 * to jsonb, a profile read later with `::jsonb`) gets the same for its escapes `\u0000` and a lone
 * `\udXXX`, which jsonb refuses (22P05) just as text refuses the characters.
 */

/** A raw NUL, or a surrogate without its other half. */
// eslint-disable-next-line no-control-regex -- the NUL is what is looked for
const BAD_CHAR = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- the NUL is what is looked for
const MAYBE_BAD = /[\u0000\uD800-\uDFFF]/;

/**
 * A JSON escape (after an even number of backslashes, so not an escaped backslash's `\\u…`) of a NUL
 * or of a lone surrogate: a high one not followed by a low one's escape, a low one not after a high one's.
 */
const BAD_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)(?:\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2})/gi;
const MAYBE_BAD_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** `s` as PostgreSQL's text can hold it: each NUL and lone surrogate (and, in JSON, each escape of one) a U+FFFD. */
export function pgText(s: string): string {
  let out = MAYBE_BAD.test(s) ? s.replace(BAD_CHAR, '\uFFFD') : s;
  if (MAYBE_BAD_ESCAPE.test(out) && /^\s*[[{"]/.test(out)) out = out.replace(BAD_ESCAPE, '\\ufffd');
  return out;
}
