import type { IncomingMessage } from 'node:http';
import type { UserRow, UserStore } from '../store/users.js';
import type { StreamLogin } from '../events/live.js';
import { passwordVersion } from '../core/passwords.js';
import type { BasicAuth } from './auth.js';
import { bearerToken, type Tokens } from './ictcore/token.js';

/** A user's credentials version as the live stream compares it: changes with the password; null when gone or disabled. */
export const streamCredentials = (users: UserStore) => (userId: number): string | null => {
  const u = users.byId(userId);
  return u && u.active ? passwordVersion(u.password_hash) : null;
};

/** The live stream's upgrade login: Basic credentials (limited as on every face), or an ICTCore token (Bearer). */
export function streamLogin(auth: BasicAuth, tokens: Tokens, trustProxy: boolean): (req: IncomingMessage) => Promise<StreamLogin> {
  const ok = (u: UserRow): StreamLogin => ({ kind: 'ok', user: { id: u.id, role: u.role, credentials: passwordVersion(u.password_hash) } });
  return async (req) => {
    const h = req.headers.authorization;
    const bearer = bearerToken(h);
    if (bearer !== null) {
      const u = tokens.user(bearer);
      return u ? ok(u) : { kind: 'refused' };
    }
    // The client's address as Fastify reads it for the faces (behind a trusted proxy: the first forwarded hop).
    const forwarded = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim() : '';
    const login = await auth.check(h, forwarded || (req.socket.remoteAddress ?? ''));
    return login.kind === 'ok' ? ok(login.user) : login;
  };
}
