import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startDaemon } from '../../dist/main.js';
import { testDaemon, bearer, type TestDaemon } from '../helpers/daemon.js';

// Issue 18: an id is never given again after a delete (migration 14's AUTOINCREMENT), through the
// API and across a restart: a client holding the id of a deleted contact never reads someone else's.
let d: TestDaemon;
let token: string;
const ids: Record<string, number> = {};

const post = async (path: string, body: unknown) => {
  const r = await d.api('POST', path, { auth: token, body });
  expect(r.status, `POST ${path}: ${r.text}`).toBe(200);
  return r.json as number;
};

/** Each resource: how to make one (a fresh body each time) and where it lives. */
const resources = (): [path: string, body: (n: number) => unknown][] => [
  ['/contacts', (n) => ({ first_name: `c${n}`, phone: `+614915701${String(n).padStart(2, '0')}` })],
  ['/groups', (n) => ({ name: `g${n}` })],
  ['/messages/texts', (n) => ({ name: `t${n}`, data: 'hello' })],
  ['/programs/sendsms', (n) => ({ name: `p${n}`, text_id: ids.text })],
  ['/accounts', (n) => ({ username: `acc-${n}-${Date.now()}` })],
  ['/campaigns', () => ({ program_id: ids.program, group_id: ids.group })],
  ['/transmissions', () => ({ program_id: ids.program, contact_id: ids.contact })],
  ['/users', (n) => ({ username: `ids-u${n}-${Date.now()}`, passwd: 'ids-user-pass' })],
  ['/providers', (n) => ({ name: `ids-trunk-${n}-${Date.now()}`, type: 'kannel', service_flag: 4, host: '127.0.0.1', port: 13013, username: 'sms' })],
];
const itemPath = (path: string, id: number) => `${path === '/programs/sendsms' ? '/programs' : path}/${id}`;

/** Make one, delete it (the newest), make another: the new one's id is past the deleted one's. */
async function neverReused(n: number): Promise<Record<string, number>> {
  const last: Record<string, number> = {};
  for (const [path, body] of resources()) {
    const gone = await post(path, body(n));
    const del = await d.api('DELETE', itemPath(path, gone), { auth: token });
    expect(del.status, `DELETE ${itemPath(path, gone)}: ${del.text}`).toBe(200);
    expect((await d.api('GET', itemPath(path, gone), { auth: token })).status, path).toBe(404);
    const next = await post(path, body(n + 1));
    expect(next, `${path}: the id after ${gone} was deleted`).toBeGreaterThan(gone);
    last[path] = gone;
  }
  return last;
}

beforeAll(async () => {
  d = await testDaemon({ agent_providers: { allow_hosts: ['127.0.0.1'] } });
  d.addUser('ids-admin', 'admin', { password: 'ids-admin-pw' });
  token = await bearer(d, 'ids-admin', 'ids-admin-pw');
  ids.text = await post('/messages/texts', { name: 'base', data: 'hi' });
  ids.program = await post('/programs/sendsms', { name: 'base', text_id: ids.text });
  ids.group = await post('/groups', { name: 'base' });
  ids.contact = await post('/contacts', { phone: '+61491570150' });
});
afterAll(() => d?.close());

describe('ids after a delete', () => {
  it('are never given again, and not after a restart either', async () => {
    const first = await neverReused(10);
    // The same data directory, a new process's daemon: the sequences are in the file.
    const config = d.config;
    await d.stop();
    const again = await startDaemon(config, { log: pino({ level: 'silent' }) });
    d = Object.assign(d, { url: again.url, stop: again.stop, db: again.db, app: again.app, close: async () => (await again.stop(), rmSync(config.data_dir, { recursive: true, force: true })) });
    token = await bearer(d, 'ids-admin', 'ids-admin-pw');
    const second = await neverReused(20);
    for (const [path] of resources()) expect(second[path], path).toBeGreaterThan(first[path]!);
    expect(d.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'contacts'`).pluck().get()).toBeGreaterThanOrEqual(second['/contacts']! + 1);
  });
});
