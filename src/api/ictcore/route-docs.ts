import type { RouteDoc } from '../openapi/route-doc.js';

/** What every ICTCore route may answer besides its own (seed 001's codes): its login and its permission. */
const COMMON = { '401': 'no valid token or credentials', '403': 'permission denied' } as const;

/**
 * A route's options with its description for the face's OpenAPI document (src/api/openapi):
 * `app.get('/roles', ictDoc('List the roles'), handler)`. The answer is JSON unless said.
 */
export function ictDoc(summary: string, more: Omit<RouteDoc, 'summary'> = {}, opts: { alwaysRefused?: boolean } = {}): { config: { doc: RouteDoc } } {
  const { responses, ...rest } = more;
  // A route kept for ICTCore's clients that always refuses (the fixed roles) lists no success.
  const success: Record<string, string> = opts.alwaysRefused ? {} : { '200': 'the answer' };
  return { config: { doc: { summary, ...rest, responses: { ...success, ...COMMON, ...responses } } } };
}
