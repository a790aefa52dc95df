import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { clientCaused, errorCodeOf, passes, SwitchpostError, type ErrorCode } from '../core/errors.js';
import { OfficeUnavailable } from '../media/office-unavailable.js';
import { permissionDeniedOf, storageErrorOf } from '../store/storage-error.js';
import { logFailure } from './failure-log.js';

/** A face's status for every code of the catalogue (src/core/errors.ts): the compiler holds each face to all of them. */
export type FaceStatuses = Readonly<Record<ErrorCode, number>>;

/**
 * The HTTP statuses every face shares; faces differ in what a bad request is (v1 422 as Laravel,
 * ICTCore 412, Retarus and uContact 400), given by `faceStatuses`, and ICTCore answers `locked` 423.
 */
const SHARED_STATUSES: Omit<FaceStatuses, 'validation' | 'media_refused' | 'url_refused'> = {
  not_found: 404,
  forbidden: 403,
  unauthenticated: 401,
  conflict: 409,
  locked: 409,
  rate_limited: 429,
  too_large: 413,
  unsupported_media_type: 415,
  not_implemented: 501,
  storage_full: 503,
  storage_read_only: 503,
  storage_failed: 503,
  unavailable: 503,
  permission_denied: 500,
  internal: 500,
};

/** A face's statuses: the shared ones, with its own status for a request it refuses as bad, and any of its own. */
export const faceStatuses = (badRequest: number, own: Partial<FaceStatuses> = {}): FaceStatuses => ({ ...SHARED_STATUSES, validation: badRequest, media_refused: badRequest, url_refused: badRequest, ...own });

/** Seconds a client is asked to wait before trying again a request the server could not take. */
export const RETRY_AFTER_S = 60;

/** How a face answers a typed error: its status, and the message for its envelope (null: the face's own words for a failure). */
export interface Refusal {
  code: ErrorCode;
  status: number;
  message: string | null;
}

/**
 * For a face's error handler: the answer to an error the catalogue types — its own errors, the typed
 * errors that name their code (StorageError, OfficeUnavailable, MediaRefused…), and the disk's untyped
 * ones (SQLite's, a file call's) — in the face's status; null for an untyped error (the face's 500).
 * A server's code is logged here with its cause and answered without paths or causes; one that passes
 * by waiting sets Retry-After.
 */
export function refusalOf(err: unknown, statuses: FaceStatuses, log: FastifyBaseLogger, reply: FastifyReply): Refusal | null {
  const storage = storageErrorOf(err);
  if (storage) {
    log.error({ code: storage.code, where: storage.where, err: storage.cause ?? err }, `request refused: ${storage.message}`);
    return answer(reply, statuses, storage.errorCode, storage.publicMessage, RETRY_AFTER_S);
  }
  if (err instanceof OfficeUnavailable) {
    log.error({ code: err.code, err }, `request refused: ${err.message}`);
    return answer(reply, statuses, err.errorCode, err.publicMessage, RETRY_AFTER_S);
  }
  const code = permissionDeniedOf(err)?.errorCode ?? errorCodeOf(err);
  if (code === null) return null;
  const retryAfterS = err instanceof SwitchpostError ? err.retryAfterS : undefined;
  if (clientCaused(code) || code === 'not_implemented') return answer(reply, statuses, code, (err as Error).message, retryAfterS);
  if (code === 'permission_denied' || code === 'internal') {
    logFailure(err, log);
    return answer(reply, statuses, code, null, undefined);
  }
  log.error({ code, err }, `request refused: ${(err as Error).message}`);
  return answer(reply, statuses, code, (err as Error).message, retryAfterS ?? (passes(code) ? RETRY_AFTER_S : undefined));
}

function answer(reply: FastifyReply, statuses: FaceStatuses, code: ErrorCode, message: string | null, retryAfterS: number | undefined): Refusal {
  if (retryAfterS !== undefined) reply.header('Retry-After', String(retryAfterS));
  return { code, status: statuses[code], message };
}
