/**
 * The part of better-sqlite3's Database that the stores use, as an interface: `Db` (`db.ts`) is one,
 * PostgreSQL's facade (`pg/db.ts`) another, so a store typed on it runs on either. Synchronous on both:
 * the stores run on the spool engine's thread, where blocking is by design.
 */
export interface StoreRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface StoreStatement {
  run(...params: unknown[]): StoreRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows as their first column's value. */
  pluck(toggle?: boolean): this;
}

/** Called as better-sqlite3's transaction function is: in a transaction, or a savepoint when nested. */
export type StoreTransaction<F extends (...args: never[]) => unknown> = (...args: TransactionArgs<F>) => ReturnType<F>;
type TransactionArgs<F> = F extends (...args: infer A) => unknown ? A : never;

export interface StoreDb {
  prepare(sql: string): StoreStatement;
  exec(sql: string): this;
  transaction<F extends (...args: never[]) => unknown>(fn: F): StoreTransaction<F>;
  readonly inTransaction: boolean;
}
