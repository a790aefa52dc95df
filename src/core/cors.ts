/**
 * CORS as ICTCore sends it (its RestServer's corsHeaders, on every answer and on OPTIONS, when
 * ictcore.conf's `[website] cors` lists origins — `*` by default): the request's Origin echoed when it is
 * allowed, GET,POST,PUT,DELETE,OPTIONS, its header lists. One change: ICTCore also says
 * `Allow-Credentials: true` to any origin under `*`, which would let any web page read answers sent
 * with a browser's remembered Basic credentials; here only an origin listed by name gets it (ICTCore's
 * own web client, ictfax, sends its token in Authorization and asks no credentials).
 */
export const CORS_METHODS = 'GET,POST,PUT,DELETE,OPTIONS';
const ALLOW_HEADERS = 'X-Requested-With, content-type, access-control-allow-origin, access-control-allow-methods, access-control-allow-headers, Authorization';
const EXPOSE_HEADERS = 'Content-Type, Content-Length, Content-Disposition';

/** An allowed origin as config takes it: `*`, or scheme://host[:port] with no path. */
export const CORS_ORIGIN = /^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/;

/** The CORS headers for a request from `origin` (its Origin header), or none when CORS is off or the origin is not allowed. */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> | null {
  if (allowed.length === 0) return null;
  const named = origin !== undefined && allowed.some((a) => a.toLowerCase() === origin.toLowerCase());
  const any = allowed.includes('*');
  if (!named && !any) return null;
  return {
    // ICTCore echoes the Origin (or `*` when there is none); Vary, since the answer depends on it.
    'access-control-allow-origin': origin ?? '*',
    ...(origin !== undefined ? { vary: 'Origin' } : {}),
    'access-control-allow-methods': CORS_METHODS,
    ...(named ? { 'access-control-allow-credentials': 'true' } : {}),
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-expose-headers': EXPOSE_HEADERS,
  };
}
