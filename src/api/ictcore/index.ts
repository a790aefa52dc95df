import { CORS_METHODS, corsHeaders } from '../../core/cors.js';
import { authenticated, errorAnswer, TRUE } from './answers.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Ctx, type IctcoreDeps } from './context.js';
import { parseBody } from './fields.js';
import { limitedMessage } from '../login-limiter.js';
import { contactRoutes } from './contacts.js';
import { groupRoutes } from './groups.js';
import { messageRoutes } from './messages.js';
import { makeProgram, programRoutes, programType } from './programs.js';
import { accountRoutes, ownedAccount } from './accounts.js';
import { TransmissionActions, transmissionRoutes } from './transmissions.js';
import { ictcoreBodies } from './bodies.js';
import { CampaignRuns, campaignRoutes } from './campaigns.js';
import { userRoutes } from './users.js';
import { roleRoutes } from './roles.js';
import { providerRoutes } from './providers.js';
import { statisticsRoutes } from './statistics.js';
import { guardInput } from '../input.js';
import { ictcoreError, ictcoreFail } from './errors.js';
import { bearerToken } from '../../core/bearer.js';
import { SwitchpostError } from '../../core/errors.js';
import { describeFace } from '../openapi/serve.js';
import { SEED_EXAMPLES } from '../openapi/seed-examples.js';

export type { IctcoreDeps, IctcoreStores } from './context.js';

const credentials = z.object({
  username: z.union([z.string(), z.number()]).transform(String).optional(),
  email: z.string().optional(),
  user_id: z.union([z.string(), z.number()]).transform(String).optional(),
  password: z.string().max(200),
});

/** What the face's routes share under every base path: one of each, made once per face. */
interface Shared {
  ctx: Ctx;
  transmissions: TransmissionActions;
  campaigns: CampaignRuns;
}

/**
 * The ICTCore REST API (seed 001), served at each of `prefixes` (ICTCore's own `/api`, and the site
 * root) as one face: its sends, campaign runs and schedule handler are made once and shared by the
 * routes of every path, so a schedule runs once and a campaign's start is serialised across paths.
 */
export async function ictcoreFace(app: FastifyInstance, deps: IctcoreDeps & { prefixes: readonly string[]; cors: readonly string[] }): Promise<void> {
  const ctx = new Ctx(deps);
  const transmissions = new TransmissionActions(ctx, deps.stores.transmissions);
  const campaigns = new CampaignRuns(deps.stores.campaigns, ctx, { ...deps.stores, schedules: deps.schedules });
  // What a schedule does, while the face is up (main arms them from SQLite at start and stops them).
  const unhandle = deps.schedules.handle(async (target, id, action) => {
    if (target === 'transmission') return transmissions.send(id, false);
    const c = await campaigns.rows.get(id);
    if (!c) return;
    return action === 'start' ? campaigns.start(c) : campaigns.stop(c);
  });
  app.addHook('onClose', async () => unhandle());
  const shared: Shared = { ctx, transmissions, campaigns };
  for (const prefix of deps.prefixes) await app.register(ictcoreRoutes, { prefix, deps, shared, cors: deps.cors });
}

/**
 * The face's routes at one base path. JSON in and out, bare values as ICTCore answers them (an id, true,
 * a status string), errors as {"error": {"code", "message"}}; every call but /authenticate takes a
 * Bearer JWT in Authorization (or Authentication, the header the seed prints).
 */
async function ictcoreRoutes(app: FastifyInstance, { deps, shared, cors }: { deps: IctcoreDeps; shared: Shared; cors: readonly string[] }): Promise<void> {
  const { ctx, transmissions, campaigns } = shared;
  const fail = ictcoreFail;
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => ictcoreError(err, reply, app.log));
  // CORS on every answer, errors and 404s included, as ICTCore's RestServer sends it (src/core/cors.ts).
  app.addHook('onSend', async (req, reply, payload) => {
    const headers = corsHeaders(req.headers.origin, cors);
    if (headers) reply.headers(headers);
    return payload;
  });
  app.setNotFoundHandler((req, reply) => {
    // A preflight: ICTCore answers OPTIONS on any path with its CORS headers, before routing or auth.
    if (req.method === 'OPTIONS' && cors.length > 0) return reply.code(200).header('allow', CORS_METHODS).send();
    return fail(reply, 404, `no API at ${req.method} ${req.url.split('?')[0]!.slice(0, 100)}`);
  });
  guardInput(app, fail);
  describeFace(app, {
    title: 'ICTCore REST API (switchpost)',
    version: '1',
    description: 'Programs, transmissions, spools and results, contacts and groups, campaigns, messages, accounts, users, roles, providers (seed 001). Bare JSON values as ICTCore answers them; errors are {"error": {"code", "message"}}.',
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'the token from POST /authenticate, in Authorization (or Authentication, as the seed prints it)' },
      basic: { type: 'http', scheme: 'basic', description: "a switchpost user's code and password" },
    },
    errorAnswer,
  });

  const tokenOf = (req: FastifyRequest): string | null => {
    for (const h of [req.headers.authorization, req.headers.authentication]) {
      const token = bearerToken(h);
      if (token !== null) return token;
    }
    return null;
  };
  app.addHook('onRequest', async (req, reply) => {
    // Unknown paths go on to the 404; /authenticate is the one open route.
    if (req.routeOptions.url === undefined || (req.routeOptions.config as { open?: boolean }).open || req.routeOptions.config.doc?.open) return;
    // ICTCore takes HTTP Basic credentials on every call as well as its token (User::authenticate's
    // AUTH_TYPE_BASIC): checked, remembered and limited as on the other faces.
    const header = req.headers.authorization;
    if (/^basic\s/i.test(header ?? '')) {
      const login = await deps.basic.check(header, req.ip);
      if (login.kind === 'limited') {
        reply.header('Retry-After', String(login.retryAfterS));
        throw new SwitchpostError('rate_limited', limitedMessage(login));
      }
      if (login.kind !== 'ok') throw new SwitchpostError('unauthenticated', 'Invalid user name and password');
      req.user = login.user;
      return;
    }
    const token = tokenOf(req);
    const user = token ? await deps.tokens.user(token) : null;
    if (!user) throw new SwitchpostError('unauthenticated', token ? 'the token is invalid or has expired' : 'send Authorization: Bearer <token> from POST /authenticate, or Basic credentials');
    req.user = user;
  });

  app.post(
    '/authenticate',
    {
      config: {
        open: true,
        doc: {
          summary: 'Log in: a JWT for the other calls',
          open: true,
          body: credentials,
          examples: SEED_EXAMPLES.ictcore!['POST /authenticate'],
          responses: { '200': 'the user with its token', '401': 'Invalid user name and password', '429': 'too many failed logins (Retry-After)' },
          answer: authenticated,
        },
      },
    },
    async (req, reply) => {
      const c = parseBody(credentials, req.body);
      const name = c.username ?? c.email ?? c.user_id;
      if (!name) throw new SwitchpostError('unauthenticated', 'No valid username found');
      // A user code first; a number no code has is a user id.
      const login = await deps.logins.login(name, c.password, req.ip, async (n) => (await deps.users.byCode(n)) ?? (/^\d+$/.test(n) ? deps.users.byId(Number(n)) : undefined));
      if (login.kind === 'limited') {
        reply.header('Retry-After', String(login.retryAfterS));
        throw new SwitchpostError('rate_limited', limitedMessage(login));
      }
      if (login.kind !== 'ok') throw new SwitchpostError('unauthenticated', 'Invalid user name and password');
      const user = login.user;
      // is_admin as ICTCore's token has it: whether the user may create users (User::generate_token).
      const token = deps.tokens.issue(user, await deps.permissions.can(user, 'user_create'));
      // ICTCore answers the user with its token, in OAuth's words too.
      return {
        user_id: user.id,
        username: user.user_code,
        first_name: user.first_name,
        last_name: user.last_name,
        email: user.email,
        token,
        access_token: token,
        token_type: 'Bearer',
        expires_in: Math.round(deps.tokens.ttlMs / 1000),
        scope: 'All',
      };
    },
  );
  // Tokens are stateless: cancelling is the client forgetting it (as in ICTCore). A password change ends them all.
  app.post('/authenticate/cancel', { config: { open: true, doc: { summary: 'Log out (the client forgets its token)', open: true, responses: { '200': 'true' }, answer: TRUE } } }, async () => true);

  // JSON without a Content-Type and form bodies as ICTCore reads them; media uploads (documents,
  // recordings, templates) arrive as raw bodies of their own type.
  ictcoreBodies(app);

  const stores = deps.stores;
  const { messages, programs, accountRows } = stores;
  contactRoutes(app, ctx, stores);
  groupRoutes(app, ctx, stores);
  messageRoutes(app, ctx, messages);
  const ownProgram = async (req: FastifyRequest, id: number) => void (await ctx.own(req, await programs.get(id), `program ${id}`));
  const ownAccount = async (req: FastifyRequest, id: number) => void (await ownedAccount(ctx, req, accountRows, id));
  programRoutes(app, ctx, programs, messages, ownAccount);
  const install = async (req: FastifyRequest, accountId: number, type: string) => (await makeProgram(ctx, { programs, messages }, ownAccount, req, programType(type), { account_id: accountId })).id;
  accountRoutes(app, ctx, stores, { owned: ownProgram, install, get: (id) => programs.get(id) });
  transmissionRoutes(app, ctx, transmissions, { ...stores, schedules: deps.schedules });
  campaignRoutes(app, ctx, campaigns, { ...stores, schedules: deps.schedules });
  userRoutes(app, ctx);
  roleRoutes(app, ctx);
  providerRoutes(app, ctx);
  statisticsRoutes(app, ctx);
}
