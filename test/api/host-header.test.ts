import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { concrete, routesOf } from '../helpers/routes.js';

/** The Host header (and X-Forwarded-Host behind a trusted proxy) is the client's to choose: never a link. */

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const EVIL = 'evil.example';

/** A GET with a Host of our choosing (fetch will not send one). */
function get(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function seed(dd: TestDaemon) {
  const admin = dd.addUser('host-admin', 'admin', { password: 'host-password-1' });
  for (let i = 0; i < 3; i++) {
    const r = await dd.api('POST', '/api/v1/jobs', { auth: admin.auth, body: { job_type: 'sms', job_name: `j${i}`, message: 'hi', recipients: [{ destination: '+61491570156' }] } });
    expect(r.status).toBe(200);
  }
  return admin;
}

describe('links never reflect the Host header', () => {
  it('pages the v1 lists with relative links when no public URL is configured, whatever Host says', async () => {
    d = await testDaemon({ http: { port: 0, trust_proxy: ['127.0.0.1'] } });
    const admin = await seed(d);
    const hostile = { host: EVIL, 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'gopher', authorization: admin.auth };
    const jobs = await get(d.url, '/api/v1/jobs?page_size=1&page=2', hostile);
    expect(jobs.status).toBe(200);
    expect(jobs.text).not.toContain(EVIL);
    const body = JSON.parse(jobs.text);
    expect(body).toMatchObject({ path: '/api/v1/jobs', first_page_url: '/api/v1/jobs?page_size=1&page=1', prev_page_url: '/api/v1/jobs?page_size=1&page=1', next_page_url: '/api/v1/jobs?page_size=1&page=3' });
    expect(body.data[0].details_url).toMatch(/^\/api\/v1\/jobs\/\d+$/);
    const users = await get(d.url, '/api/v1/users?page_size=1', hostile);
    expect(users.status).toBe(200);
    expect(users.text).not.toContain(EVIL);
    expect(JSON.parse(users.text).path).toBe('/api/v1/users');

    // No other answer of any face carries it either (errors, lists, Location headers).
    const token = await bearer(d, 'host-admin', 'host-password-1');
    const routes = routesOf(d.app.printRoutes({ commonPrefix: false })).filter((r) => r.method === 'GET');
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) {
      const path = concrete(r.path);
      const auth = path.startsWith('/api/') || path.startsWith('/rest/') ? admin.auth : token;
      const a = await get(d.url, path, { ...hostile, authorization: auth });
      expect(a.text + JSON.stringify(a.headers), path).not.toContain(EVIL);
    }
  }, 60_000);

  it('uses http.public_url for links when it is set', async () => {
    d = await testDaemon({ http: { port: 0, public_url: 'https://sms.example.com/' } });
    const admin = await seed(d);
    const jobs = await get(d.url, '/api/v1/jobs?page_size=1&page=2', { host: EVIL, authorization: admin.auth });
    expect(jobs.text).not.toContain(EVIL);
    const body = JSON.parse(jobs.text);
    expect(body).toMatchObject({ path: 'https://sms.example.com/api/v1/jobs', next_page_url: 'https://sms.example.com/api/v1/jobs?page_size=1&page=3' });
    expect(body.data[0].details_url).toMatch(/^https:\/\/sms\.example\.com\/api\/v1\/jobs\/\d+$/);
  });
});
