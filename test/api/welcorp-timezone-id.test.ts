import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

// Seed 000's user carries a numeric `timezone_id` (17 in its example): the daemon's own table
// (core/v1-timezones.ts) makes it the user's zone, the one its jobs' scheduled_date and cutoff are read in.
let d: TestDaemon;
let admin: { id: number; auth: string };
let u: { id: number; auth: string };

const put = (body: Record<string, unknown>) => d.api('PUT', `/api/v1/users/${u.id}`, { auth: u.auth, body });
const me = async () => (await d.api('GET', `/api/v1/users/${u.id}`, { auth: u.auth })).json.data as { timezone: string; timezone_id: number | null };
const zoneRow = () => d.db.prepare('SELECT timezone, profile FROM users WHERE id = ?').get(u.id) as { timezone: string; profile: string };
const scheduledAt = (id: number) => (d.db.prepare('SELECT scheduled_at FROM jobs WHERE id = ?').get(id) as { scheduled_at: number }).scheduled_at;

beforeAll(async () => {
  d = await testDaemon();
  admin = d.addUser('tz-admin', 'admin');
  u = d.addUser('au/tz', 'user', { timezone: 'Australia/Perth' });
});
afterAll(() => d.close());

describe('timezone_id', () => {
  it("makes the id the user's zone, shown by id and by name, and reads its jobs' times in it", async () => {
    expect(await me()).toMatchObject({ timezone: 'Australia/Perth', timezone_id: 10 });
    const r = await put({ timezone_id: 17 });
    expect(r.status, r.text).toBe(200);
    expect(await me()).toMatchObject({ timezone: 'Australia/Melbourne', timezone_id: 17 });
    expect(zoneRow().timezone).toBe('Australia/Melbourne');
    const when = '2031-01-15 09:00:00';
    const job = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message: 'later', scheduled_date: when, recipients: [{ destination: '+61491570156' }] } });
    expect(job.status, job.text).toBe(200);
    const melbourne = DateTime.fromFormat(when, 'yyyy-MM-dd HH:mm:ss', { zone: 'Australia/Melbourne' }).toMillis();
    expect(scheduledAt(job.json.data)).toBe(melbourne);
    // Summer time in Melbourne (+11:00), none in Perth (+08:00): the same wall time, three hours apart.
    expect(melbourne).not.toBe(DateTime.fromFormat(when, 'yyyy-MM-dd HH:mm:ss', { zone: 'Australia/Perth' }).toMillis());
    const detail = await d.api('GET', `/api/v1/jobs/${job.json.data}`, { auth: u.auth });
    expect(detail.json.data.scheduled_date).toBe('2031-01-15T09:00:00+11:00');
  });

  it('takes the id as digits, and a null id as no change (a user read back and written again)', async () => {
    expect((await put({ timezone_id: '25' })).status).toBe(200);
    expect(await me()).toMatchObject({ timezone: 'Pacific/Auckland', timezone_id: 25 });
    expect((await put({ timezone_id: null, first_name: 'Kiri' })).status).toBe(200);
    expect(await me()).toMatchObject({ timezone: 'Pacific/Auckland', timezone_id: 25 });
  });

  it('refuses an id the table does not number, or one that disagrees with timezone, naming timezone_id, and changes nothing', async () => {
    expect((await put({ timezone_id: 17 })).status).toBe(200);
    const before = zoneRow();
    for (const body of [{ timezone_id: 999 }, { timezone_id: 0 }, { timezone_id: 17.5 }, { timezone_id: 'Melbourne' }, { timezone_id: true }, { timezone_id: 25, timezone: 'Europe/Paris', first_name: 'never' }]) {
      const r = await put(body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.json.status).toBe(422);
      expect(r.json.errors, JSON.stringify(body)).toMatch(/^Validation failed: timezone_id: /);
    }
    expect(zoneRow()).toEqual(before);
    expect((await put({ timezone_id: 999 })).json.errors).toContain('999 is not a time zone id');
  });

  it('keeps timezone (IANA) working, answering timezone_id null for a zone the table does not number', async () => {
    expect((await put({ timezone: 'America/Argentina/Salta' })).status).toBe(200);
    expect(await me()).toMatchObject({ timezone: 'America/Argentina/Salta', timezone_id: null });
    expect((await put({ timezone: 'Australia/Sydney', timezone_id: 18 })).status).toBe(200);
    expect(await me()).toMatchObject({ timezone: 'Australia/Sydney', timezone_id: 18 });
  });

  it('creates a user in the zone its timezone_id names', async () => {
    const r = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: { user_code: 'nz/tz', password: 'a-long-password', timezone_id: 26 } });
    expect(r.status, r.text).toBe(200);
    const created = await d.api('GET', `/api/v1/users/${r.json.data}`, { auth: admin.auth });
    expect(created.json.data).toMatchObject({ timezone: 'Pacific/Chatham', timezone_id: 26 });
    const refused = await d.api('POST', '/api/v1/users', { auth: admin.auth, body: { user_code: 'nz/tz2', password: 'a-long-password', timezone_id: 4242 } });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toMatch(/^Validation failed: timezone_id: /);
    expect(d.db.prepare('SELECT 1 FROM users WHERE user_code = ?').get('nz/tz2')).toBeUndefined();
  });
});
