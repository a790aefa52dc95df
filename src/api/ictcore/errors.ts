import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';
import { logFailure } from '../failure-log.js';
import { faceStatuses, refusalOf, type FaceStatuses } from '../refusal.js';
import { STATUS_TEXT } from './fields.js';

/** The ICTCore face's status for each catalogue code; its envelope is ICTCore's `{ error: { code, message } }`. Data validation is 412 and "not now" (locked) 423, as in ICTCore. */
export const ICTCORE_STATUS: FaceStatuses = faceStatuses(412, { locked: 423 });

/** The ICTCore envelope: `{ error: { code, message } }`, the message led by the status's phrase. */
export const ictcoreFail = (reply: FastifyReply, status: number, message: string) => {
  const phrase = STATUS_TEXT[status] ?? 'Error';
  return reply.code(status).send({ error: { code: status, message: message ? `${phrase}: ${message}` : phrase } });
};

/** The face's error handler: a decided ApiError, a catalogue error by ICTCORE_STATUS, Fastify's own (in ICTCore's words), else a 500 that says nothing. */
export function ictcoreError(err: Error & { statusCode?: number; code?: string }, reply: FastifyReply, log: FastifyBaseLogger): FastifyReply {
  if (err instanceof ApiError) return ictcoreFail(reply, err.status, err.message);
  const refusal = refusalOf(err, ICTCORE_STATUS, log, reply);
  if (refusal) return ictcoreFail(reply, refusal.status, refusal.message ?? 'try again later');
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) return ictcoreFail(reply, 412, `Data validation failed, malformed JSON: ${err.message}`);
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return ictcoreFail(reply, 412, 'Data validation failed, the body is empty; send a JSON object');
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return ictcoreFail(reply, 413, 'the body is too large');
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return ictcoreFail(reply, 415, 'unsupported Content-Type');
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status === 500) logFailure(err, log);
  return ictcoreFail(reply, status, status === 500 ? 'try again later' : err.message);
}
