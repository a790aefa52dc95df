/**
 * The token of a Bearer Authorization header ("Bearer <token>", any case; "" when it is blank), or
 * null when the header is not a Bearer one. The one parser: the ICTCore face, the live stream and the metrics' token.
 */
export function bearerToken(header: string | string[] | undefined): string | null {
  const v = Array.isArray(header) ? header[0] : header;
  return v && /^bearer\s+/i.test(v) ? v.replace(/^bearer\s+/i, '').trim() : null;
}
