import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { ValidationError } from '../../core/errors.js';
import { ApiError } from '../errors.js';
import { logFailure } from '../failure-log.js';
import { faceStatuses, refusalOf, type FaceStatuses } from '../refusal.js';

/** The Welcorp face's status for each catalogue code; its envelope is `{ status, errors: message }`. Its validation errors are 422. */
export const WELCORP_STATUS: FaceStatuses = faceStatuses(422);

/** The words v1 puts before a refused job or user body's error, as Laravel's validation does: "Validation failed: message: is required". */
export const VALIDATION_FAILED = 'Validation failed: ';

/** A refused body's ValidationError (422) in v1's words, naming `field`. */
export const invalidBody = (field: string, why: string): ValidationError => ValidationError.at(field, why, VALIDATION_FAILED);

/** The Welcorp envelope: `{ status, ...body }` with the HTTP status repeated. */
export const welcorpSend = (reply: FastifyReply, status: number, body: Record<string, unknown>) => reply.code(status).send({ status, ...body });

/** The face's error handler: a decided ApiError, a catalogue error by WELCORP_STATUS, Fastify's own, else a 500 that says nothing. */
export function welcorpError(err: Error & { statusCode?: number; code?: string }, reply: FastifyReply, log: FastifyBaseLogger): FastifyReply {
  if (err instanceof ApiError) return welcorpSend(reply, err.status, { errors: err.message });
  const refusal = refusalOf(err, WELCORP_STATUS, log, reply);
  if (refusal) return welcorpSend(reply, refusal.status, { errors: refusal.message ?? 'Internal error' });
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status === 500) logFailure(err, log);
  const message =
    err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
      ? `Malformed JSON: ${err.message}`
      : err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'The request body is empty; send a JSON object'
        : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'The request body is too large'
          : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'Send the request as Content-Type: application/json'
            : status === 500
              ? 'Internal error'
              : err.message;
  return welcorpSend(reply, status, { errors: message });
}
