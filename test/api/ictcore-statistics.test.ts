import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, bearer, type TestDaemon } from '../helpers/daemon.js';

// Issue 18: GET /statistics with the real ICTCore's fields and filters (core/Core.php's statistic(),
// read by ictfax's dashboard: user_total, did_total, transmission_inbound/_outbound, ?account_type=did,
// ?service_flag=2), beside the seed's, over what the caller may see.
let d: TestDaemon;
let alice: string;
let bob: string;
let customer: number;
const started = Math.floor(Date.now() / 1000);

const stats = async (auth: string, query = '', base = '') => {
  const r = await d.api('GET', `${base}/statistics${query}`, { auth });
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.json as Record<string, number>;
};
const make = async (auth: string, path: string, body: unknown) => {
  const r = await d.api('POST', path, { auth, body });
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  return r.json as number;
};

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('stat-alice', 'agent', { password: 'stat-alice-pw' });
  d.addUser('stat-bob', 'agent', { password: 'stat-bob-pw' });
  alice = await bearer(d, 'stat-alice', 'stat-alice-pw');
  bob = await bearer(d, 'stat-bob', 'stat-bob-pw');
  customer = await make(alice, '/users', { username: 'stat-customer', passwd: 'stat-customer-pw' });
  const theirs = await bearer(d, 'stat-customer', 'stat-customer-pw');
  const sms = await make(alice, '/programs/sendsms', { name: 's', data: 'hello' });
  const tts = await make(alice, '/programs/voicetts', { name: 'v', data: 'hello' });
  const c1 = await make(alice, '/contacts', { phone: '+61491570201' });
  const c2 = await make(alice, '/contacts', { phone: '+61491570202' });
  for (const [program, contact] of [
    [sms, c1],
    [sms, c2],
    [tts, c1],
  ])
    await make(alice, '/transmissions', { program_id: program, contact_id: contact });
  await make(alice, '/accounts', { username: 'stat-acc', type: 'account' });
  await make(alice, '/accounts', { username: 'stat-did', type: 'did', phone: '+61491570299' });
  // The customer's own: one contact, one SMS transmission.
  const theirProgram = await make(theirs, '/programs/sendsms', { name: 'c', data: 'hi' });
  const theirContact = await make(theirs, '/contacts', { phone: '+61491570203' });
  await make(theirs, '/transmissions', { program_id: theirProgram, contact_id: theirContact });
});
afterAll(() => d.close());

describe('GET /statistics', () => {
  it("answers the seed's fields and ICTCore's, over what the caller may see", async () => {
    const all = await stats(alice);
    expect(all).toEqual({
      campaign_total: 0,
      campaign_active: 0,
      group_total: 0,
      contact_total: 3,
      transmission_total: 4,
      transmission_active: 0,
      spool_total: 0,
      spool_success: 0,
      spool_failed: 0,
      user_total: 2,
      account_total: 2,
      did_total: 1,
      transmission_inbound: 0,
      transmission_outbound: 4,
    });
    // At ICTCore's own path too.
    expect(await stats(alice, '', '/api')).toEqual(all);
    // Another tenant sees none of it (only itself).
    expect(await stats(bob)).toMatchObject({ contact_total: 0, transmission_total: 0, transmission_outbound: 0, user_total: 1, account_total: 0, did_total: 0 });
  });

  it("takes ICTCore's filters: service_flag, account_type, user_id/created_by, since/from/date_created", async () => {
    // ictfax's dashboard: outbound faxes (service_flag=2) and DIDs (account_type=did).
    expect(await stats(alice, '?service_flag=2')).toMatchObject({ transmission_outbound: 0, transmission_total: 0, contact_total: 3 });
    expect(await stats(alice, '?service_flag=4')).toMatchObject({ transmission_outbound: 3, transmission_total: 3 });
    expect(await stats(alice, '?service_flag=1')).toMatchObject({ transmission_outbound: 1, transmission_total: 1 });
    expect(await stats(alice, '?account_type=did')).toMatchObject({ account_total: 1, did_total: 1 });
    expect(await stats(alice, '?account_type=account')).toMatchObject({ account_total: 1, did_total: 1 });
    for (const k of ['user_id', 'created_by']) expect(await stats(alice, `?${k}=${customer}`), k).toMatchObject({ contact_total: 1, transmission_total: 1, account_total: 0, user_total: 1 });
    // Not a way into another tenant's: bob asking for alice's customer sees nothing.
    expect(await stats(bob, `?user_id=${customer}`)).toMatchObject({ contact_total: 0, transmission_total: 0, user_total: 0 });
    for (const k of ['since', 'from', 'date_created']) {
      expect(await stats(alice, `?${k}=${started - 60}`), k).toMatchObject({ contact_total: 3, transmission_total: 4 });
      expect(await stats(alice, `?${k}=${started + 3600}`), k).toMatchObject({ contact_total: 0, transmission_total: 0, account_total: 0, user_total: 0 });
    }
  });

  it('ignores fields ICTCore does not filter by, and refuses a bad value of one it does (412, naming it)', async () => {
    expect(await stats(alice, '?direction=outbound&before=1&whatever=x')).toEqual(await stats(alice));
    for (const [q, field] of [
      ['?service_flag=fax', 'service_flag'],
      ['?since=yesterday', 'since'],
      ['?user_id=-1', 'user_id'],
      ['?account_type=bogus', 'account_type'],
    ]) {
      const r = await d.api('GET', `/statistics${q}`, { auth: alice });
      expect(r.status, q).toBe(412);
      expect(r.json.error.message, q).toContain(field);
    }
  });
});
