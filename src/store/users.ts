import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import type { Role } from '../core/model.js';
import { hashPassword } from '../core/passwords.js';
import type { Catalogued } from '../core/errors.js';
import { keysetPages, LIST_PAGE_SIZE } from './pages.js';

export interface UserRow {
  id: number;
  user_code: string;
  password_hash: string;
  role: Role;
  agent_id: number | null;
  company_id: number | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  fax: string | null;
  timezone: string;
  country: string;
  active: number;
  profile: string;
  created_at: number;
  updated_at: number;
}

export interface NewUser {
  user_code: string;
  password: string;
  /** `password`'s stored form when made already (the faces make it off the event loop); else it is made here. */
  password_hash?: string;
  role: Role;
  agent_id?: number | null;
  company_id?: number | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  mobile?: string | null;
  fax?: string | null;
  /** Face-specific fields (the v1 API's report and e-mail-to-fax settings…). */
  profile?: Record<string, unknown>;
  timezone: string;
  country: string;
}

/** Columns a user update may set; profile is merged key by key. */
export type UserPatch = Partial<Pick<NewUser, 'user_code' | 'company_id' | 'first_name' | 'last_name' | 'email' | 'phone' | 'mobile' | 'fax' | 'timezone' | 'country' | 'role' | 'profile'>> &
  PasswordChange & {
    active?: boolean;
  };

/** A new password, with its stored form when made already (off the event loop); never a stored form alone. */
type PasswordChange = { password?: undefined; password_hash?: undefined } | { password: string; password_hash?: string };

/** The columns a list of users may be filtered on, each by its text (ICTCore's GET /users). */
export const USER_LIST_COLUMNS = ['id', 'user_code', 'first_name', 'last_name', 'email', 'phone', 'active', 'role'] as const;
export type UserFilter = Partial<Record<(typeof USER_LIST_COLUMNS)[number], string>>;

/** How many visible users one window of a filtered list scans at most: under a millisecond of SQLite. */
const USER_SCAN_SPAN = 5_000;

/** Tables that hold a user's work: a user who owns any cannot be deleted, only disabled. */
const OWNED = ['jobs', 'contacts', 'contact_groups', 'messages', 'programs', 'campaigns'] as const;

/** Who is asking, for visibility: an admin sees all, an agent its users, a user itself. */
export interface Scope {
  userId: number;
  role: Role;
}

/** SQL condition limiting rows whose owner column is `col` to what `scope` may see. */
export function ownerFilter(scope: Scope, col: string): { sql: string; params: number[] } {
  if (scope.role === 'admin') return { sql: '1', params: [] };
  if (scope.role === 'agent') return { sql: `(${col} = ? OR ${col} IN (SELECT id FROM users WHERE agent_id = ?))`, params: [scope.userId, scope.userId] };
  return { sql: `${col} = ?`, params: [scope.userId] };
}

/** A user_code another user has already (compared without case): the table's UNIQUE constraint, typed. */
export class UserCodeTaken extends Error implements Catalogued {
  override name = 'UserCodeTaken';
  readonly errorCode = 'conflict';
  readonly code = 'USER_CODE_TAKEN';
  constructor(readonly userCode: string) {
    super(`user_code "${userCode}" is taken`);
  }
}

/**
 * SQL that holds where each filtered column's value, as text, is the filter's text byte for byte, NULL
 * reading "null": what ICTCore's list compared in memory (String(value) === text). For these columns
 * CAST gives JavaScript's text (integers, text; a user's columns hold nothing else), COLLATE BINARY
 * overrides user_code's NOCASE. id and user_code first narrow by their index with a plain `=`, which
 * holds wherever the exact test does (and more: '007' = 7, a code in another case, which the exact test drops).
 */
function userMatch(filter: UserFilter): { sql: string; params: string[] } {
  let sql = '';
  const params: string[] = [];
  for (const col of USER_LIST_COLUMNS) {
    const text = filter[col];
    if (text === undefined) continue;
    if (col === 'id' || col === 'user_code') {
      sql += ` AND ${col} = ?`;
      params.push(text);
    }
    sql += ` AND coalesce(CAST(${col} AS TEXT), 'null') = ? COLLATE BINARY`;
    params.push(text);
  }
  return { sql, params };
}

/** SQLite's UNIQUE failure on user_code (another process, the CLI, may have added it) as UserCodeTaken. */
function codeClash(err: unknown, userCode: string | undefined): unknown {
  const e = err as { code?: unknown; message?: unknown };
  return userCode !== undefined && e.code === 'SQLITE_CONSTRAINT_UNIQUE' && String(e.message).includes('users.user_code') ? new UserCodeTaken(userCode) : err;
}

export class UserStore {
  constructor(private readonly db: StoreDb) {}

  /** The new user's id; UserCodeTaken when its code is another's. */
  add(u: NewUser, now = Date.now()): number {
    try {
      // Its own (nested) transaction: inside a caller's, a clash is a savepoint's, so the caller's goes on
      // after it on PostgreSQL too (where a refused statement aborts the whole transaction).
      return this.db.transaction(() => this.insert(u, now))();
    } catch (err) {
      throw codeClash(err, u.user_code);
    }
  }

  private insert(u: NewUser, now: number): number {
    const info = this.db
      .prepare(
        `INSERT INTO users (user_code, password_hash, role, agent_id, company_id, first_name, last_name, email, phone, mobile, fax, profile, timezone, country, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        u.user_code,
        u.password_hash ?? hashPassword(u.password),
        u.role,
        u.agent_id ?? null,
        u.company_id ?? null,
        u.first_name ?? null,
        u.last_name ?? null,
        u.email ?? null,
        u.phone ?? null,
        u.mobile ?? null,
        u.fax ?? null,
        JSON.stringify(u.profile ?? {}),
        u.timezone,
        u.country,
        now,
        now,
      );
    return Number(info.lastInsertRowid);
  }

  byCode(code: string): UserRow | undefined {
    return stmt(this.db, 'SELECT * FROM users WHERE user_code = ?').get(code) as UserRow | undefined;
  }

  byId(id: number): UserRow | undefined {
    return stmt(this.db, 'SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
  }

  list(): UserRow[] {
    return stmt(this.db, 'SELECT * FROM users ORDER BY id').all() as UserRow[];
  }

  count(): number {
    return (stmt(this.db, 'SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  /** One page of the users `scope` may see, by user_code substring, oldest first. */
  page(scope: Scope, codeLike: string | null, page: number, size: number): { rows: UserRow[]; total: number } {
    const owner = ownerFilter(scope, 'id');
    const like = codeLike ? ` AND user_code LIKE ? ESCAPE '\\'` : '';
    const params: (string | number)[] = [...owner.params, ...(codeLike ? [`%${codeLike.replace(/[\\%_]/g, (c) => '\\' + c)}%`] : [])];
    const total = (stmt(this.db, `SELECT COUNT(*) AS n FROM users WHERE ${owner.sql}${like}`).get(...params) as { n: number }).n;
    const rows = stmt(this.db, `SELECT * FROM users WHERE ${owner.sql}${like} ORDER BY id LIMIT ? OFFSET ?`).all(...params, size, (page - 1) * size) as UserRow[];
    return { rows, total };
  }

  /**
   * What page(scope, null, 1, max) answers, kept to the users whose columns read as `filter`'s texts (see
   * userMatch), page by page. Read in windows of `span` visible users (one query finds where a window
   * ends, then its matches by key), so a filter that matches few never scans the whole table in one
   * query, and the first `max` visible users bound the matches as they bounded the list filtered whole.
   * A window that matched nothing is an empty page, so that the reader's turn between pages still comes.
   */
  async *pages(scope: Scope, filter: UserFilter, max = 100_000, pageSize = LIST_PAGE_SIZE, span = USER_SCAN_SPAN): AsyncGenerator<UserRow[]> {
    const owner = ownerFilter(scope, 'id');
    const match = userMatch(filter);
    const windowEnd = stmt(this.db, `SELECT id FROM users WHERE ${owner.sql} AND id > ? ORDER BY id LIMIT 1 OFFSET ?`).pluck();
    const matches = stmt(this.db, `SELECT * FROM users WHERE ${owner.sql} AND id > ? AND id <= ?${match.sql} ORDER BY id LIMIT ?`);
    let after = 0;
    for (let left = max; left > 0;) {
      const n = Math.min(span, left);
      // The n-th visible user after `after`; none: the window runs to the end (fewer than n are left).
      const end = windowEnd.get(...owner.params, after, n - 1) as number | undefined;
      const through = end ?? Number.MAX_SAFE_INTEGER;
      let found = false;
      for await (const rows of keysetPages(
        async (a, limit) => matches.all(...owner.params, a, through, ...match.params, limit) as UserRow[],
        (r) => r.id,
        pageSize,
        after,
      )) {
        found = true;
        yield rows;
      }
      if (!found) yield [];
      if (end === undefined) return;
      after = end;
      left -= n;
    }
  }

  /** Apply a partial update; false when there is no such user; UserCodeTaken when the new code is another's. */
  update(id: number, patch: UserPatch, now = Date.now()): boolean {
    const cur = this.byId(id);
    if (!cur) return false;
    const sets: string[] = [];
    const params: (string | number | null)[] = [];
    for (const k of ['user_code', 'company_id', 'first_name', 'last_name', 'email', 'phone', 'mobile', 'fax', 'timezone', 'country', 'role'] as const) {
      if (patch[k] !== undefined) (sets.push(`${k} = ?`), params.push(patch[k] ?? null));
    }
    if (patch.password !== undefined) (sets.push('password_hash = ?'), params.push(patch.password_hash ?? hashPassword(patch.password)));
    if (patch.active !== undefined) (sets.push('active = ?'), params.push(patch.active ? 1 : 0));
    if (patch.profile) (sets.push('profile = ?'), params.push(JSON.stringify({ ...(JSON.parse(cur.profile) as Record<string, unknown>), ...patch.profile })));
    sets.push('updated_at = ?');
    params.push(now);
    try {
      this.db.transaction(() => {
        stmt(this.db, `UPDATE users SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
        if (patch.password !== undefined || patch.active === false) this.endSessions(id);
      })();
    } catch (err) {
      throw codeClash(err, patch.user_code);
    }
    return true;
  }

  /** A password change or deactivation ends the user's login sessions (whichever process makes it). */
  private endSessions(id: number): void {
    stmt(this.db, 'DELETE FROM sessions WHERE user_id = ?').run(id);
  }

  /** What the user owns that keeps it from being deleted (a kind of work, or users of its own), or null. */
  owns(id: number): string | null {
    const table = OWNED.find((t) => stmt(this.db, `SELECT 1 FROM ${t} WHERE user_id = ? LIMIT 1`).get(id) !== undefined);
    if (table) return table;
    return stmt(this.db, 'SELECT 1 FROM users WHERE agent_id = ? LIMIT 1').get(id) !== undefined ? 'users' : null;
  }

  /**
   * Delete a user that owns nothing (see owns): its sessions go, its accounts are set free. The check and
   * the delete are one transaction, so work created for the user meanwhile is never orphaned: then the
   * user stays, and the result names what it owns.
   */
  delete(id: number): { deleted: boolean; owns: string | null } {
    return this.db.transaction(() => {
      const owns = this.owns(id);
      if (owns) return { deleted: false, owns };
      stmt(this.db, 'DELETE FROM sessions WHERE user_id = ?').run(id);
      stmt(this.db, 'UPDATE accounts SET user_id = NULL WHERE user_id = ?').run(id);
      return { deleted: stmt(this.db, 'DELETE FROM users WHERE id = ?').run(id).changes === 1, owns: null };
    })();
  }

  setPassword(id: number, password: string, now = Date.now()): boolean {
    const hash = hashPassword(password);
    return this.db.transaction(() => {
      this.endSessions(id);
      return stmt(this.db, 'UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').run(hash, now, id).changes === 1;
    })();
  }

  /** May `scope` put a user into company `companyId`? An admin: any; a user: its own; an agent: its own and its users'. */
  mayJoin(scope: Scope, companyId: number): boolean {
    if (scope.role === 'admin') return true;
    const owner = ownerFilter(scope, 'id');
    return stmt(this.db, `SELECT 1 FROM users WHERE company_id = ? AND ${owner.sql} LIMIT 1`).get(companyId, ...owner.params) !== undefined;
  }

  /** May `scope` see the work of `ownerId`? */
  canSee(scope: Scope, ownerId: number): boolean {
    if (scope.role === 'admin' || scope.userId === ownerId) return true;
    if (scope.role !== 'agent') return false;
    const owner = this.byId(ownerId);
    return owner?.agent_id === scope.userId;
  }
}
