import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { logFailure } from '../failure-log.js';
import { faceStatuses, refusalOf, type FaceStatuses } from '../refusal.js';

/** The uContact face's status for each catalogue code; its envelope is the text ERROR with the message in X-Error. A bad parameter is 400. */
export const UCONTACT_STATUS: FaceStatuses = faceStatuses(400);

/** A plain-text answer, as uContact's API gives. */
export const ucontactText = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/plain; charset=utf-8').send(body);

/**
 * How a call's refusal reads. uContact documents `0` for a failed getUserToken and a JSON answer
 * for SendSMSv2 and Forms/sendEmail (whose error bodies it leaves undocumented: `{"error": reason}`); every
 * other call answers the text ERROR. Chosen by path, so a wrong method or a body refused before the
 * route runs reads the same.
 */
export type RefusalForm = 'text' | 'zero' | 'json';
export function refusalFormOf(req: FastifyRequest): RefusalForm {
  const path = (req.raw.url ?? '').split('?')[0]!;
  if (path.endsWith('/auth/getUserToken')) return 'zero';
  if (path.endsWith('/SMS/SendSMSv2') || path.endsWith('/Forms/sendEmail')) return 'json';
  return 'text';
}

/** The uContact envelope for a refusal: the call's own body (refusalFormOf), the reason in X-Error (and the log). */
export const ucontactRefuse = (req: FastifyRequest, reply: FastifyReply, status: number, why: string) => {
  req.log.info({ why }, 'ucontact request refused');
  reply.header('X-Error', encodeURIComponent(why));
  const form = refusalFormOf(req);
  if (form === 'json') return reply.code(status).type('application/json; charset=utf-8').send({ error: why });
  return ucontactText(reply, status, form === 'zero' ? '0' : 'ERROR');
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
