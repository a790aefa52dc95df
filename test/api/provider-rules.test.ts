import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

let d: TestDaemon;
let admin: string;
let agent: string;

describe('ICTCore providers: the rules a provider is held to', () => {
  beforeAll(async () => {
    d = await testDaemon({ agent_providers: { allow_hosts: ['127.0.0.1'] } });
    d.addUser('boss', 'admin', { password: 'boss-secret' });
    d.addUser('reseller', 'agent', { password: 'reseller-secret' });
    admin = await bearer(d, 'boss', 'boss-secret');
    agent = await bearer(d, 'reseller', 'reseller-secret');
  });
  afterAll(async () => {
    await d?.close();
  });

  it("holds a reseller's provider to the reseller's hosts also when an administrator edits it (start-up would hold it down)", async () => {
    const made = await d.api('POST', '/providers', { auth: agent, body: { name: 'reseller-trunk', type: 'kannel', service_flag: 4, host: '127.0.0.1', port: 13013, username: 'sms' } });
    expect(made.status, made.text).toBe(200);
    const moved = await d.api('PUT', `/providers/${made.json}`, { auth: admin, body: { host: '10.1.2.3' } });
    expect(moved.status, moved.text).toBe(412);
    expect(moved.json.error.message).toMatch(/for host: 10\.1\.2\.3 is a private address/);
    expect(d.db.prepare('SELECT host FROM providers WHERE id = ?').get(made.json)).toEqual({ host: '127.0.0.1' });
    // The administrator's own provider may go there.
    const own = await d.api('POST', '/providers', { auth: admin, body: { name: 'admin-trunk', type: 'kannel', service_flag: 4, host: '10.1.2.3', port: 13013, username: 'sms' } });
    expect(own.status, own.text).toBe(200);
  });

  it("refuses a trunk profile made only of dots (its default directory would be FreeSWITCH's own directory or above)", async () => {
    for (const profile of ['..', '.', '...']) {
      const r = await d.api('POST', '/providers', {
        auth: admin,
        body: { name: `fs-${profile.length}`, type: 'freeswitch', service_flag: 1, host: '127.0.0.1', port: 8021, settings: JSON.stringify({ trunk: { realm: 'sip.example.com', profile } }) },
      });
      expect(r.status, `${profile}: ${r.text}`).toBe(412);
      expect(r.json.error.message).toMatch(/for settings\.trunk\.profile/);
    }
    const ok = await d.api('POST', '/providers', { auth: admin, body: { name: 'fs-ok', type: 'freeswitch', service_flag: 1, host: '127.0.0.1', port: 8021, settings: JSON.stringify({ trunk: { realm: 'sip.example.com', profile: 'external.v2' } }) } });
    expect(ok.status, ok.text).toBe(200);
    expect((await d.api('DELETE', `/providers/${ok.json}`, { auth: admin })).status).toBe(200);
  });
});
