import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/**
 * What every face does with a query string before its routes see it. A name given twice arrives as
 * an array, which no route expects; refusing it here keeps the routes' `string` reads honest.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Query parameters this route takes more than once (as an array); every other one is single. */
    listQuery?: readonly string[];
  }
}

/** The first query parameter given more than once that the route does not take as a list, or null. */
export function repeatedParameter(query: unknown, lists: readonly string[] = []): string | null {
  if (typeof query !== 'object' || query === null) return null;
  for (const [k, v] of Object.entries(query)) if (Array.isArray(v) && !lists.includes(k)) return k;
  return null;
}

/** A 400 (in the face's envelope, through its error handler) for a repeated query parameter. */
export function refuseRepeatedQuery(app: FastifyInstance): void {
  app.addHook('preValidation', async (req: FastifyRequest) => {
    const name = repeatedParameter(req.query, req.routeOptions.config.listQuery);
    if (name !== null) throw new ApiError(400, `${name.slice(0, 50)}: give this parameter once`);
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
  if (!(n >= range.min && n <= max)) throw new ApiError(status, `${name}: expected a whole number from ${range.min} to ${max}`);
  return n;
}
