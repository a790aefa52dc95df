import type { StoreDb } from './store-db.js';
import type { Service } from '../core/model.js';
import type { ProviderConfig } from '../config/schema.js';

export interface Provider {
  id: number;
  name: string;
  driver: string;
  services: Service[];
  host: string | null;
  port: number | null;
  username: string | null;
  password: string | null;
  dialstring: string | null;
  prefix: string | null;
  weight: number;
  throughput: number;
  concurrency: number;
  settings: Record<string, unknown>;
  active: boolean;
  owner_user_id: number | null;
  source: 'builtin' | 'config' | 'db';
}

type Row = Omit<Provider, 'services' | 'settings' | 'active'> & { services: string; settings: string; active: number };

const fromRow = (r: Row): Provider => ({ ...r, services: JSON.parse(r.services) as Service[], settings: JSON.parse(r.settings) as Record<string, unknown>, active: r.active === 1 });

/** The columns a provider's configuration sets, and that configuration as their parameters. */
const CONFIG_COLUMNS = ['name', 'driver', 'services', 'host', 'port', 'username', 'password', 'dialstring', 'prefix', 'weight', 'throughput', 'concurrency', 'settings', 'active'] as const;
const params = (p: ProviderConfig) => ({ ...p, services: JSON.stringify(p.services), settings: JSON.stringify(p.settings), active: p.active ? 1 : 0 });
const INSERT = `INSERT INTO providers (${CONFIG_COLUMNS.join(', ')}, owner_user_id, source, created_at, updated_at)
  VALUES (${CONFIG_COLUMNS.map((c) => '@' + c).join(', ')}, @owner, @source, @now, @now)`;

export class ProviderStore {
  constructor(private readonly db: StoreDb) {}

  /** Insert or update by name; config-declared providers are re-applied at every start. */
  upsert(p: ProviderConfig, source: Provider['source'], now = Date.now()): number {
    const update = [...CONFIG_COLUMNS.filter((c) => c !== 'name'), 'source', 'updated_at'].map((c) => `${c} = excluded.${c}`).join(', ');
    const row = this.db.prepare(`${INSERT} ON CONFLICT(name) DO UPDATE SET ${update} RETURNING id`).get({ ...params(p), owner: null, source, now }) as { id: number };
    return row.id;
  }

  list(): Provider[] {
    return (this.db.prepare('SELECT * FROM providers ORDER BY id').all() as Row[]).map(fromRow);
  }

  byName(name: string): Provider | undefined {
    const r = this.db.prepare('SELECT * FROM providers WHERE name = ?').get(name) as Row | undefined;
    return r && fromRow(r);
  }

  byId(id: number): Provider | undefined {
    const r = this.db.prepare('SELECT * FROM providers WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /** A provider made through an API (source db), owned by the user who made it. */
  insert(p: ProviderConfig, owner: number | null, now = Date.now()): number {
    return Number(this.db.prepare(INSERT).run({ ...params(p), owner, source: 'db', now }).lastInsertRowid);
  }

  update(id: number, p: ProviderConfig, now = Date.now()): void {
    const set = CONFIG_COLUMNS.map((c) => `${c} = @${c}`).join(', ');
    this.db.prepare(`UPDATE providers SET ${set}, updated_at = @now WHERE id = @id`).run({ ...params(p), now, id });
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM providers WHERE id = ?').run(id).changes === 1;
  }

  setActive(name: string, active: boolean, now = Date.now()): boolean {
    return this.db.prepare('UPDATE providers SET active = ?, updated_at = ? WHERE name = ?').run(active ? 1 : 0, now, name).changes === 1;
  }
}
