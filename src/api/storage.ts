import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { storageErrorOf } from '../store/storage-error.js';

/** Seconds a client is asked to wait before trying a write the disk refused. */
const RETRY_AFTER_S = 60;

/**
 * For a face's error handler: when the disk refused a write (full, read-only, failing), the message
 * the face answers 503 with (Retry-After set, the path only in the log); null for any other error.
 */
export function storageRefusal(err: unknown, log: FastifyBaseLogger, reply: FastifyReply): string | null {
  const storage = storageErrorOf(err);
  if (!storage) return null;
  log.error({ code: storage.code, where: storage.where, err: storage.cause ?? err }, `request refused: ${storage.message}`);
  reply.header('Retry-After', String(RETRY_AFTER_S));
  return storage.publicMessage;
}
