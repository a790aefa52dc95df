import type { StoreDb } from './store-db.js';
import type { Service } from '../core/model.js';

export interface NodeRow {
  id: string;
  heartbeat_at: number;
  recovered_at: number | null;
}

/**
 * The daemons sharing the store (issue 15, migration 19): each registers at start and heartbeats; one
 * whose heartbeat is too old is dead, and exactly one live node takes its leases back — the UPDATE (or
 * DELETE) that marks it is guarded on the row as read, so of nodes racing for it one changes it and the
 * others change nothing (PostgreSQL's row lock makes a second wait, then see the first one's write).
 */
export class NodeStore {
  private readonly s;

  constructor(readonly db: StoreDb) {
    this.s = {
      register: db.prepare(
        `INSERT INTO nodes (id, pid, host, started_at, heartbeat_at, services, recovered_at) VALUES (@id, @pid, @host, @at, @at, @services, NULL)
         ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
           services = excluded.services, recovered_at = NULL`,
      ),
      beat: db.prepare(`UPDATE nodes SET heartbeat_at = @at, services = @services WHERE id = @id AND recovered_at IS NULL`),
      expired: db.prepare(`SELECT id, heartbeat_at, recovered_at FROM nodes WHERE heartbeat_at < ? AND id <> ? ORDER BY heartbeat_at`),
      markRecovered: db.prepare(`UPDATE nodes SET recovered_at = @at WHERE id = @id AND recovered_at IS NULL AND heartbeat_at < @before`),
      forget: db.prepare(`DELETE FROM nodes WHERE id = @id AND recovered_at IS NOT NULL AND heartbeat_at < @before`),
      liveServices: db.prepare(`SELECT services FROM nodes WHERE heartbeat_at >= ? AND recovered_at IS NULL AND id <> ?`),
      get: db.prepare(`SELECT id, heartbeat_at, recovered_at FROM nodes WHERE id = ?`),
    };
  }

  /** This node is up (again): its row, fresh, taken for alive whatever a dead run of it left. */
  register(id: string, info: { pid: number; host: string }, services: readonly Service[], now: number): void {
    this.s.register.run({ id, pid: info.pid, host: info.host, at: now, services: JSON.stringify(services) });
  }

  /** The node's heartbeat; false when it was taken for dead meanwhile (its row recovered or gone). */
  beat(id: string, services: readonly Service[], now: number): boolean {
    return this.s.beat.run({ id, at: now, services: JSON.stringify(services) }).changes === 1;
  }

  /** Other nodes whose heartbeat is older than `before`: dead (recovered_at set once their leases were taken). */
  expired(before: number, self: string): NodeRow[] {
    return this.s.expired.all(before, self) as NodeRow[];
  }

  /** Take a dead node's recovery: true for the one caller that marks it (in the transaction that recovers it). */
  markRecovered(id: string, before: number, now: number): boolean {
    return this.s.markRecovered.run({ id, before, at: now }).changes === 1;
  }

  /** A recovered node silent past the calls' grace: its row goes; true for the one caller that removes it. */
  forget(id: string, before: number): boolean {
    return this.s.forget.run({ id, before }).changes === 1;
  }

  /** The services other live nodes' providers carry. */
  liveServices(since: number, self: string): Set<Service> {
    const out = new Set<Service>();
    for (const r of this.s.liveServices.all(since, self) as { services: string }[]) for (const s of JSON.parse(r.services) as Service[]) out.add(s);
    return out;
  }

  get(id: string): NodeRow | undefined {
    return this.s.get.get(id) as NodeRow | undefined;
  }
}
