import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { logFailure } from '../failure-log.js';
import { faceStatuses, refusalOf, type FaceStatuses } from '../refusal.js';

/** The uContact face's status for each catalogue code; its envelope is the text ERROR with the message in X-Error. A bad parameter is 400. */
export const UCONTACT_STATUS: FaceStatuses = faceStatuses(400);

/** A plain-text answer, as uContact's API gives. */
export const ucontactText = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/plain; charset=utf-8').send(body);

/** The uContact envelope for a refusal: the text ERROR, the reason in X-Error (and the log). */
export const ucontactRefuse = (req: FastifyRequest, reply: FastifyReply, status: number, why: string) => {
  req.log.info({ why }, 'ucontact request refused');
  return ucontactText(reply.header('X-Error', encodeURIComponent(why)), status, 'ERROR');
};

/** The face's error handler: a decided ApiError, a catalogue error by UCONTACT_STATUS, Fastify's own, else a 500 that says nothing. */
export function ucontactError(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply, log: FastifyBaseLogger): FastifyReply {
  if (err instanceof ApiError) return ucontactRefuse(req, reply, err.status, err.message);
  const refusal = refusalOf(err, UCONTACT_STATUS, log, reply);
  if (refusal) return ucontactRefuse(req, reply, refusal.status, refusal.message ?? 'internal error');
  const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
  if (status === 500) logFailure(err, log);
  return ucontactRefuse(req, reply, status, status === 500 ? 'internal error' : err.message);
}
