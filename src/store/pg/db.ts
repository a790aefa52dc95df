import { PgBridge, type BridgeOptions } from './bridge.js';
import { numberPlaceholders, translate, type PgSchema, type Translated } from './translate.js';
import { overrideKey, PG_OVERRIDES } from './overrides.js';
import type { StoreDb, StoreRunResult, StoreStatement, StoreTransaction } from '../store-db.js';
import { pgText } from './text.js';

/**
 * better-sqlite3's Database as far as the stores use it, on PostgreSQL: statements are translated once
 * (`translate.ts`, or taken from `overrides.ts`) and run synchronously through the bridge's worker.
 * The daemon opens one for `store.driver: postgres` (`../open.ts`).
 */
export class PgDb implements StoreDb {
  private readonly translated = new Map<string, Translated>();

  private constructor(
    readonly bridge: PgBridge,
    readonly schema: PgSchema,
    private readonly overrides: ReadonlyMap<string, string>,
  ) {}

  /** Connect (the database migrated already: `migratePg`) and read the catalogue the translation needs. */
  static open(opts: BridgeOptions, overrides: ReadonlyMap<string, string> = PG_OVERRIDES): PgDb {
    const bridge = new PgBridge(opts);
    try {
      return new PgDb(bridge, readSchema(bridge), overrides);
    } catch (err) {
      bridge.close();
      throw err;
    }
  }

  /** The statement's PostgreSQL form, translated once per text. */
  translate(sql: string): Translated {
    let t = this.translated.get(sql);
    if (!t) {
      const own = this.overrides.get(overrideKey(sql));
      if (own === undefined) t = translate(sql, this.schema);
      else {
        const n = numberPlaceholders(own);
        t = { sql: n.text, params: n.params, returnsIdentity: null };
      }
      this.translated.set(sql, t);
    }
    return t;
  }

  prepare(sql: string): PgStatement {
    return new PgStatement(this.bridge, this.translate(sql));
  }

  exec(sql: string): this {
    this.bridge.exec(this.translate(sql).sql);
    return this;
  }

  get inTransaction(): boolean {
    return this.bridge.inTransaction;
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): StoreTransaction<F> & Record<'default' | 'deferred' | 'immediate' | 'exclusive', StoreTransaction<F>> {
    const run: StoreTransaction<F> = (...args) => this.bridge.transaction(() => fn(...args) as ReturnType<F>);
    // PostgreSQL takes its locks as it writes: the modes are one.
    return Object.assign(run, { default: run, deferred: run, immediate: run, exclusive: run });
  }

  /** The pragmas the daemon sets on SQLite mean nothing here; foreign keys are always on. Others are refused. */
  pragma(source: string, opts: { simple?: boolean } = {}): unknown {
    const m = /^\s*(\w+)\s*(=.*)?$/.exec(source);
    const name = m?.[1]?.toLowerCase();
    if (name === 'foreign_keys' && !m?.[2]) return opts.simple ? 1 : [{ foreign_keys: 1 }];
    if (m?.[2] && ['journal_mode', 'synchronous', 'busy_timeout', 'cache_size', 'temp_store', 'foreign_keys'].includes(name ?? '')) return opts.simple ? undefined : [];
    throw new Error(`pragma ${source} has no PostgreSQL meaning`);
  }

  close(): void {
    this.bridge.close();
  }
}

const isNamed = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

/**
 * Values as node-postgres sends them for what better-sqlite3 binds (a bigint as its digits, undefined as
 * NULL; a string as PostgreSQL's text can hold it: a NUL or a lone surrogate a U+FFFD, `text.ts`).
 */
const value = (v: unknown): unknown => (typeof v === 'string' ? pgText(v) : typeof v === 'bigint' ? v.toString() : v === undefined ? null : v);

/**
 * A value compared with an integer column: text that is not an integer's (`'abc'`, `'1e99'`) equals no
 * integer on SQLite, so it is bound as NULL, which matches nothing, instead of PostgreSQL refusing it
 * (22P02) — and aborting the transaction it is in. An integer's text (`' 5 '`) is SQLite's 5 too.
 */
function integerOrNull(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v !== 'string') return v;
  const t = v.trim();
  return /^[+-]?\d{1,18}$/.test(t) ? t : null;
}

export class PgStatement implements StoreStatement {
  private plucked = false;

  constructor(
    private readonly bridge: PgBridge,
    readonly translated: Translated,
  ) {}

  /** better-sqlite3's arguments (positional, and at most one object of named values) in `$n` order. */
  private bind(args: unknown[]): unknown[] {
    const named = args.find(isNamed);
    const positional = args.filter((a) => !isNamed(a));
    const ints = this.translated.integerParams;
    return this.translated.params.map((p, i) => {
      let v: unknown;
      if (typeof p === 'number') {
        if (p >= positional.length) throw new RangeError(`Too few parameter values were provided`);
        v = value(positional[p]);
      } else {
        if (!named || !(p in named)) throw new RangeError(`Missing named parameter "${p}"`);
        v = value(named[p]);
      }
      return ints?.has(i + 1) ? integerOrNull(v) : v;
    });
  }

  private rows(args: unknown[]): unknown[] {
    const { rows } = this.bridge.query(this.translated.sql, this.bind(args));
    return this.plucked ? rows.map((r) => Object.values(r)[0]) : rows;
  }

  run(...args: unknown[]): StoreRunResult {
    const { rows, rowCount } = this.bridge.query(this.translated.sql, this.bind(args));
    const id = this.translated.returnsIdentity;
    const last = id ? rows.at(-1)?.[id] : undefined;
    return { changes: rowCount, lastInsertRowid: typeof last === 'number' ? last : 0 };
  }

  get(...args: unknown[]): unknown {
    return this.rows(args)[0];
  }

  all(...args: unknown[]): unknown[] {
    return this.rows(args);
  }

  /** All rows read at once, then iterated (a cursor is issue 15's, for the big pages). */
  iterate(...args: unknown[]): IterableIterator<unknown> {
    return this.rows(args)[Symbol.iterator]();
  }

  pluck(toggle = true): this {
    this.plucked = toggle;
    return this;
  }
}

/** Each table's column types, primary key and identity column, from the catalogue of the connection's schema. */
function readSchema(bridge: PgBridge): PgSchema {
  const columns = new Map<string, Map<string, string>>();
  const identities = new Map<string, string>();
  for (const r of bridge.query(`SELECT table_name AS t, column_name AS c, data_type AS type, is_identity AS ident FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`).rows as {
    t: string;
    c: string;
    type: string;
    ident: string;
  }[]) {
    let m = columns.get(r.t);
    if (!m) columns.set(r.t, (m = new Map<string, string>()));
    m.set(r.c, r.type);
    if (r.ident === 'YES') identities.set(r.t, r.c);
  }
  const primaryKeys = new Map<string, string[]>();
  for (const r of bridge.query(
    `SELECT tc.table_name AS t, k.column_name AS c FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name
      WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() ORDER BY tc.table_name, k.ordinal_position`,
  ).rows as { t: string; c: string }[]) {
    primaryKeys.set(r.t, [...(primaryKeys.get(r.t) ?? []), r.c]);
  }
  return { columns, primaryKeys, identities };
}
