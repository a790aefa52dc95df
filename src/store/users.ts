import type { Db } from './db.js';
import type { Role } from '../core/model.js';
import { hashPassword } from '../core/passwords.js';

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
  role: Role;
  agent_id?: number | null;
  company_id?: number | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  timezone: string;
  country: string;
}

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

export class UserStore {
  constructor(private readonly db: Db) {}

  add(u: NewUser, now = Date.now()): number {
    const info = this.db
      .prepare(
        `INSERT INTO users (user_code, password_hash, role, agent_id, company_id, first_name, last_name, email, timezone, country, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(u.user_code, hashPassword(u.password), u.role, u.agent_id ?? null, u.company_id ?? null, u.first_name ?? null, u.last_name ?? null, u.email ?? null, u.timezone, u.country, now, now);
    return Number(info.lastInsertRowid);
  }

  byCode(code: string): UserRow | undefined {
    return this.db.prepare('SELECT * FROM users WHERE user_code = ?').get(code) as UserRow | undefined;
  }

  byId(id: number): UserRow | undefined {
    return this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
  }

  list(): UserRow[] {
    return this.db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[];
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  setPassword(id: number, password: string, now = Date.now()): boolean {
    return this.db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').run(hashPassword(password), now, id).changes === 1;
  }

  /** May `scope` see the work of `ownerId`? */
  canSee(scope: Scope, ownerId: number): boolean {
    if (scope.role === 'admin' || scope.userId === ownerId) return true;
    if (scope.role !== 'agent') return false;
    const owner = this.byId(ownerId);
    return owner?.agent_id === scope.userId;
  }
}
