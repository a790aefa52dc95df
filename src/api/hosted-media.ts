import type { FastifyInstance, FastifyReply } from 'fastify';
import { checkHostedToken, HOSTED_PATH, type HostedKind } from '../core/mms/hosted-token.js';
import type { HandsetEvents } from '../core/mms/handset-events.js';
import { decodeHandsetResponse } from '../core/mms/responses.js';
import { MmsPduError } from '../core/mms/wsp.js';
import type { HostedSource } from '../media/hosted.js';

/** The MMSC URL a handset posts its M-NotifyResp.ind and M-Acknowledge.ind to, when not the Content-Location. */
export const MMSC_PATH = '/mms';
const MMS_TYPE = 'application/vnd.wap.mms-message';
// A handset's answers are a few dozen octets.
const ANSWER_LIMIT = 4096;

/** What the route is handed: the key tokens are signed with, where the objects are, who hears of the handset. */
export interface HostedMediaService {
  key: Buffer;
  source: HostedSource;
  events: HandsetEvents;
  now?: () => number;
}

/**
 * Hosted media on the daemon's own port (issue 20): `GET /m/<token>` serves an M-Retrieve.conf
 * (application/vnd.wap.mms-message) or an SMS link's file with its Content-Type and Content-Length,
 * until the token's expiry (then 410); a token that is malformed, forged or names nothing is a bare
 * 404, the same for each, revealing nothing. `POST /m/<token>` and `POST /mms` take the handset's
 * M-NotifyResp.ind / M-Acknowledge.ind; at `/mms` its Transaction-Id must be a token the daemon
 * signed (the notification's own). What is fetched and answered goes to `events`; nothing else is kept.
 */
export function hostedMediaRoutes(app: FastifyInstance, svc: HostedMediaService): void {
  const now = svc.now ?? Date.now;
  void app.register(async (scope) => {
    // Only here: the faces keep their own parsers.
    scope.addContentTypeParser(MMS_TYPE, { parseAs: 'buffer', bodyLimit: ANSWER_LIMIT }, (_req, body, done) => done(null, body));
    const claimsOf = (token: string, reply: FastifyReply) => {
      const c = checkHostedToken(token, svc.key, now());
      if (c.ok) return c.claims;
      void plain(reply, c.reason === 'expired' ? 410 : 404, c.reason === 'expired' ? 'gone' : 'not found');
      return null;
    };

    scope.get<{ Params: { token: string } }>(`${HOSTED_PATH}/:token`, async (req, reply) => {
      const claims = claimsOf(req.params.token, reply);
      if (!claims) return reply;
      let obj;
      try {
        obj = await svc.source.read(claims.kind, claims.ref);
      } catch (err) {
        // A disk that fails says nothing of its paths to the handset; the log has it.
        req.log.error({ err, kind: claims.kind, ref: claims.ref }, 'hosted media could not be read');
        return plain(reply.header('retry-after', 60), 503, 'unavailable');
      }
      if (!obj) return plain(reply, 404, 'not found');
      const kind: HostedKind = claims.kind;
      if (req.method === 'GET') {
        reply.raw.once('finish', () => svc.events.fetched({ kind, ref: claims.ref, at: now(), bytes: obj.bytes.length }));
      }
      return reply
        .code(200)
        .header('content-type', kind === 'mms' ? MMS_TYPE : obj.contentType)
        .header('content-length', obj.bytes.length)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(obj.bytes);
    });

    const answer = async (ref: string, body: unknown, reply: FastifyReply) => {
      if (!Buffer.isBuffer(body)) return plain(reply, 415, `expected ${MMS_TYPE}`);
      let response;
      try {
        response = decodeHandsetResponse(body);
      } catch (err) {
        if (err instanceof MmsPduError) return plain(reply, 400, err.message);
        throw err;
      }
      svc.events.answered({ ref, at: now(), response });
      return reply.code(200).header('content-length', 0).send();
    };

    scope.post<{ Params: { token: string } }>(`${HOSTED_PATH}/:token`, async (req, reply) => {
      const claims = claimsOf(req.params.token, reply);
      if (!claims) return reply;
      return answer(claims.ref, req.body, reply);
    });

    scope.post(MMSC_PATH, async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) return plain(reply, 415, `expected ${MMS_TYPE}`);
      let tid: string;
      try {
        tid = decodeHandsetResponse(req.body).transactionId;
      } catch (err) {
        if (err instanceof MmsPduError) return plain(reply, 400, err.message);
        throw err;
      }
      const claims = claimsOf(tid, reply);
      if (!claims) return reply;
      return answer(claims.ref, req.body, reply);
    });
  });
}

const plain = (reply: FastifyReply, status: number, text: string) => reply.code(status).header('cache-control', 'no-store').type('text/plain').send(text);
