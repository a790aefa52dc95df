import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

// Issue 13 item 7: a ValidationError (the catalogue's, with its field) thrown by a face's route is
// answered in that face's own envelope and status, as the ApiError it replaced was; nothing is stored.
let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

describe('a validation error in each face that throws one', () => {
  it('Retarus: 400 { message } naming the query field', async () => {
    d = await testDaemon();
    const u = d.addUser('rest', 'user');
    const r = await d.api('GET', '/rest/v1/jobs?open=maybe', { auth: u.auth });
    expect([r.status, r.json]).toEqual([400, { message: 'open: expected true, false or nothing' }]);
    const t = await d.api('GET', '/rest/v1/jobs?toTs=yesterday', { auth: u.auth });
    expect([t.status, t.json]).toEqual([400, { message: 'toTs: expected an ISO 8601 date-time' }]);
  });

  it('uContact: 400 ERROR with the field in X-Error, and no job', async () => {
    d = await testDaemon();
    d.addUser('agent1', 'user', { password: 'uc-password-1' });
    const login = await fetch(`${d.url}/Integra/resources/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'agent1', password: 'uc-password-1' }) });
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`${d.url}/Integra/resources/SMS/SendSMS`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: JSON.stringify({ destination: ['0491570156', '0491570157'], message: 'Hola' }) });
    expect([res.status, await res.text(), decodeURIComponent(res.headers.get('x-error') ?? '')]).toEqual([400, 'ERROR', 'destination: expected one value']);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 0 });
  });
});
