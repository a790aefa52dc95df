import type { WireError } from './bridge-protocol.js';

/**
 * A statement PostgreSQL refused, with its SQLSTATE (`sqlstate`, 23505…) and constraint. `code` is the
 * SQLite extended code the stores already test for the same refusal (SQLITE_CONSTRAINT_UNIQUE for a
 * unique violation, as UserCodeTaken and ICTCore's isUniqueClash read it; SQLITE_CONSTRAINT_FOREIGNKEY
 * for remote-errors' conflict), else `PG_<sqlstate>`; a constraint's message names `table.column` in
 * SQLite's words before PostgreSQL's own, so the checks on the message hold too.
 */
export class PgError extends Error {
  override name = 'PgError';
  readonly code: string;
  readonly sqlstate: string;
  readonly constraint: string | null;
  readonly table: string | null;
  constructor(e: WireError & { sqlstate: string }) {
    const [code, words] = sqliteTerms(e);
    super(words ? `${words} (${e.message})` : e.message);
    this.code = code;
    this.sqlstate = e.sqlstate;
    this.constraint = e.constraint;
    this.table = e.table;
  }
}

/** The columns of a unique violation's key, from its detail: `Key (lower(user_code))=(x) already exists.` */
export function keyColumns(detail: string | null): string[] {
  const m = detail ? /^Key \((.*?)\)=\(/.exec(detail) : null;
  if (!m) return [];
  return m[1]!.split(',').map((c) => c.trim().replace(/^(?:lower|upper)\((.*)\)$/i, '$1'));
}

function sqliteTerms(e: WireError & { sqlstate: string }): [string, string | null] {
  const at = (cols: string[]) => cols.map((c) => `${e.table ?? '?'}.${c}`).join(', ');
  switch (e.sqlstate) {
    case '23505':
      return ['SQLITE_CONSTRAINT_UNIQUE', `UNIQUE constraint failed: ${at(keyColumns(e.detail))}`];
    case '23503':
      return ['SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed'];
    case '23502':
      return ['SQLITE_CONSTRAINT_NOTNULL', `NOT NULL constraint failed: ${at(e.column ? [e.column] : [])}`];
    case '23514':
      return ['SQLITE_CONSTRAINT_CHECK', `CHECK constraint failed: ${e.constraint ?? ''}`];
    case '53100':
      return ['SQLITE_FULL', null];
    case '25006':
      return ['SQLITE_READONLY', null];
    default:
      return [`PG_${e.sqlstate}`, null];
  }
}

export const BRIDGE_FAILURES = ['worker_died', 'worker_stalled', 'timeout', 'connection_lost', 'closed', 'connect_failed'] as const;
export type BridgeFailure = (typeof BRIDGE_FAILURES)[number];
export const isBridgeFailure = (s: string | null): s is BridgeFailure => (BRIDGE_FAILURES as readonly (string | null)[]).includes(s);

/**
 * The bridge itself failed: its worker died or stopped beating, an answer did not come in time, the
 * connection was lost, or the bridge is closed. Every later call fails the same way (the session's
 * state, an open transaction, is unknown): open a new bridge.
 */
export class PgBridgeError extends Error {
  override name = 'PgBridgeError';
  readonly code: string;
  constructor(
    readonly failure: BridgeFailure,
    message: string,
  ) {
    super(message);
    this.code = `PG_BRIDGE_${failure.toUpperCase()}`;
  }
}
