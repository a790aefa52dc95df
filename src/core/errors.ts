/**
 * The catalogue of error codes: what went wrong, in the domain's words and free of HTTP. Each face
 * maps a code to its own status and envelope (src/api/<face>/errors.ts); a new face maps them all,
 * a new code is added here and in every face (the compiler holds every map to the whole catalogue).
 *
 * | code                   | by     | meaning                                                                    |
 * |------------------------|--------|----------------------------------------------------------------------------|
 * | validation             | client | the request breaks a rule of its content; `field` names the part at fault  |
 * | not_found              | client | what the request names does not exist, or the caller may not see it        |
 * | forbidden              | client | the caller is known but may not do this                                    |
 * | unauthenticated        | client | the caller did not prove who it is (no, wrong or expired credentials)      |
 * | conflict               | client | the request clashes with what is kept (a duplicate job, a name taken)      |
 * | locked                 | client | what the request names is in a state that refuses this now (being sent…)   |
 * | rate_limited           | client | too many requests or logins; `retryAfterS` says when to try again          |
 * | too_large              | client | the request is larger than the server takes                                |
 * | unsupported_media_type | client | the body is of a type the route does not read                              |
 * | media_refused          | client | a file the request brought cannot be used (not audio, not a document…)     |
 * | url_refused            | client | a URL the request gave will not be called (scheme, credentials, address)  |
 * | not_implemented        | server | this server does not do that (a channel it has no gateway for)             |
 * | storage_full           | server | the disk is full: nothing was kept; passes when space is freed             |
 * | storage_read_only      | server | the disk is mounted read-only: nothing was kept; passes when remounted     |
 * | storage_failed         | server | the disk failed (I/O error): nothing was kept                              |
 * | unavailable            | server | a part the server needs (the office converter) cannot run now; passes      |
 * | permission_denied      | server | the daemon's user may not use a file it needs: its owner or mode is wrong  |
 * | internal               | server | anything else: a fault of the server, of which the client is told nothing  |
 *
 * "by" says whose doing it is: a client's code never answers as a server failure (500); a server's
 * says nothing of paths or causes to the client (those go to the log).
 */
export const ERROR_CODES = {
  validation: 'client',
  not_found: 'client',
  forbidden: 'client',
  unauthenticated: 'client',
  conflict: 'client',
  locked: 'client',
  rate_limited: 'client',
  too_large: 'client',
  unsupported_media_type: 'client',
  media_refused: 'client',
  url_refused: 'client',
  not_implemented: 'server',
  storage_full: 'server',
  storage_read_only: 'server',
  storage_failed: 'server',
  unavailable: 'server',
  permission_denied: 'server',
  internal: 'server',
} as const satisfies Record<string, 'client' | 'server'>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code, in the table's order. */
export const errorCodes = Object.keys(ERROR_CODES) as ErrorCode[];

/** Whether a code is the client's doing (its request can be mended) rather than the server's. */
export const clientCaused = (code: ErrorCode): boolean => ERROR_CODES[code] === 'client';

/** Codes that pass by waiting: the client is told when to try again. */
const PASSING: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['rate_limited', 'storage_full', 'storage_read_only', 'storage_failed', 'unavailable']);
export const passes = (code: ErrorCode): boolean => PASSING.has(code);

/**
 * An error typed by the catalogue. Errors whose own `code` is a finer reason (StorageError's 'full',
 * UrlRefused's 'scheme'…) keep it and say their catalogue code as `errorCode`; this base says both.
 */
export interface Catalogued {
  readonly errorCode: ErrorCode;
}

/** The catalogue's own error: a code, the message (written for a client), and optionally the field and a wait. */
export class SwitchpostError extends Error implements Catalogued {
  override name = 'SwitchpostError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { field?: string; retryAfterS?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  get errorCode(): ErrorCode {
    return this.code;
  }

  /** The part of the request at fault (a field name or path), when one is. */
  get field(): string | undefined {
    return this.options.field;
  }

  /** Seconds to wait before trying again, when the code passes by waiting. */
  get retryAfterS(): number | undefined {
    return this.options.retryAfterS;
  }
}

/** The request breaks a rule of its content; the message says which, `field` names where. */
export class ValidationError extends SwitchpostError {
  override name = 'ValidationError';
  constructor(field: string, message: string) {
    super('validation', message, { field });
  }

  override get field(): string {
    return this.options.field!;
  }

  /** The message most faces give, led by its field: `at('recipients.3.destination', 'not a number')` says "recipients.3.destination: not a number"; `lead` goes before the field (ICTCore's "Data validation failed, for "). */
  static at(field: string, why: string, lead = ''): ValidationError {
    return new ValidationError(field, `${lead}${field}: ${why}`);
  }

  /**
   * A message already written "field: why" (after a face's `lead`), as a zod issue or a parser gives
   * it: the field is read from its start, the message kept whole. One with no field in it is the body's.
   */
  static fromMessage(message: string, lead = ''): ValidationError {
    const rest = message.startsWith(lead) ? message.slice(lead.length) : message;
    const colon = rest.indexOf(': ');
    return new ValidationError(colon > 0 ? rest.slice(0, colon) : 'body', message);
  }
}

/** The catalogue code an error carries (its own or, for a finer-typed error, its errorCode), or null for an untyped one. */
export function errorCodeOf(err: unknown): ErrorCode | null {
  if (typeof err !== 'object' || err === null || !('errorCode' in err)) return null;
  const code = (err as { errorCode: unknown }).errorCode;
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : null;
}
