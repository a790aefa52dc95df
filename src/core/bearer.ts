/**
 * The token of a Bearer Authorization header ("Bearer <token>", any case; "" when it is blank), or
 * null when the header is not a Bearer one. The one parser: the ICTCore face, the live stream and the metrics' token.
 */
export function bearerToken(header: string | string[] | undefined): string | null {
  const v = Array.isArray(header) ? header[0] : header;
  return v && /^bearer\s+/i.test(v) ? v.replace(/^bearer\s+/i, '').trim() : null;
}

/** The WebSocket subprotocol a browser names first to carry its token (it cannot set Authorization on a WebSocket). */
export const STREAM_PROTOCOL = 'switchpost';
/** The prefix of the second subprotocol, the token itself: `bearer.<token>` (a JWT's characters are all a protocol's). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/**
 * The token a Sec-WebSocket-Protocol header carries as `switchpost, bearer.<token>`, or null when it
 * carries none. The server answers with the first protocol, `switchpost`, never echoing the token.
 */
export function protocolBearer(header: string | string[] | undefined): string | null {
  const v = Array.isArray(header) ? header.join(',') : header;
  if (!v) return null;
  const protocols = v.split(',').map((p) => p.trim());
  if (protocols[0] !== STREAM_PROTOCOL) return null;
  const carried = protocols.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  return carried ? carried.slice(BEARER_PROTOCOL_PREFIX.length) : null;
}
