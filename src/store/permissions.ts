import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import type { Role } from '../core/model.js';
import { allows, type Permission } from '../core/permissions.js';

/** Per-user permission exceptions, read on every request: cached per user, dropped on change. */
export class PermissionStore {
  private readonly cache = new Map<number, Map<string, boolean>>();

  constructor(private readonly db: StoreDb) {}

  exceptions(userId: number): ReadonlyMap<string, boolean> {
    let m = this.cache.get(userId);
    if (!m) {
      const rows = stmt(this.db, 'SELECT permission, granted FROM user_permissions WHERE user_id = ?').all(userId) as { permission: string; granted: number }[];
      m = new Map(rows.map((r) => [r.permission, r.granted === 1]));
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(userId, m);
    }
    return m;
  }

  can(user: { id: number; role: Role }, p: Permission): boolean {
    return allows(user.role, this.exceptions(user.id), p);
  }

  /** Grant (true) or take away (false) one permission from a user, whatever the role says. */
  set(userId: number, p: Permission, granted: boolean): void {
    stmt(this.db, 'INSERT INTO user_permissions (user_id, permission, granted) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET granted = excluded.granted').run(userId, p, granted ? 1 : 0);
    this.cache.delete(userId);
  }

  /** Back to what the role says. */
  clear(userId: number, p?: Permission): void {
    if (p) stmt(this.db, 'DELETE FROM user_permissions WHERE user_id = ? AND permission = ?').run(userId, p);
    else stmt(this.db, 'DELETE FROM user_permissions WHERE user_id = ?').run(userId);
    this.cache.delete(userId);
  }
}
