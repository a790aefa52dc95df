import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BasicAuth } from '../api/auth.js';
import type { Logins } from '../api/login-limiter.js';
import type { Tokens } from '../api/ictcore/token.js';
import type { UserRow } from '../store/users.js';
import { bearerToken } from '../core/bearer.js';
import type { StatusSnapshot } from '../core/status.js';

export const STATUS_PAGE_PATH = '/status';
export const ADMIN_STATUS_PATH = '/admin/status';
export const ADMIN_TOKEN_PATH = '/admin/token';

export interface StatusRouteDeps {
  snapshot(): Promise<StatusSnapshot>;
  /** Basic credentials, limited and checked as on every face. */
  auth: BasicAuth;
  /** The daemon's tokens (the ICTCore face's: one key, one lifetime, ended by a password change). */
  tokens: Tokens;
  logins: Logins;
}

/**
 * The page's policy: its own script, style and connections only (the live stream is on the same
 * origin), nothing framed, no forms posted anywhere, no inline code: whatever the network brings is
 * written as text, and even a slip could run nothing.
 */
export const STATUS_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS = new URL('./status-page/', import.meta.url);
const asset = (name: string): string => readFileSync(new URL(name, ASSETS), 'utf8');

type Admin = { kind: 'ok'; user: UserRow } | { kind: 'refused' } | { kind: 'forbidden' } | { kind: 'limited'; retryAfterS: number };

function refuse(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });
}

function answerRefusal(reply: FastifyReply, a: Exclude<Admin, { kind: 'ok' }>): FastifyReply {
  if (a.kind === 'limited') return refuse(reply.header('retry-after', String(a.retryAfterS)), 429, 'rate_limited', 'too many failed logins; try again later');
  if (a.kind === 'forbidden') return refuse(reply, 403, 'forbidden', 'the status is for administrators');
  return refuse(reply.header('www-authenticate', 'Basic realm="switchpost", Bearer realm="switchpost"'), 401, 'unauthenticated', 'send Basic credentials or a Bearer token from POST /admin/token');
}

const security = (reply: FastifyReply): FastifyReply => reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');

/** The status page, its JSON, and the token its login form asks for. The daemon's own routes: no face's envelope. */
export function statusRoutes(app: FastifyInstance, deps: StatusRouteDeps): void {
  const page = asset('status.html');
  const script = asset('status.js');
  const style = asset('status.css');
  // Its own icon: else the browser asks /favicon.ico, which is no route of ours.
  const icon = asset('favicon.svg');

  const admin = async (req: FastifyRequest): Promise<Admin> => {
    const h = req.headers.authorization;
    const bearer = bearerToken(h);
    let user: UserRow | null;
    if (bearer !== null) user = await deps.tokens.user(bearer);
    else {
      const login = await deps.auth.check(h, req.ip);
      if (login.kind === 'limited') return { kind: 'limited', retryAfterS: login.retryAfterS };
      user = login.kind === 'ok' ? login.user : null;
    }
    if (!user) return { kind: 'refused' };
    return user.role === 'admin' ? { kind: 'ok', user } : { kind: 'forbidden' };
  };

  app.get(ADMIN_STATUS_PATH, async (req, reply) => {
    const a = await admin(req);
    if (a.kind !== 'ok') return answerRefusal(reply, a);
    const snapshot = await deps.snapshot();
    return security(reply).header('cache-control', 'no-store').send(snapshot);
  });

  // The login form's: an admin's name and password for a token (the stream takes it as a subprotocol).
  app.post(ADMIN_TOKEN_PATH, async (req, reply) => {
    const body = req.body as { username?: unknown; password?: unknown } | null | undefined;
    const username = typeof body === 'object' && body !== null ? body.username : undefined;
    const password = typeof body === 'object' && body !== null ? body.password : undefined;
    if (typeof username !== 'string' || typeof password !== 'string' || !username || username.length > 255 || password.length > 1024) {
      return refuse(reply, 400, 'validation', 'send {"username": "...", "password": "..."}');
    }
    const login = await deps.logins.login(username, password, req.ip);
    if (login.kind === 'limited') return answerRefusal(reply, { kind: 'limited', retryAfterS: login.retryAfterS });
    if (login.kind !== 'ok') return refuse(reply, 401, 'unauthenticated', 'wrong user name or password');
    if (login.user.role !== 'admin') return answerRefusal(reply, { kind: 'forbidden' });
    return reply.header('cache-control', 'no-store').send({ token: deps.tokens.issue(login.user, true), expires_in_s: Math.round(deps.tokens.ttlMs / 1000) });
  });

  // The page holds no data: it logs in and reads the JSON and the stream with the token.
  app.get(STATUS_PAGE_PATH, async (_req, reply) => security(reply).header('content-security-policy', STATUS_CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page));
  app.get(`${STATUS_PAGE_PATH}/status.js`, async (_req, reply) => security(reply).header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(script));
  app.get(`${STATUS_PAGE_PATH}/favicon.svg`, async (_req, reply) => security(reply).header('cache-control', 'max-age=86400').type('image/svg+xml').send(icon));
  app.get(`${STATUS_PAGE_PATH}/status.css`, async (_req, reply) => security(reply).header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(style));
}
