import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { SwitchpostError, ValidationError } from '../../core/errors.js';

/** ICTCore's status codes (seed 001) and the reason phrases its REST server puts before a message. */
export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** ICTCore's words before the field at fault in a 412: "Data validation failed, for phone: …". */
export const INVALID_LEAD = 'Data validation failed, for ';

/** A validation error (412) in ICTCore's words, naming `field`. */
export const invalid = (field: string, why: string): ValidationError => ValidationError.at(field, why, INVALID_LEAD);

/** A validation error (412) for a problem already written "field: why" (a contact's, a schedule's). */
export const invalidAs = (problem: string): ValidationError => ValidationError.fromMessage(`${INVALID_LEAD}${problem}`, INVALID_LEAD);

/**
 * A write that a unique index on `column` ("table.column") refused, as `taken()`: the value was free at
 * the face's check and another request took it before the write (the two are separate calls to the
 * engine's thread). Other errors are thrown as they came.
 */
export async function unlessTaken<T>(column: string, write: () => Promise<T>, taken: () => Error): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw isUniqueClash(err, column) ? taken() : err;
  }
}

export const isUniqueClash = (err: unknown, column: string): boolean => (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((err as { message?: unknown }).message).includes(column);

/** A row read again after a write: gone means another request deleted it meanwhile (a 404, not a 500). */
export function found<T>(row: T | undefined, what: string): T {
  if (row === undefined) throw new SwitchpostError('not_found', `${what} not found`);
  return row;
}

/** Validate a body with `schema`; 412 naming the first field at fault. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  // Bytes here are a body that was neither JSON nor a form (see bodies.ts).
  if (Buffer.isBuffer(body)) throw invalid('body', 'expected a JSON object (or a form-encoded body)');
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join('.') || 'body';
  throw invalid(field, issue.message);
}

/** A path id: a positive integer, else 404 (ICTCore answers a bad id as a missing one). */
export function idParam(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0 || String(v) !== String(n)) throw new SwitchpostError('not_found', `${what} ${String(v).slice(0, 20)} not found`);
  return n;
}

/**
 * A list call's query string → column filters. Only the named fields filter; any other field is
 * ignored, as ICTCore's own search does (its `search()` switches over the fields it knows and skips the
 * rest — core/Transmission.php, core/Campaign.php): its client sends `service_flag`, `direction`,
 * `before`, `after` … to every list. A known field takes one value (412 naming it otherwise).
 */
export function listFilter(query: unknown, fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const col = fields[k];
    if (col) out[col] = filterValue(k, v);
  }
  return out;
}

/** One query-string value of a known filter: a single value of at most 200 characters; `whole` a whole number (else 412 naming it). */
export function filterValue(k: string, v: unknown, kind: 'text' | 'whole' = 'text'): string {
  if (typeof v !== 'string' || v.length > 200) throw invalid(k, 'expected one value');
  if (kind === 'whole' && !/^\d{1,15}$/.test(v)) throw invalid(k, 'expected a whole number');
  // Kept as text: column affinity converts it for id columns, and a phone stays a phone.
  return v;
}

/** Optional trimmed text up to `max` characters; "" and null clear it. */
export const text = (max: number) =>
  z
    .union([z.string().max(max), z.number()])
    .transform((v) => String(v).trim() || null)
    .nullable()
    .optional();
export const requiredText = (max: number) =>
  z
    .union([z.string(), z.number()])
    .transform((v) => String(v).trim())
    .pipe(z.string().min(1, 'is required').max(max));
/** 1/0, true/false or "1"/"0". */
export const flag = z.union([z.boolean(), z.literal(0), z.literal(1), z.literal('0'), z.literal('1')]).transform((v) => v === true || v === 1 || v === '1');
export const positiveInt = z
  .union([z.number(), z.string().regex(/^\d+$/)])
  .transform(Number)
  .pipe(z.number().int().positive());
/** Epoch seconds, as ICTCore shows times. */
export const seconds = (ms: number | null | undefined): number | null => (ms === null || ms === undefined ? null : Math.floor(ms / 1000));

/** ICTCore JSON-encodes every answer, a bare string too ("pending"); Fastify would send a string as text. */
export const jsonString = (reply: FastifyReply, value: string): FastifyReply => reply.type('application/json; charset=utf-8').send(JSON.stringify(value));
