import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';
import { logFailure } from '../failure-log.js';
import { faceStatuses, refusalOf, type FaceStatuses } from '../refusal.js';

/** The Retarus face's status for each catalogue code; its envelope is `{ message }`. Invalid JobRequest data is 400. */
export const RETARUS_STATUS: FaceStatuses = faceStatuses(400);

/** The Retarus envelope: `{ message }`. */
export const retarusFail = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ message });

/** The face's error handler: a decided ApiError, a catalogue error by RETARUS_STATUS, Fastify's own (invalid JobRequest data: 400), else a 500 that says nothing. */
export function retarusError(err: Error & { statusCode?: number; code?: string }, reply: FastifyReply, log: FastifyBaseLogger): FastifyReply {
  if (err instanceof ApiError) return retarusFail(reply, err.status, err.message);
  const refusal = refusalOf(err, RETARUS_STATUS, log, reply);
  if (refusal) return retarusFail(reply, refusal.status, refusal.message ?? 'Internal error');
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status === 500) logFailure(err, log);
  // Malformed JSON and the like are invalid JobRequest data: 400.
  return retarusFail(reply, status === 500 ? 500 : 400, status === 500 ? 'Internal error' : err.message);
}
