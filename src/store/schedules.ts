import { stmt } from './db.js';
import type { StoreDb } from './store-db.js';
import type { ScheduleSpec } from '../core/schedule.js';

export type ScheduleTarget = 'transmission' | 'campaign';
export type ScheduleAction = 'send' | 'start' | 'stop';

export interface ScheduleRow {
  id: number;
  user_id: number;
  target: ScheduleTarget;
  target_id: number;
  action: ScheduleAction;
  cron: string | null;
  at: number | null;
  recurring: number;
  expiry: number | null;
  timezone: string;
}

/** Schedules (ICTCore tasks) as stored: what to do to which target, by cron or at an instant, in whose time zone. */
export class ScheduleStore {
  constructor(private readonly db: StoreDb) {}

  add(owner: { id: number; timezone: string }, target: ScheduleTarget, targetId: number, action: ScheduleAction, spec: ScheduleSpec, now: number): number {
    return Number(
      stmt(this.db, 'INSERT INTO schedules (user_id, target, target_id, action, cron, at, recurring, expiry, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        owner.id,
        target,
        targetId,
        action,
        spec.cron,
        spec.at,
        spec.recurring ? 1 : 0,
        spec.expiry,
        owner.timezone,
        now,
      ).lastInsertRowid,
    );
  }

  get(id: number): ScheduleRow | undefined {
    return stmt(this.db, 'SELECT * FROM schedules WHERE id = ?').get(id) as ScheduleRow | undefined;
  }

  all(): ScheduleRow[] {
    return stmt(this.db, 'SELECT * FROM schedules ORDER BY id').all() as ScheduleRow[];
  }

  idsOf(target: ScheduleTarget, targetId: number): number[] {
    return (stmt(this.db, 'SELECT id FROM schedules WHERE target = ? AND target_id = ?').all(target, targetId) as { id: number }[]).map((r) => r.id);
  }

  ran(id: number, at: number): void {
    stmt(this.db, 'UPDATE schedules SET last_run_at = ? WHERE id = ?').run(at, id);
  }

  delete(id: number): void {
    stmt(this.db, 'DELETE FROM schedules WHERE id = ?').run(id);
  }
}
