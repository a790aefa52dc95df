import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

// Issue 18, ICTCore: field formats ICTCore's own clients send (core/Message/Text.php's charsets,
// db/database.sql's numeric country and timezone ids, User's `password`, core/Provider/*.php's types).
let d: TestDaemon;
let admin: string;

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('root', 'admin', { password: 'root-secret' });
  admin = await bearer(d, 'root', 'root-secret');
});
afterAll(() => d.close());

const userRow = (id: number) => d.db.prepare('SELECT country, timezone FROM users WHERE id = ?').get(id) as { country: string; timezone: string };

describe('ICTCore face: field formats as ICTCore has them', () => {
  it('takes a text type as ICTCore names its charsets, UTF-8 by default', async () => {
    const plain = (await d.api('POST', '/texts', { auth: admin, body: { name: 'a', data: 'x' } })).json as number;
    expect((await d.api('GET', `/texts/${plain}`, { auth: admin })).json.type).toBe('UTF-8');
    const utf = await d.api('POST', '/texts', { auth: admin, body: { name: 'b', data: 'x', type: 'utf-8' } });
    expect(utf.status, utf.text).toBe(200);
    expect((await d.api('GET', `/texts/${utf.json}`, { auth: admin })).json.type).toBe('UTF-8');
    expect((await d.api('PUT', `/texts/${utf.json}`, { auth: admin, body: { type: 'GSM' } })).json.type).toBe('GSM');
    expect((await d.api('PUT', `/texts/${utf.json}`, { auth: admin, body: { type: 'unicode' } })).json.type).toBe('unicode');
    const bad = await d.api('POST', '/texts', { auth: admin, body: { name: 'c', data: 'x', type: 'latin' } });
    expect(bad.status).toBe(412);
    expect(bad.json.error.message).toMatch(/for type: one of plain, unicode, binary, GSM/);
  });

  it("takes ICTCore's numeric country and timezone ids, alpha-2 codes and IANA zones, and a `password` field", async () => {
    const r = await d.api('POST', '/users', { auth: admin, body: { username: 'karachi', password: 'pk-password-1', country_id: 586, timezone_id: 18000 } });
    expect(r.status, r.text).toBe(200);
    expect(userRow(r.json)).toEqual({ country: 'PK', timezone: 'Etc/GMT-5' });
    // The password given as `password` is the one that logs in (ICTCore's User::set_password).
    expect((await d.api('POST', '/authenticate', { body: { username: 'karachi', password: 'pk-password-1' } })).status).toBe(200);
    const cases: [Record<string, unknown>, { country: string; timezone: string }][] = [
      [
        { country_id: '036', timezone_id: '36000' },
        { country: 'AU', timezone: 'Etc/GMT-10' },
      ],
      [
        { country_id: 356, timezone_id: 19800 },
        { country: 'IN', timezone: 'Asia/Kolkata' },
      ],
      [
        { country_id: 'uy', timezone_id: -10800 },
        { country: 'UY', timezone: 'Etc/GMT+3' },
      ],
      [
        { country_id: 736, timezone_id: 'Africa/Khartoum' },
        { country: 'SD', timezone: 'Africa/Khartoum' },
      ],
      [{ timezone_id: 0 }, { country: 'SD', timezone: 'Etc/GMT' }],
      [{ timezone_id: 45900 }, { country: 'SD', timezone: 'Pacific/Chatham' }],
    ];
    const numericOf: Record<string, number> = { AU: 36, IN: 356, UY: 858, SD: 736 };
    const offsetOf: Record<string, number> = { 'Etc/GMT-10': 36000, 'Asia/Kolkata': 19800, 'Etc/GMT+3': -10800, 'Africa/Khartoum': 7200, 'Etc/GMT': 0, 'Pacific/Chatham': 45900 };
    for (const [body, row] of cases) {
      const up = await d.api('PUT', `/users/${r.json}`, { auth: admin, body });
      expect(up.status, `${JSON.stringify(body)}: ${up.text}`).toBe(200);
      expect(userRow(r.json), JSON.stringify(body)).toEqual(row);
      expect(up.json).toMatchObject({ country: row.country, timezone: row.timezone });
      // Answered as ICTCore numbers them: the ISO numeric code, the standard offset in seconds.
      expect(up.json.country_id, JSON.stringify(body)).toBe(numericOf[row.country]);
      expect(up.json.timezone_id, JSON.stringify(body)).toBe(offsetOf[row.timezone]);
    }
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ country_id: 530 }, /for country_id: 530 is no ISO 3166 numeric country code/],
      [{ country_id: 9999 }, /for country_id: /],
      [{ country_id: 'ZZ' }, /for country_id: an ISO 3166 alpha-2 country code/],
      [{ timezone_id: -16200 }, /for timezone_id: no time zone keeps GMT -04:30 today/],
      [{ timezone_id: 41400 }, /for timezone_id: no time zone keeps GMT \+11:30 today/],
      [{ timezone_id: 1234 }, /for timezone_id: an ICTCore timezone id/],
      [{ timezone_id: 'Mars/Base' }, /for timezone_id: an IANA time zone/],
      [{ password: 'one-password', passwd: 'another-one' }, /for password: give password or passwd/],
      [{ password: 'short' }, /for password: at least 8 characters/],
    ];
    for (const [body, message] of refused) {
      const up = await d.api('PUT', `/users/${r.json}`, { auth: admin, body });
      expect(up.status, JSON.stringify(body)).toBe(412);
      expect(up.json.error.message).toMatch(message);
    }
    expect(userRow(r.json)).toEqual({ country: 'SD', timezone: 'Pacific/Chatham' });
    expect((await d.api('POST', '/users', { auth: admin, body: { username: 'nopass' } })).json.error.message).toMatch(/for password: is required/);
    // The password route as ICTCore has it, and the update's `password`.
    expect((await d.api('PUT', `/users/${r.json}`, { auth: admin, body: { password: 'pk-password-2' } })).status).toBe(200);
    expect((await d.api('POST', '/authenticate', { body: { username: 'karachi', password: 'pk-password-2' } })).status).toBe(200);
    expect((await d.api('POST', '/authenticate', { body: { username: 'karachi', password: 'pk-password-1' } })).status).toBe(401);
  });

  it("takes ICTCore's provider types: sip, smpp and smtp with their service flags; http and emailcmd say what to use", async () => {
    const made = async (body: Record<string, unknown>) => {
      const r = await d.api('POST', '/providers', { auth: admin, body: { active: 0, ...body } });
      expect(r.status, r.text).toBe(200);
      return (await d.api('GET', `/providers/${r.json}`, { auth: admin })).json;
    };
    expect(await made({ name: 'smsc', type: 'SMPP', host: '192.0.2.1', port: 2775, username: 'esme', password: 'secret' })).toMatchObject({ type: 'smpp', service_flag: 4 });
    expect(await made({ name: 'relay', type: 'smtp', host: '192.0.2.2', port: 587 })).toMatchObject({ type: 'smtp', service_flag: 8, services: ['email'] });
    expect(await made({ name: 'smsc2', type: 'smpp', service_flag: 4, host: '192.0.2.3', port: 2775, username: 'esme', password: 'secret' })).toMatchObject({ type: 'smpp', service_flag: 4 });
    for (const [type, message] of [
      ['http', /for type: an HTTP SMSC is configured in Kannel here/],
      ['emailcmd', /for type: e-mail leaves through a relay here/],
      ['carrier-pigeon', /for type: one of /],
    ] as const) {
      const r = await d.api('POST', '/providers', { auth: admin, body: { name: `x-${type}`, type, host: '192.0.2.9' } });
      expect(r.status, type).toBe(412);
      expect(r.json.error.message).toMatch(message);
    }
  });
});

describe('ICTCore face: permissions as ICTCore numbers them', () => {
  it('takes and shows permission ids of db/database.sql, parents for their children and message modules by name', async () => {
    const u = (await d.api('POST', '/users', { auth: admin, body: { username: 'perms', password: 'perms-password-1' } })).json as number;
    const token = await bearer(d, 'perms', 'perms-password-1');
    const exceptions = async () => ((await d.api('GET', `/users/${u}`, { auth: admin })).json.permissions as { permission_id: number; name: string; granted: boolean }[]).sort((a, b) => a.permission_id - b.permission_id);
    // 17 is transmission_create in ICTCore (api 1 … campaign_admin 107).
    expect((await d.api('DELETE', `/users/${u}/permissions/17`, { auth: admin })).status).toBe(200);
    expect(await exceptions()).toEqual([{ permission_id: 17, name: 'transmission_create', granted: false }]);
    // A parent takes all its children, as ICTCore's User::authorize grants them.
    expect((await d.api('DELETE', `/users/${u}/permissions/contact`, { auth: admin })).status).toBe(200);
    expect((await exceptions()).map((p) => p.permission_id)).toEqual([17, 52, 53, 54, 55, 56]);
    expect((await d.api('POST', '/contacts', { auth: token, body: { phone: '+61491571601' } })).status).toBe(403);
    expect((await d.api('PUT', `/users/${u}/permissions/51`, { auth: admin })).status).toBe(200);
    expect((await d.api('POST', '/contacts', { auth: token, body: { phone: '+61491571601' } })).status).toBe(200);
    // ICTCore's message modules' names are the daemon's message_* (their ids depend on install order).
    expect((await d.api('DELETE', `/users/${u}/permissions/text_create`, { auth: admin })).status).toBe(200);
    expect((await d.api('POST', '/texts', { auth: token, body: { name: 'n', data: 'x' } })).status).toBe(403);
    const own = (await exceptions()).find((p) => p.name === 'message_create')!;
    expect(own.permission_id).toBeGreaterThan(1000);
    expect((await d.api('PUT', `/users/${u}/permissions/${own.permission_id}`, { auth: admin })).status).toBe(200);
    expect((await d.api('POST', '/texts', { auth: token, body: { name: 'n', data: 'x' } })).status).toBe(200);
    // Known to ICTCore but checked by nothing here, and unknown: 404 saying which.
    expect((await d.api('PUT', `/users/${u}/permissions/api`, { auth: admin })).json.error.message).toMatch(/nothing on this server is checked by it/);
    expect((await d.api('PUT', `/users/${u}/permissions/999`, { auth: admin })).status).toBe(404);
    expect((await d.api('PUT', `/users/${u}/permissions/flying`, { auth: admin })).status).toBe(404);
  });
});
