import { StorageError, PermissionDenied, permissionDeniedOf, storageErrorOf, type StorageCode } from './storage-error.js';
import { UserCodeTaken } from './users.js';
import { ContentError } from '../core/content.js';
import { errorCodeOf, SwitchpostError, ValidationError, type ErrorCode } from '../core/errors.js';
import { PgBridgeError, isBridgeFailure } from './pg/errors.js';

/** A store's error as it crosses threads: its class by name, and what rebuilds it. */
export interface SentError {
  name: string;
  message: string;
  code: string | null;
  /** StorageError and PermissionDenied: what failed; UserCodeTaken: the code; PgBridgeError: its failure; a catalogued error: its field. */
  detail: string | null;
  /** The catalogue code a typed error carries (SwitchpostError and its kind, any `Catalogued`), so it is answered as such. */
  errorCode: ErrorCode | null;
}

/** SQLite refused a row whose reference (a user, a job) was deleted since the request was checked. */
const isForeignKeyViolation = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';

/** What a store answers for a write that refers to something deleted meanwhile: the client's to retry, never a 500. */
export const referenceGone = (cause: unknown): SwitchpostError => new SwitchpostError('conflict', 'something this request refers to was deleted meanwhile; nothing was stored', { cause });

export function sendError(err: unknown): SentError {
  // SQLite's disk codes cross as what they mean (a StorageError), as they would have been read here.
  const typed = storageErrorOf(err) ?? permissionDeniedOf(err) ?? (isForeignKeyViolation(err) ? referenceGone(err) : err);
  const e = typed instanceof Error ? typed : new Error(String(typed));
  const code = (e as { code?: unknown }).code;
  let detail: string | null = null;
  if (e instanceof StorageError || e instanceof PermissionDenied) detail = e.where;
  if (e instanceof UserCodeTaken) detail = e.userCode;
  if (e instanceof PgBridgeError) detail = e.failure;
  if (e instanceof SwitchpostError) detail = e.field ?? null;
  return { name: e.name, message: e.message, code: typeof code === 'string' ? code : null, detail, errorCode: errorCodeOf(e) };
}

/** The error as the store threw it: the faces answer it by its class (503 for the disk, 409 for a taken code). */
export function reviveError(s: SentError): Error {
  switch (s.name) {
    case 'StorageError':
      return new StorageError(s.code as StorageCode, s.detail ?? 'the database');
    case 'PermissionDenied':
      return new PermissionDenied(s.detail ?? 'the database');
    case 'UserCodeTaken':
      return new UserCodeTaken(s.detail ?? '');
    case 'ContentError':
      return new ContentError(s.message);
    case 'ValidationError':
      return new ValidationError(s.detail ?? 'body', s.message);
    case 'PgBridgeError':
      // The engine's connection lost: the main thread must know it as such (cli.ts exits 70 on it).
      return new PgBridgeError(isBridgeFailure(s.detail) ? s.detail : 'connection_lost', s.message);
  }
  // Any other catalogued error keeps its code (and field), so the face answers it as it would have here.
  if (s.errorCode !== null) return new SwitchpostError(s.errorCode, s.message, s.detail === null ? {} : { field: s.detail });
  const e = new Error(s.message);
  e.name = s.name;
  if (s.code !== null) Object.assign(e, { code: s.code });
  return e;
}
