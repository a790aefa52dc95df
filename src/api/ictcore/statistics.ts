import type { FastifyInstance } from 'fastify';
import { statistics } from './answers.js';
import type { Ctx } from './context.js';
import type { Channel } from '../../core/model.js';
import type { StatisticsFilter } from '../../store/transmissions.js';
import { SERVICE_FLAG } from './programs.js';
import { ACCOUNT_TYPES } from './accounts.js';
import { filterValue, invalid } from './fields.js';
import { ictDoc } from './route-docs.js';

/**
 * ICTCore's statistics filters (Core::statistic in core/Core.php): `date_created`, `since` or `from`
 * (epoch seconds: rows made then or later), `user_id` or `created_by`, `service_flag` (its bitmask,
 * as the transmission list takes it) and `account_type`. Other fields are ignored, as ICTCore's
 * switch ignores them; a known one with a bad value is a 412 naming it.
 */
export function statisticsFilter(query: Record<string, unknown>): StatisticsFilter {
  const f: StatisticsFilter = {};
  for (const k of ['date_created', 'since', 'from'] as const) if (query[k] !== undefined) f.since = Math.max(f.since ?? 0, Number(filterValue(k, query[k], 'whole')));
  for (const k of ['user_id', 'created_by'] as const) if (query[k] !== undefined) f.userId = Number(filterValue(k, query[k], 'whole'));
  if (query.service_flag !== undefined) {
    const flags = Number(filterValue('service_flag', query.service_flag, 'whole'));
    f.channels = (Object.keys(SERVICE_FLAG) as Channel[]).filter((c) => (SERVICE_FLAG[c] & flags) === flags);
  }
  if (query.account_type !== undefined) {
    const type = filterValue('account_type', query.account_type);
    if (!(ACCOUNT_TYPES as readonly string[]).includes(type)) throw invalid('account_type', `one of ${ACCOUNT_TYPES.join(', ')}`);
    f.accountType = type;
  }
  return f;
}

/**
 * GET /statistics: the seed's Statistics object and the fields the real ICTCore answers (and its
 * web client, ictfax's dashboard, reads: user_total, did_total, transmission_inbound and _outbound),
 * over what the user may see.
 */
export function statisticsRoutes(app: FastifyInstance, ctx: Ctx): void {
  app.get('/statistics', ictDoc("Counts of the caller's transmissions, campaigns and contacts", { answer: statistics }), async (req) => {
    await ctx.authorize(req, 'transmission_list');
    return ctx.deps.stores.transmissions.statistics(ctx.scope(req), statisticsFilter(req.query as Record<string, unknown>));
  });
}
