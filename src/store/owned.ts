import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import { ownerFilter, type Scope } from './users.js';
import { keysetPages, LIST_PAGE_SIZE } from './pages.js';

/** A table whose rows belong to a user: its name and the columns clients may set and filter on. */
export interface OwnedSpec {
  table: string;
  columns: readonly string[];
  /** Rows of one kind only, when the table holds several (messages: kind). */
  fixed?: Record<string, string>;
  /** The SQL expression naming a row's owner (default user_id). */
  owner?: string;
}

export type Row = Record<string, unknown> & { id: number; user_id: number };
type Value = string | number | null;

/**
 * Create, read, filter, update and delete for user-owned rows. Column names come from the spec only —
 * a client's field name is matched against it, never put into SQL.
 */
export class OwnedRows {
  private readonly fixedSql: string;
  private readonly fixedParams: string[];

  constructor(
    private readonly db: StoreDb,
    readonly spec: OwnedSpec,
  ) {
    const fixed = Object.entries(spec.fixed ?? {});
    this.fixedSql = fixed.map(([k]) => ` AND ${k} = ?`).join('');
    this.fixedParams = fixed.map(([, v]) => v);
  }

  has(column: string): boolean {
    return this.spec.columns.includes(column);
  }

  insert(userId: number, values: Record<string, Value>, now = Date.now()): number {
    const cols = [...Object.keys(this.spec.fixed ?? {}), ...Object.keys(values).filter((k) => this.has(k))];
    const params = [...this.fixedParams, ...cols.slice(this.fixedParams.length).map((k) => values[k] ?? null)];
    const sql = `INSERT INTO ${this.spec.table} (user_id, ${[...cols, 'created_at', 'updated_at'].join(', ')}) VALUES (?, ${[...cols, 'created_at', 'updated_at'].map(() => '?').join(', ')})`;
    return Number(stmt(this.db, sql).run(userId, ...params, now, now).lastInsertRowid);
  }

  get(id: number): Row | undefined {
    return stmt(this.db, `SELECT * FROM ${this.spec.table} WHERE id = ?${this.fixedSql}`).get(id, ...this.fixedParams) as Row | undefined;
  }

  /** The rows `scope` may see whose columns equal `filter`'s values, oldest first. */
  list(scope: Scope, filter: Record<string, Value>, limit = 100_000, offset = 0): Row[] {
    const { sql, params } = this.selectWhere(scope, filter);
    return stmt(this.db, `${sql} ORDER BY id LIMIT ? OFFSET ?`).all(...params, limit, offset) as Row[];
  }

  /** One page of list(): the rows after id `afterId`, by the primary key. */
  async page(scope: Scope, filter: Record<string, Value>, afterId: number, limit: number): Promise<Row[]> {
    const { sql, params } = this.selectWhere(scope, filter);
    return stmt(this.db, `${sql} AND id > ? ORDER BY id LIMIT ?`).all(...params, afterId, limit) as Row[];
  }

  /** What list() answers (at most `max` rows, oldest first), page by page. */
  pages(scope: Scope, filter: Record<string, Value>, max = 100_000, pageSize = LIST_PAGE_SIZE): AsyncGenerator<Row[]> {
    return keysetPages(
      (after, limit) => this.page(scope, filter, after, limit),
      (r) => r.id,
      pageSize,
      0,
      max,
    );
  }

  private selectWhere(scope: Scope, filter: Record<string, Value>): { sql: string; params: Value[] } {
    const owner = ownerFilter(scope, this.spec.owner ?? 'user_id');
    const keys = Object.keys(filter).filter((k) => k === 'id' || k === 'user_id' || this.has(k));
    const where = keys.map((k) => ` AND ${k} = ?`).join('');
    return { sql: `SELECT * FROM ${this.spec.table} WHERE ${owner.sql}${this.fixedSql}${where}`, params: [...owner.params, ...this.fixedParams, ...keys.map((k) => filter[k] ?? null)] };
  }

  update(id: number, values: Record<string, Value>, now = Date.now()): void {
    const cols = Object.keys(values).filter((k) => this.has(k));
    stmt(this.db, `UPDATE ${this.spec.table} SET ${[...cols.map((k) => `${k} = ?`), 'updated_at = ?'].join(', ')} WHERE id = ?`).run(...cols.map((k) => values[k] ?? null), now, id);
  }

  delete(id: number): boolean {
    return stmt(this.db, `DELETE FROM ${this.spec.table} WHERE id = ?${this.fixedSql}`).run(id, ...this.fixedParams).changes === 1;
  }
}
