import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

// Every method + path of seed 001, through the real HTTP server: each answers its owner, refuses a
// request without a token (401), hides its resource from another tenant (404) and names the field of a
// bad body (412).
let d: TestDaemon;
let alice: string;
let bob: string;
const ids: Record<string, number> = {};

const login = (username: string, password: string) => bearer(d, username, password);
const make = async (path: string, body: unknown, auth = alice) => {
  const r = await d.api('POST', path, { auth, body });
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  return r.json as number;
};

beforeAll(async () => {
  d = await testDaemon({ agent_providers: { allow_hosts: ['127.0.0.1'] } });
  ids.alice = d.addUser('alice', 'agent', { password: 'alice-secret' }).id;
  d.addUser('bob', 'agent', { password: 'bob-secret' });
  alice = await login('alice', 'alice-secret');
  bob = await login('bob', 'bob-secret');
  ids.contact = await make('/contacts', { first_name: 'A', phone: '+61491570156' });
  ids.group = await make('/groups', { name: 'g' });
  await d.api('PUT', `/contacts/${ids.contact}/link/${ids.group}`, { auth: alice });
  ids.text = await make('/messages/texts', { name: 't', data: 'hello' });
  ids.document = await make('/messages/documents', { name: 'd' });
  ids.recording = await make('/messages/recordings', { name: 'r' });
  ids.template = await make('/messages/templates', { name: 'm', subject: 's', body: 'b' });
  await fetch(`${d.url}/messages/templates/${ids.template}/media`, { method: 'PUT', headers: { authorization: alice, 'content-type': 'text/plain' }, body: 'attachment' });
  ids.program = await make('/programs/sendsms', { name: 'p', text_id: ids.text });
  ids.account = await make('/accounts', { username: 'acc-a', phone: '+61491570999' });
  ids.transmission = await make('/transmissions', { program_id: ids.program, contact_id: ids.contact });
  ids.campaign = await make('/campaigns', { program_id: ids.program, group_id: ids.group, cpm: 1 });
  ids.user = await make('/users', { username: 'alice-customer', passwd: 'customer-pass' });
  ids.provider = await make('/providers', { name: 'alice-trunk', type: 'kannel', service_flag: 4, host: '127.0.0.1', port: 13013, username: 'sms' });
  // One spool to read: send a second transmission and wait for its attempt.
  ids.sent = await make('/transmissions', { program_id: ids.program, contact_id: ids.contact });
  ids.spool = (await d.api('POST', `/transmissions/${ids.sent}/send`, { auth: alice })).json as number;
});
afterAll(() => d.close());

type Case = [method: string, path: string, body?: unknown];
const routes = (): Case[] => [
  ['GET', '/programs'],
  ['GET', `/programs/${ids.program}`],
  ['GET', `/programs/${ids.program}/transmissions`],
  ['PUT', `/programs/${ids.program}/transmissions`, { contact_id: ids.contact }],
  ['POST', '/transmissions', { program_id: ids.program, contact_id: ids.contact }],
  ['GET', '/transmissions'],
  ['GET', `/transmissions/${ids.transmission}`],
  ['GET', `/transmissions/${ids.transmission}/clone`],
  ['GET', `/transmissions/${ids.transmission}/status`],
  ['GET', `/transmissions/${ids.transmission}/detail`],
  ['GET', `/transmissions/${ids.transmission}/result`],
  ['PUT', `/transmissions/${ids.transmission}/schedule`, { hour: 3, minute: 0 }],
  ['DELETE', `/transmissions/${ids.transmission}/schedule`],
  ['GET', `/spools/${ids.spool}/status`],
  ['GET', `/spools/${ids.spool}/result`],
  ['POST', '/contacts', { first_name: 'B', phone: '+61491570157' }],
  ['GET', '/contacts'],
  ['GET', `/contacts/${ids.contact}`],
  ['PUT', `/contacts/${ids.contact}`, { last_name: 'Z' }],
  ['PUT', `/contacts/${ids.contact}/link/${ids.group}`],
  ['POST', '/groups', { name: 'g2' }],
  ['GET', '/groups'],
  ['GET', `/groups/${ids.group}`],
  ['PUT', `/groups/${ids.group}`, { description: 'x' }],
  ['GET', `/groups/${ids.group}/contacts`],
  ['GET', `/groups/${ids.group}/csv`],
  ['GET', '/groups/sample/csv'],
  ['POST', '/campaigns', { program_id: ids.program, group_id: ids.group }],
  ['GET', '/campaigns'],
  ['GET', `/campaigns/${ids.campaign}`],
  ['PUT', `/campaigns/${ids.campaign}`, { cpm: 2 }],
  ['POST', `/campaigns/${ids.campaign}/start/schedule`, { hour: 4 }],
  ['POST', `/campaigns/${ids.campaign}/stop/schedule`, { hour: 5 }],
  ['DELETE', `/campaigns/${ids.campaign}/schedule`],
  ...(['documents', 'recordings', 'templates', 'texts'] as const).flatMap((k): Case[] => {
    const id = ids[k.slice(0, -1)];
    const body = k === 'texts' ? { name: 'n', data: 'd' } : k === 'templates' ? { name: 'n', subject: 's', body: 'b' } : { name: 'n' };
    return [['POST', `/messages/${k}`, body], ['GET', `/messages/${k}`], ['GET', `/messages/${k}/${id}`], ['PUT', `/messages/${k}/${id}`, { description: 'x' }], ...(k === 'templates' ? ([['GET', `/messages/${k}/${id}/media`]] as Case[]) : [])];
  }),
  ['POST', '/accounts', { username: `acc-${Math.random().toString(36).slice(2, 8)}` }],
  ['GET', '/accounts'],
  ['GET', `/accounts/${ids.account}`],
  ['PUT', `/accounts/${ids.account}`, { first_name: 'F' }],
  ['PUT', `/accounts/${ids.account}/programs/${ids.program}`],
  ['DELETE', `/accounts/${ids.account}/programs/${ids.program}`],
  ['DELETE', `/accounts/${ids.account}/programs`],
  ['PUT', `/accounts/${ids.account}/users/${ids.user}`],
  ['DELETE', `/accounts/${ids.account}/users`],
  ['PUT', `/accounts/${ids.account}/settings/color`, { value: 'blue' }],
  ['GET', `/accounts/${ids.account}/settings/color`],
  ['DELETE', `/accounts/${ids.account}/settings/color`],
  ['POST', '/users', { username: `u${Math.random().toString(36).slice(2, 8)}`, passwd: 'password-1' }],
  ['GET', '/users'],
  ['GET', `/users/${ids.user}`],
  ['PUT', `/users/${ids.user}`, { first_name: 'C' }],
  ['PUT', `/users/${ids.user}/password`, { password: 'password-2' }],
  ['POST', '/providers', { name: `t${Math.random().toString(36).slice(2, 8)}`, type: 'kannel', service_flag: 4, host: '127.0.0.1', port: 13013, username: 'sms' }],
  ['GET', '/providers'],
  ['GET', `/providers/${ids.provider}`],
  ['PUT', `/providers/${ids.provider}`, { weight: 5 }],
];
const isCollection = (path: string) => /^\/(programs|transmissions|contacts|groups|campaigns|accounts|users|providers|messages\/\w+)$/.test(path) || path === '/groups/sample/csv';

describe('ICTCore face: every route', () => {
  it("answers its owner, refuses without a token, and hides one tenant's resources from another", async () => {
    for (const [method, path, body] of routes()) {
      const own = await d.api(method, path, { auth: alice, body });
      expect(own.status, `${method} ${path}: ${own.text}`).toBe(200);
      expect((await d.api(method, path, { body })).status, `${method} ${path} without a token`).toBe(401);
      // Unique names stay unique: bob's copy of a body gets his own.
      const bobBody = body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace(/"(username|name)":"([^"]*)"/g, '"$1":"$2-b"'));
      const other = await d.api(method, path, { auth: bob, body: bobBody });
      // A collection answers bob with his own (checked below), unless the body names alice's things.
      const namesAlices = typeof body === 'object' && body !== null && Object.keys(body).some((k) => k.endsWith('_id'));
      if (isCollection(path) && !namesAlices) {
        expect(other.status, `${method} ${path} as bob`).toBe(200);
      } else {
        expect(other.status, `${method} ${path} as bob`).toBe(404);
      }
    }
    // Bob's lists hold none of alice's rows, while alice's own lists do.
    const lists: [string, string, number][] = [
      ['/contacts', 'contact_id', ids.contact!],
      ['/groups', 'group_id', ids.group!],
      ['/campaigns', 'campaign_id', ids.campaign!],
      ['/transmissions', 'transmission_id', ids.transmission!],
      ['/programs', 'program_id', ids.program!],
      ['/messages/texts', 'text_id', ids.text!],
      ['/accounts', 'account_id', ids.account!],
      ['/providers', 'provider_id', ids.provider!],
      ['/users', 'user_id', ids.user!],
    ];
    for (const [path, key, id] of lists) {
      const idsIn = async (auth: string) => ((await d.api('GET', path, { auth })).json as Record<string, number>[]).map((r) => r[key]);
      expect(await idsIn(alice), `${path} as alice`).toContain(id);
      expect(await idsIn(bob), `${path} as bob`).not.toContain(id);
    }
  });

  it('names the field of a bad body with 412', async () => {
    const bad: Case[] = [
      ['POST', '/contacts', { first_name: 'X', phone: 'nope' }],
      ['PUT', `/contacts/${ids.contact}`, { email: 'nope' }],
      ['POST', '/groups', { description: 'no name' }],
      ['PUT', `/groups/${ids.group}`, { name: '' }],
      ['POST', '/campaigns', { program_id: 'x', group_id: ids.group }],
      ['PUT', `/campaigns/${ids.campaign}`, { cpm: 0 }],
      ['POST', '/messages/texts', { name: 'n' }],
      ['PUT', `/messages/texts/${ids.text}`, { type: 'weird' }],
      ['POST', '/messages/templates', { name: 'n', body: 'b' }],
      ['POST', '/messages/documents', { description: 'no name' }],
      ['PUT', `/messages/documents/${ids.document}`, { quality: 'ultra' }],
      ['POST', '/messages/recordings', {}],
      ['POST', '/programs/sendfax', { name: 'f' }],
      ['POST', '/transmissions', { program_id: ids.program }],
      ['PUT', `/programs/${ids.program}/transmissions`, { contact_id: 'x' }],
      ['PUT', `/transmissions/${ids.transmission}/schedule`, { minute: 61 }],
      ['POST', `/campaigns/${ids.campaign}/start/schedule`, { weekday: 9 }],
      ['POST', '/accounts', { username: 'a', email: 'nope' }],
      ['PUT', `/accounts/${ids.account}`, { phone: 'nope' }],
      ['PUT', `/accounts/${ids.account}/settings/x`, {}],
      ['POST', '/users', { username: 'has space', passwd: 'password-1' }],
      ['PUT', `/users/${ids.user}`, { country_id: 'Pakistan' }],
      ['PUT', `/users/${ids.user}/password`, { password: 'short' }],
      ['POST', '/providers', { name: 'x', type: 'smpp', service_flag: 4 }],
      ['PUT', `/providers/${ids.provider}`, { weight: 0 }],
      ['POST', '/authenticate', { username: 'alice' }],
    ];
    for (const [method, path, body] of bad) {
      const r = await d.api(method, path, { auth: alice, body });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(412);
      expect(r.json.error).toMatchObject({ code: 412, message: expect.stringMatching(/^Precondition Failed: Data validation failed, for \w/) });
    }
  });

  it('deletes by DELETE and by GET …/delete, and only what the user owns', async () => {
    const del: [string, number][] = [
      ['/contacts', await make('/contacts', { first_name: 'X', phone: '+61491570160' })],
      ['/groups', await make('/groups', { name: 'x' })],
      ['/messages/texts', await make('/messages/texts', { name: 'x', data: 'y' })],
      ['/messages/documents', await make('/messages/documents', { name: 'x' })],
      ['/messages/recordings', await make('/messages/recordings', { name: 'x' })],
      ['/messages/templates', await make('/messages/templates', { name: 'x', subject: 's', body: 'b' })],
      ['/programs', await make('/programs/sendsms', { name: 'x', text_id: ids.text })],
      ['/transmissions', await make('/transmissions', { program_id: ids.program, contact_id: ids.contact })],
      ['/campaigns', await make('/campaigns', { program_id: ids.program, group_id: ids.group })],
      ['/accounts', await make('/accounts', { username: 'to-delete' })],
      ['/users', await make('/users', { username: 'to-delete', passwd: 'password-1' })],
      ['/providers', await make('/providers', { name: 'to-delete', type: 'kannel', service_flag: 4, host: '127.0.0.1', port: 13013, username: 'sms' })],
    ];
    for (const [i, [base, id]] of del.entries()) {
      expect((await d.api('DELETE', `${base}/${id}`, { auth: bob })).status, `bob DELETE ${base}/${id}`).toBe(404);
      expect((await d.api('GET', `${base}/${id}/delete`, { auth: bob })).status, `bob GET ${base}/${id}/delete`).toBe(404);
      const r = i % 2 === 0 ? await d.api('DELETE', `${base}/${id}`, { auth: alice }) : await d.api('GET', `${base}/${id}/delete`, { auth: alice });
      expect(r.json, `${base}/${id}: ${r.text}`).toBe(true);
      expect((await d.api('GET', `${base}/${id}`, { auth: alice })).status).toBe(404);
    }
    expect((await d.api('DELETE', `/contacts/${ids.contact}/link/${ids.group}`, { auth: bob })).status).toBe(404);
    expect((await d.api('DELETE', `/contacts/${ids.contact}/link/${ids.group}`, { auth: alice })).status).toBe(200);
    expect((await d.api('POST', `/transmissions/${ids.transmission}/retry`, { auth: bob })).status).toBe(404);
    expect((await d.api('PUT', `/campaigns/${ids.campaign}/stop`, { auth: bob })).status).toBe(404);
  });
});
