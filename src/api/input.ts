import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/**
 * What every face does with input before its routes see it. A query name given twice arrives as an
 * array, which no route expects: refused here, so the routes' `string` reads stay honest. A path the
 * router cannot decode never reaches a face's error handler: it is answered in the envelope of the
 * face it was meant for.
 */

/** A face's error answer: its envelope, status and message. */
export type Envelope = (reply: FastifyReply, status: number, message: string) => unknown;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Query parameters this route takes more than once (as an array); every other one is single. */
    listQuery?: readonly string[];
  }
  interface FastifyInstance {
    /** Each face's envelope by mount prefix (see guardInput). */
    faceEnvelopes: { prefix: string; envelope: Envelope }[];
  }
}

/** Every face calls this once: repeated query parameters refused, router errors in its envelope. */
export function guardInput(app: FastifyInstance, envelope: Envelope): void {
  refuseRepeatedQuery(app);
  app.faceEnvelopes.push({ prefix: app.prefix, envelope });
}

/**
 * Fastify's frameworkErrors: a path that is not valid percent-encoding, or a path segment over the
 * router's limit, answered by the face whose prefix the path falls under (the longest).
 */
export function routerError(envelopes: readonly { prefix: string; envelope: Envelope }[]) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): unknown => {
    const path = (req.raw.url ?? '').split('?')[0]!;
    const face = envelopes.filter((e) => e.prefix === '' || path === e.prefix || path.startsWith(`${e.prefix}/`)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
    const [status, message] = err.code === 'FST_ERR_BAD_URL' ? [400, 'the path is not valid percent-encoding'] : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? [414, 'a path segment is too long'] : [400, 'the request cannot be routed'];
    return face ? face.envelope(reply, status, message) : reply.code(status).send({ error: message });
  };
}

/** The first query parameter given more than once that the route does not take as a list, or null. */
export function repeatedParameter(query: unknown, lists: readonly string[] = []): string | null {
  if (typeof query !== 'object' || query === null) return null;
  for (const [k, v] of Object.entries(query)) if (Array.isArray(v) && !lists.includes(k)) return k;
  return null;
}

/** A 400 (in the face's envelope, through its error handler) for a repeated query parameter. */
export function refuseRepeatedQuery(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, GET status included.
  app.addHook('preValidation', (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    const name = repeatedParameter(req.query, req.routeOptions.config.listQuery);
    // An ApiError: a rule of HTTP input below every face's own, 400 on each (as routerError's are), not a code's mapping.
    done(name === null ? undefined : new ApiError(400, `${name.slice(0, 50)}: give this parameter once`));
  });
}

/**
 * A whole number from a query string, `dflt` when absent or empty; anything else (1.5, 1e20, -1,
 * 0x10, " 1") is an ApiError with `status` naming the parameter and the range. SQLite binds only
 * safe integers, so `max` is capped there.
 */
export function wholeNumber(raw: unknown, name: string, range: { min: number; max: number; dflt: number }, status = 400): number {
  if (raw === undefined || raw === '') return range.dflt;
  const max = Math.min(range.max, Number.MAX_SAFE_INTEGER);
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  // An ApiError: the status is the caller's (v1 422, ICTCore and Retarus 400), and input.test.ts holds it to ApiError.
  if (!(n >= range.min && n <= max)) throw new ApiError(status, `${name}: expected a whole number from ${range.min} to ${max}`);
  return n;
}
