import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startDaemon } from '../../dist/main.js';
import { testDaemon, bearer } from '../helpers/daemon.js';
import { EslPeer } from '../peers/esl.js';
import { createServer, type Socket } from 'node:net';
import { ProviderStore } from '../../dist/store/providers.js';
import { providerConfigSchema } from '../../dist/config/schema.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

describe('ICTCore face on a running daemon', () => {
  it('adds a FreeSWITCH trunk that connects at once, and reloads its sofia gateway when it changes', async () => {
    const peer = new EslPeer({ password: 'Esl-test-secret-1', gatewaysOnRescan: () => ['telco-b'] });
    const port = await peer.listen();
    const dir = mkdtempSync(join(tmpdir(), 'sip-profiles-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const d = await testDaemon({ sandbox: { enabled: false }, freeswitch: { config_dir: dir } });
    closers.push(async () => (await d.close(), await peer.close()));
    d.addUser('root', 'admin', { password: 'root-secret' });
    const admin = await bearer(d, 'root', 'root-secret');
    const trunk = { gateway_dir: dir, realm: 'sip.telco-b.example.net', username: 'acct', password: 'first-secret' };
    const settings = { gateway: 'telco-b', reconnect_min_ms: 50, reconnect_max_ms: 200, esl_timeout_ms: 2000, trunk };
    const r = await d.api('POST', '/providers', {
      auth: admin,
      body: { name: 'fs-b', gateway_flag: 8, service_flag: 3, host: '127.0.0.1', port, password: 'Esl-test-secret-1', dialstring: 'sofia/gateway/{gateway}/{number}', settings: JSON.stringify(settings), register: 0 },
    });
    expect(r.status, r.text).toBe(200);
    const id = r.json as number;
    const up = async () => ((await d.api('GET', '/health')).json.providers as { id: number; up: boolean }[]).find((p) => p.id === id)?.up;
    for (let i = 0; i < 200 && !(await up()); i++) await new Promise((res) => setTimeout(res, 25));
    expect(await up()).toBe(true);
    await d.waitFor(() => (peer as unknown as { sofia?: string[] }).sofia?.includes('profile external rescan'));
    const xml = readFileSync(join(dir, 'switchpost-telco-b.xml'), 'utf8');
    expect(xml).toContain('value="first-secret"');
    expect(xml).toContain('<param name="register" value="false"/>');
    expect((await d.api('GET', `/providers/${id}`, { auth: admin })).json).toMatchObject({ type: 'freeswitch', gateway_flag: 8, service_flag: 3, services: ['voice', 'fax'] });
    // A new trunk password through the API: the running daemon kills the gateway and loads it again.
    const changed = await d.api('PUT', `/providers/${id}`, { auth: admin, body: { settings: JSON.stringify({ ...settings, trunk: { ...trunk, password: 'second-secret' } }) } });
    expect(changed.status, changed.text).toBe(200);
    await d.waitFor(() => (peer as unknown as { sofia: string[] }).sofia.filter((x) => x.includes('rescan')).length === 2);
    expect((peer as unknown as { sofia: string[] }).sofia).toContain('profile external killgw telco-b');
    expect(readFileSync(join(dir, 'switchpost-telco-b.xml'), 'utf8')).toContain('value="second-secret"');
  });

  it("writes trunk files only inside FreeSWITCH's directory: a reseller cannot choose gateway_dir, no one leads it out", async () => {
    const peer = new EslPeer({ password: 'Esl-test-secret-1', gatewaysOnRescan: () => ['telco-r'] });
    const port = await peer.listen();
    const root = mkdtempSync(join(tmpdir(), 'fs-conf-'));
    const outside = mkdtempSync(join(tmpdir(), 'elsewhere-'));
    closers.push(async () => (rmSync(root, { recursive: true, force: true }), rmSync(outside, { recursive: true, force: true })));
    mkdirSync(join(root, 'sip_profiles'));
    symlinkSync(outside, join(root, 'sip_profiles', 'link'));
    const d = await testDaemon({ sandbox: { enabled: false }, freeswitch: { config_dir: root }, agent_providers: { allow_hosts: ['127.0.0.1'] } });
    closers.push(async () => (await d.close(), await peer.close()));
    d.addUser('root', 'admin', { password: 'root-secret' });
    d.addUser('reseller', 'agent', { password: 'reseller-secret' });
    const admin = await bearer(d, 'root', 'root-secret');
    const agent = await bearer(d, 'reseller', 'reseller-secret');
    const trunk = { realm: 'sip.telco-r.example.net', username: 'acct', password: 'trunk-secret' };
    const body = (name: string, t: Record<string, unknown>) => ({
      name,
      gateway_flag: 8,
      service_flag: 1,
      host: '127.0.0.1',
      port,
      password: 'Esl-test-secret-1',
      settings: JSON.stringify({ gateway: 'telco-r', reconnect_min_ms: 50, reconnect_max_ms: 200, esl_timeout_ms: 2000, trunk: t }),
    });
    const refused = async (auth: string, t: Record<string, unknown>, why: RegExp) => {
      const r = await d.api('POST', '/providers', { auth, body: body('fs-bad', t) });
      expect(r.status, JSON.stringify(t)).toBe(412);
      expect(r.json.error.message).toMatch(/Data validation failed, for settings\.trunk\.gateway_dir: /);
      expect(r.json.error.message).toMatch(why);
    };
    await refused(agent, { ...trunk, gateway_dir: join(outside, 'x') }, /only an administrator sets it/);
    await refused(agent, { ...trunk, gateway_dir: join(root, 'sip_profiles', 'mine') }, /only an administrator sets it/);
    await refused(admin, { ...trunk, gateway_dir: `${root}/sip_profiles/../../${outside.split('/').pop()}` }, /no "\." or "\.\."/);
    await refused(admin, { ...trunk, gateway_dir: join(outside, 'x') }, /must be inside the FreeSWITCH directory/);
    await refused(admin, { ...trunk, gateway_dir: join(root, 'sip_profiles', 'link', 'external') }, /symbolic link/);
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM providers WHERE driver = 'freeswitch'`).get()).toEqual({ n: 0 });
    // A reseller's trunk goes where FreeSWITCH reads it: <config_dir>/sip_profiles/<profile>.
    const r = await d.api('POST', '/providers', { auth: agent, body: body('fs-r', trunk) });
    expect(r.status, r.text).toBe(200);
    const file = join(root, 'sip_profiles', 'external', 'switchpost-telco-r.xml');
    await d.waitFor(() => existsSync(file));
    expect(readFileSync(file, 'utf8')).toContain('value="trunk-secret"');
    const moved = await d.api('PUT', `/providers/${r.json}`, { auth: agent, body: { settings: JSON.stringify({ gateway: 'telco-r', trunk: { ...trunk, gateway_dir: outside } }) } });
    expect(moved.status).toBe(412);
    expect(readdirSync(outside)).toEqual([]);
    // An administrator may put it elsewhere inside the directory.
    const inside = join(root, 'sip_profiles', 'internal');
    expect((await d.api('PUT', `/providers/${r.json}`, { auth: admin, body: { settings: JSON.stringify({ gateway: 'telco-r', reconnect_min_ms: 50, trunk: { ...trunk, gateway_dir: inside } }) } })).status).toBe(200);
    await d.waitFor(() => existsSync(join(inside, 'switchpost-telco-r.xml')));
  });

  it("holds down, at start, a reseller's provider stored before the address rules held: it never connects", async () => {
    const sockets: Socket[] = [];
    const trap = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => trap.listen(0, '127.0.0.2', r));
    closers.push(async () => (sockets.forEach((x) => x.destroy()), await new Promise((r) => trap.close(r))));
    const port = (trap.address() as { port: number }).port;
    const d = await testDaemon({ sandbox: { enabled: false } });
    const agent = d.addUser('reseller', 'agent', { password: 'reseller-secret' });
    const admin = d.addUser('root', 'admin', { password: 'root-secret' });
    const store = new ProviderStore(d.db);
    const smpp = (name: string) => providerConfigSchema.parse({ name, driver: 'smpp', services: ['sms'], host: '127.0.0.2', port, username: 'esme', password: 'x', settings: { reconnect_min_ms: 50, reconnect_max_ms: 200 } });
    const stale = store.insert(smpp('stale-agent'), agent.id);
    await d.stop();
    const again = await startDaemon(d.config, { log: pino({ level: 'silent' }) });
    closers.push(async () => (await again.stop(), rmSync(d.dir, { recursive: true, force: true })));
    await new Promise((r) => setTimeout(r, 500));
    expect(sockets).toHaveLength(0);
    const health = await (await fetch(`${again.url}/health`)).json();
    expect(health.providers.map((p: { id: number }) => p.id)).not.toContain(stale); // no gateway: held down
    // The same row owned by an administrator connects (the rule is the reseller's, not the address's).
    const owned = new ProviderStore(again.db).insert(smpp('admin-owned'), admin.id);
    await again.stop();
    const third = await startDaemon(d.config, { log: pino({ level: 'silent' }) });
    closers.push(async () => void (await third.stop()));
    const until = Date.now() + 5000;
    while (sockets.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(sockets.length).toBeGreaterThan(0);
    expect(owned).toBeGreaterThan(stale);
  });

  it('keeps schedules across a restart: a send scheduled before the daemon stops happens after it starts again', async () => {
    const d = await testDaemon();
    d.addUser('alice', 'user', { password: 'alice-secret' });
    const token = await bearer(d, 'alice', 'alice-secret');
    const program = (await d.api('POST', '/programs/sendsms', { auth: token, body: { name: 'later', data: 'After the restart' } })).json as number;
    const id = (await d.api('POST', '/transmissions', { auth: token, body: { program_id: program, phone: '+61491570156' } })).json as number;
    expect((await d.api('PUT', `/transmissions/${id}/schedule`, { auth: token, body: { delay: 2 } })).status).toBe(200);
    await d.stop();
    const again = await startDaemon(d.config, { log: pino({ level: 'silent' }) });
    closers.push(async () => (await again.stop(), rmSync(d.dir, { recursive: true, force: true })));
    const state = () => (again.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state;
    expect(state()).toBe('queued');
    const until = Date.now() + 8000;
    while (state() !== 'delivered' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(state()).toBe('delivered');
    expect(again.db.prepare('SELECT COUNT(*) AS n FROM schedules').get()).toEqual({ n: 0 }); // ran once, then gone
    // A token from before the restart still works: the signing key is kept in data_dir.
    const res = await fetch(`${again.url}/transmissions/${id}/status`, { headers: { authorization: token } });
    expect(await res.json()).toBe('completed');
  });
});
