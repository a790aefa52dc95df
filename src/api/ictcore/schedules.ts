import cron, { type ScheduledTask } from 'node-cron';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../store/db.js';
import type { UserRow } from '../../store/users.js';
import type { ScheduleSpec } from '../../core/schedule.js';

type Target = 'transmission' | 'campaign';
type Action = 'send' | 'start' | 'stop';

interface ScheduleRow {
  id: number;
  user_id: number;
  target: Target;
  target_id: number;
  action: Action;
  cron: string | null;
  at: number | null;
  recurring: number;
  expiry: number | null;
  timezone: string;
}

/** What a schedule does when it fires. */
export type ScheduleHandler = (target: Target, id: number, action: Action) => Promise<unknown>;

// setTimeout takes at most 2^31-1 ms (~24.8 days); a later instant is re-armed when that fires.
const MAX_TIMER = 2_147_483_647;

/**
 * Schedules (ICTCore tasks) kept in SQLite and armed in this process: cron expressions through
 * node-cron in the owner's time zone, single instants through timers. Re-armed at start, so they
 * survive restarts; an instant missed while the daemon was down runs at start.
 */
export class ScheduleStore {
  private readonly armed = new Map<number, { stop: () => void }>();
  private handler: ScheduleHandler | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number,
  ) {}

  add(user: UserRow, target: Target, targetId: number, action: Action, spec: ScheduleSpec): number {
    const id = Number(
      this.db
        .prepare('INSERT INTO schedules (user_id, target, target_id, action, cron, at, recurring, expiry, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(user.id, target, targetId, action, spec.cron, spec.at, spec.recurring ? 1 : 0, spec.expiry, user.timezone, this.now()).lastInsertRowid,
    );
    if (this.handler) this.arm(this.row(id)!);
    return id;
  }

  /** Remove every schedule of a target; how many there were. */
  cancel(target: Target, targetId: number): number {
    const ids = (this.db.prepare('SELECT id FROM schedules WHERE target = ? AND target_id = ?').all(target, targetId) as { id: number }[]).map((r) => r.id);
    for (const id of ids) this.remove(id);
    return ids.length;
  }

  start(handler: ScheduleHandler): void {
    this.handler = handler;
    for (const r of this.db.prepare('SELECT * FROM schedules ORDER BY id').all() as ScheduleRow[]) this.arm(r);
  }

  stop(): void {
    for (const a of this.armed.values()) a.stop();
    this.armed.clear();
    this.handler = null;
  }

  private row(id: number): ScheduleRow | undefined {
    return this.db.prepare('SELECT * FROM schedules WHERE id = ?').get(id) as ScheduleRow | undefined;
  }

  private remove(id: number): void {
    this.armed.get(id)?.stop();
    this.armed.delete(id);
    this.db.prepare('DELETE FROM schedules WHERE id = ?').run(id);
  }

  private arm(r: ScheduleRow): void {
    if (r.expiry !== null && r.expiry <= this.now()) return this.remove(r.id);
    if (r.cron) {
      const task: ScheduledTask = cron.schedule(r.cron, () => void this.fire(r.id), { timezone: r.timezone, name: `schedule-${r.id}` });
      this.armed.set(r.id, { stop: () => void task.destroy() });
      return;
    }
    const wait = Math.max(0, (r.at ?? 0) - this.now());
    const timer = setTimeout(() => (wait > MAX_TIMER ? this.arm(this.row(r.id)!) : void this.fire(r.id)), Math.min(wait, MAX_TIMER));
    timer.unref();
    this.armed.set(r.id, { stop: () => clearTimeout(timer) });
  }

  private async fire(id: number): Promise<void> {
    const r = this.row(id);
    if (!r || !this.handler) return;
    if (r.expiry !== null && r.expiry <= this.now()) return this.remove(id);
    // Recorded before the action runs: a crash during it does not run it twice.
    if (r.cron && r.recurring) this.db.prepare('UPDATE schedules SET last_run_at = ? WHERE id = ?').run(this.now(), id);
    else this.remove(id);
    try {
      await this.handler(r.target, r.target_id, r.action);
      this.log.info({ schedule: id, target: r.target, id: r.target_id, action: r.action }, 'schedule ran');
    } catch (err) {
      this.log.warn({ schedule: id, target: r.target, id: r.target_id, action: r.action, err: (err as Error).message }, 'schedule could not run its action');
    }
  }
}
