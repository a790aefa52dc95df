import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { permissionDeniedOf, storageErrorOf } from '../store/storage-error.js';

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

/**
 * For a face's error handler, on a 500: the log line. A file the daemon's user may not open gets
 * one naming the path (a misconfiguration to mend, not the client's fault, and no Retry-After:
 * waiting does not fix it); any other error, "request failed".
 */
export function logFailure(err: unknown, log: FastifyBaseLogger): void {
  const denied = permissionDeniedOf(err);
  if (denied) log.error({ code: denied.code, where: denied.where, err: denied.cause ?? err }, `request failed: ${denied.forOperator}`);
  else log.error({ err }, 'request failed');
}
