import type { IncomingMessage } from 'node:http';
import type { UserRow, UserStore } from '../store/users.js';
import type { Remote } from '../store/remote.js';
import type { StreamLogin } from '../events/live.js';
import { passwordVersion } from '../core/passwords.js';
import type { BasicAuth } from './auth.js';
import type { Tokens } from './ictcore/token.js';
import { bearerToken, protocolBearer } from '../core/bearer.js';
import { clientAddress, type TrustProxy } from '../net/trust-proxy.js';

/** What an open stream was granted on: the password and the role (what it may see); a change of either ends it. */
const grantOf = (u: UserRow): string => `${passwordVersion(u.password_hash)}.${u.role}`;

/** A user's credentials version as the live stream compares it: changes with the password or role; null when gone or disabled. */
export const streamCredentials =
  (users: Remote<UserStore>) =>
  async (userId: number): Promise<string | null> => {
    const u = await users.byId(userId);
    return u && u.active ? grantOf(u) : null;
  };

/** The live stream's upgrade login: Basic credentials (limited as on every face), or an ICTCore token (Bearer, or the `switchpost, bearer.<token>` subprotocols). */
export function streamLogin(auth: BasicAuth, tokens: Tokens, trust: TrustProxy | false): (req: IncomingMessage) => Promise<StreamLogin> {
  const ok = (u: UserRow): StreamLogin => ({ kind: 'ok', user: { id: u.id, role: u.role, credentials: grantOf(u) } });
  return async (req) => {
    const h = req.headers.authorization;
    // A browser cannot set Authorization on a WebSocket: the status page sends its token as a subprotocol.
    const bearer = bearerToken(h) ?? (h === undefined ? protocolBearer(req.headers['sec-websocket-protocol']) : null);
    if (bearer !== null) {
      const u = await tokens.user(bearer);
      return u ? ok(u) : { kind: 'refused' };
    }
    // The client's address by the same trust decision as Fastify's req.ip for the faces.
    const login = await auth.check(h, clientAddress(req, trust));
    return login.kind === 'ok' ? ok(login.user) : login;
  };
}
