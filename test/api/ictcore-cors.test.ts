import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, bearer, type TestDaemon } from '../helpers/daemon.js';
import { loadConfig } from '../../dist/config/load.js';

// Issue 18: CORS as ICTCore sends it (its RestServer's corsHeaders; ictcore.conf's `cors = *`): on
// every answer of the face and on a preflight to any of its paths, before auth.
let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const ask = async (method: string, path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(d!.url + path, { method, headers });
  const h = (k: string) => res.headers.get(k);
  return {
    status: res.status,
    text: await res.text(),
    origin: h('access-control-allow-origin'),
    methods: h('access-control-allow-methods'),
    credentials: h('access-control-allow-credentials'),
    allowHeaders: h('access-control-allow-headers'),
    expose: h('access-control-expose-headers'),
    vary: h('vary'),
  };
};
const PREFLIGHT = { origin: 'https://fax.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' };

describe('ICTCore CORS', () => {
  it("answers a preflight on any of its paths, under both bases, and puts its headers on every answer; never on another face's", async () => {
    d = await testDaemon();
    d.addUser('cors-admin', 'admin', { password: 'cors-admin-pw' });
    for (const path of ['/transmissions', '/api/transmissions', '/programs/sendsms', '/api/no-such-thing']) {
      const pre = await ask('OPTIONS', path, PREFLIGHT);
      expect(pre, path).toMatchObject({ status: 200, text: '', origin: 'https://fax.example.com', methods: 'GET,POST,PUT,DELETE,OPTIONS', vary: expect.stringMatching(/Origin/) });
      expect(pre.allowHeaders?.split(', ')).toEqual(expect.arrayContaining(['Authorization', 'content-type']));
      // Under `*`, any page may call the face with a token, but not read answers by a browser's remembered credentials.
      expect(pre.credentials).toBeNull();
    }
    const token = await bearer(d, 'cors-admin', 'cors-admin-pw');
    const ok = await ask('GET', '/api/programs', { origin: 'https://fax.example.com', authorization: token });
    expect(ok).toMatchObject({ status: 200, origin: 'https://fax.example.com', expose: 'Content-Type, Content-Length, Content-Disposition' });
    // Errors and 404s too (a browser shows the client the error only with them).
    expect(await ask('GET', '/programs', { origin: 'https://fax.example.com' })).toMatchObject({ status: 401, origin: 'https://fax.example.com' });
    expect(await ask('GET', '/no-such-thing', { origin: 'https://fax.example.com', authorization: token })).toMatchObject({ status: 404, origin: 'https://fax.example.com' });
    // No Origin (not a browser): `*`, as ICTCore.
    expect((await ask('GET', '/programs', { authorization: token })).origin).toBe('*');
    // The other faces keep their own answers: no ICTCore CORS there.
    for (const path of ['/api/v1/jobs', '/rest/v1/sms', '/Integra/resources/SMS/SendSMS']) {
      const other = await ask('OPTIONS', path, PREFLIGHT);
      expect(other.origin, path).toBeNull();
      expect(other.status, path).not.toBe(200);
    }
  });

  it('with origins listed by name: those get credentials, others nothing; with none, CORS is off', async () => {
    d = await testDaemon({ ictcore: { cors: ['https://fax.example.com'] } });
    expect(await ask('OPTIONS', '/transmissions', PREFLIGHT)).toMatchObject({ status: 200, origin: 'https://fax.example.com', credentials: 'true' });
    const stranger = await ask('OPTIONS', '/transmissions', { ...PREFLIGHT, origin: 'https://evil.example.net' });
    expect([stranger.origin, stranger.credentials]).toEqual([null, null]);
    await d.close();
    d = await testDaemon({ ictcore: { cors: [] } });
    const off = await ask('OPTIONS', '/transmissions', PREFLIGHT);
    expect(off).toMatchObject({ status: 404, origin: null });
    expect(JSON.parse(off.text)).toEqual({ error: { code: 404, message: expect.stringMatching(/no API at OPTIONS/) } });
  });

  it('refuses an origin that is not one, at start', () => {
    for (const bad of ['fax.example.com', 'https://fax.example.com/path', 'javascript:alert(1)', 'https://a.example.com, https://b.example.com']) {
      expect(() => loadConfig({ env: {}, overrides: { ictcore: { cors: [bad] } } }), bad).toThrow(/ictcore\.cors/);
    }
  });
});
