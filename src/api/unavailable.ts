import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { OfficeUnavailable } from '../media/office-unavailable.js';
import { storageErrorOf } from '../store/storage-error.js';

/** Seconds a client is asked to wait before trying again a request the server could not take. */
const RETRY_AFTER_S = 60;

/**
 * For a face's error handler: when the server's own environment refused a sound request — the disk
 * (full, read-only, failing) or the office converter (its network namespace cannot be made, it is not
 * installed) — the message the face answers 503 with (Retry-After set; paths and causes only in the
 * log); null for any other error.
 */
export function unavailableRefusal(err: unknown, log: FastifyBaseLogger, reply: FastifyReply): string | null {
  const storage = storageErrorOf(err);
  if (storage) {
    log.error({ code: storage.code, where: storage.where, err: storage.cause ?? err }, `request refused: ${storage.message}`);
    return retryLater(reply, storage.publicMessage);
  }
  if (err instanceof OfficeUnavailable) {
    log.error({ code: err.code, err }, `request refused: ${err.message}`);
    return retryLater(reply, err.publicMessage);
  }
  return null;
}

function retryLater(reply: FastifyReply, message: string): string {
  reply.header('Retry-After', String(RETRY_AFTER_S));
  return message;
}
