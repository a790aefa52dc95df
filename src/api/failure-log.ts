import type { FastifyBaseLogger } from 'fastify';
import { permissionDeniedOf } from '../store/storage-error.js';

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
