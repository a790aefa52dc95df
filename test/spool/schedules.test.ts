import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDb, migrate, type Db } from '../../dist/store/db.js';
import { UserStore } from '../../dist/store/users.js';
import { ScheduleStore } from '../../dist/store/schedules.js';
import { Schedules } from '../../dist/spool/schedules.js';
import { local } from '../../dist/store/remote.js';
import { pacedDueAt } from '../../dist/spool/pacing.js';

let dir: string;
let db: Db | undefined;
let schedules: Schedules | undefined;
afterEach(() => {
  schedules?.stop();
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('schedules in the spool (armed by main, handled by the face)', () => {
  it('arms only once started, fires into the registered handler once, and stops', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchpost-sched-'));
    db = openDb(join(dir, 'switchpost.db'));
    migrate(db);
    const user = { id: new UserStore(db).add({ user_code: 'u', password: 'pw-u-secret', role: 'user', timezone: 'UTC', country: 'AU' }), timezone: 'UTC' };
    const store = new ScheduleStore(db);
    schedules = new Schedules(local(store), pino({ level: 'silent' }), () => Date.now());
    const ran: string[] = [];
    const spec = (inMs: number) => ({ cron: null, at: Date.now() + inMs, recurring: false, expiry: null });
    await schedules.add(user, 'transmission', 1, 'send', spec(0)); // due, but not armed before start
    await sleep(50);
    expect(ran).toEqual([]);
    expect(store.all()).toHaveLength(1);
    const unhandle = schedules.handle(async (target, id, action) => void ran.push(`${target} ${id} ${action}`));
    await schedules.start();
    await schedules.add(user, 'campaign', 2, 'start', spec(20));
    await sleep(150);
    expect(ran).toEqual(['transmission 1 send', 'campaign 2 start']);
    expect(store.all()).toEqual([]); // single instants run once, then go
    unhandle();
    await schedules.add(user, 'campaign', 3, 'stop', spec(0));
    await sleep(50);
    expect(ran).toHaveLength(2); // no handler: nothing runs, the schedule stays
    expect(store.idsOf('campaign', 3)).toHaveLength(1);
    schedules.handle(async (target, id, action) => void ran.push(`${target} ${id} ${action}`));
    schedules.stop();
    await schedules.add(user, 'campaign', 4, 'stop', spec(0));
    await sleep(50);
    expect(ran).toHaveLength(2); // stopped: nothing fires
    expect((await schedules.cancel('campaign', 3)) + (await schedules.cancel('campaign', 4))).toBe(2);
    expect(store.all()).toEqual([]);
  });

  it('paces a campaign at cpm from its start', () => {
    const due = pacedDueAt(120, 1_000);
    expect([0, 1, 2, 3].map(due)).toEqual([1_000, 1_500, 2_000, 2_500]);
    expect(pacedDueAt(7, 0)(1)).toBe(Math.floor(60_000 / 7));
  });
});
