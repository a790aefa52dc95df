import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { ScheduleSpec } from '../core/schedule.js';
import type { ScheduleAction, ScheduleRow, ScheduleStore, ScheduleTarget } from '../store/schedules.js';
import type { Remote } from '../store/remote.js';

/** What a schedule does when it fires: the face that owns its targets says. */
export type ScheduleHandler = (target: ScheduleTarget, id: number, action: ScheduleAction) => Promise<unknown>;

// setTimeout takes at most 2^31-1 ms (~24.8 days); a later instant is re-armed when that fires.
const MAX_TIMER = 2_147_483_647;

/**
 * Schedules (ICTCore tasks) armed in this process: cron expressions through node-cron in the owner's
 * time zone, single instants through timers. Armed from SQLite at start (main starts and stops them),
 * so they survive restarts; an instant missed while the daemon was down runs at start. They fire into
 * the handler the face registers; without one, nothing runs and nothing is removed.
 */
export class Schedules {
  private readonly armed = new Map<number, { stop: () => void }>();
  private handler: ScheduleHandler | null = null;
  private started = false;

  constructor(
    private readonly store: Remote<ScheduleStore>,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Run `handler` when a schedule fires; returns the unregister. */
  handle(handler: ScheduleHandler): () => void {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = null;
    };
  }

  async add(owner: { id: number; timezone: string }, target: ScheduleTarget, targetId: number, action: ScheduleAction, spec: ScheduleSpec): Promise<number> {
    const id = await this.store.add(owner, target, targetId, action, spec, this.now());
    if (!this.started) return id;
    const row = await this.store.get(id);
    // Asked again after the read: a stop meanwhile arms nothing.
    if (row && this.started) await this.arm(row);
    return id;
  }

  /** Remove every schedule of a target; how many there were. */
  async cancel(target: ScheduleTarget, targetId: number): Promise<number> {
    const ids = await this.store.idsOf(target, targetId);
    for (const id of ids) await this.remove(id);
    return ids.length;
  }

  async start(): Promise<void> {
    this.started = true;
    for (const r of await this.store.all()) {
      // Stopped while the rows were read (or between two): nothing more is armed.
      if (!this.started) return;
      await this.arm(r);
    }
  }

  stop(): void {
    this.started = false;
    for (const a of this.armed.values()) a.stop();
    this.armed.clear();
  }

  private async remove(id: number): Promise<void> {
    this.armed.get(id)?.stop();
    this.armed.delete(id);
    await this.store.delete(id);
  }

  private async arm(r: ScheduleRow): Promise<void> {
    // Added by the face while start() read the rows: armed once.
    if (this.armed.has(r.id)) return;
    if (r.expiry !== null && r.expiry <= this.now()) return this.remove(r.id);
    if (r.cron) {
      const task: ScheduledTask = cron.schedule(r.cron, () => void this.fire(r.id), { timezone: r.timezone, name: `schedule-${r.id}` });
      this.armed.set(r.id, { stop: () => void task.destroy() });
      return;
    }
    const wait = Math.max(0, (r.at ?? 0) - this.now());
    const timer = setTimeout(() => void (wait > MAX_TIMER ? this.rearm(r.id) : this.fire(r.id)), Math.min(wait, MAX_TIMER));
    timer.unref();
    this.armed.set(r.id, { stop: () => clearTimeout(timer) });
  }

  /** A far instant's timer ran out before it: armed again from its row (gone: nothing). */
  private async rearm(id: number): Promise<void> {
    try {
      const r = await this.store.get(id);
      if (!r || !this.started || !this.armed.delete(id)) return;
      await this.arm(r);
    } catch (err) {
      this.log.error({ schedule: id, err: (err as Error).message }, 'schedule could not be armed again');
    }
  }

  private async fire(id: number): Promise<void> {
    const handler = this.handler;
    let r: ScheduleRow | undefined;
    try {
      r = await this.store.get(id);
      if (!r || !handler || !this.started) return;
      if (r.expiry !== null && r.expiry <= this.now()) return await this.remove(id);
      // Recorded before the action runs: a crash during it does not run it twice.
      if (r.cron && r.recurring) await this.store.ran(id, this.now());
      else await this.remove(id);
    } catch (err) {
      this.log.error({ schedule: id, err: (err as Error).message }, 'schedule could not be read or recorded');
      return;
    }
    try {
      await handler(r.target, r.target_id, r.action);
      this.log.info({ schedule: id, target: r.target, id: r.target_id, action: r.action }, 'schedule ran');
    } catch (err) {
      this.log.warn({ schedule: id, target: r.target, id: r.target_id, action: r.action, err: (err as Error).message }, 'schedule could not run its action');
    }
  }
}
