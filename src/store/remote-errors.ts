import { StorageError, PermissionDenied, permissionDeniedOf, storageErrorOf, type StorageCode } from './storage-error.js';
import { UserCodeTaken } from './users.js';
import { ContentError } from '../core/content.js';

/** A store's error as it crosses threads: its class by name, and what rebuilds it. */
export interface SentError {
  name: string;
  message: string;
  code: string | null;
  /** StorageError and PermissionDenied: what failed; UserCodeTaken: the code. */
  detail: string | null;
}

export function sendError(err: unknown): SentError {
  // SQLite's disk codes cross as what they mean (a StorageError), as they would have been read here.
  const typed = storageErrorOf(err) ?? permissionDeniedOf(err) ?? err;
  const e = typed instanceof Error ? typed : new Error(String(typed));
  const code = (e as { code?: unknown }).code;
  let detail: string | null = null;
  if (e instanceof StorageError || e instanceof PermissionDenied) detail = e.where;
  if (e instanceof UserCodeTaken) detail = e.userCode;
  return { name: e.name, message: e.message, code: typeof code === 'string' ? code : null, detail };
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
  }
  const e = new Error(s.message);
  e.name = s.name;
  if (s.code !== null) Object.assign(e, { code: s.code });
  return e;
}
