import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { DAEMON_PATHS, UCONTACT_PREFIXES } from '../../dist/config/base-paths.js';
import { answerProblems, answersWithoutSchema, documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';
import { bearer } from '../helpers/daemon.js';

/** ICTCore is served at /api and at the site root; every other mount is another face's or the daemon's. */
const OTHERS = ['/api', '/api/v1', '/rest/v1', ...UCONTACT_PREFIXES, ...DAEMON_PATHS, '/m', '/mms'];
let d: TestDaemon;
const docs = new Map<string, Doc>();
beforeAll(async () => {
  d = await testDaemon({ retarus: { enabled: true }, ucontact: { enabled: true } });
  for (const prefix of ['/api', '']) {
    const r = await d.api('GET', `${prefix}/openapi.json`);
    expect(r.status).toBe(200);
    docs.set(prefix, r.json as Doc);
  }
});
afterAll(() => d?.close());

describe.each([
  ['/api', '/api'],
  ['the site root', ''],
])("ICTCore's OpenAPI document at %s", (_name, prefix) => {
  it('is served without a token, and is structurally OpenAPI 3', () => {
    const doc = docs.get(prefix)!;
    expect(doc.servers).toEqual([{ url: prefix || '/' }]);
    expect(structuralProblems(doc)).toEqual([]);
  });

  it('lists every route the face serves there, and only those', () => {
    const served = servedAt(
      d.app.printRoutes({ commonPrefix: false }),
      prefix,
      OTHERS.filter((o) => o !== prefix),
    );
    expect(served).toEqual(expect.arrayContaining(['POST /authenticate', 'GET /transmissions/{}/status', 'PUT /messages/documents/{}/media', 'POST /campaigns/{}/start/schedule', 'PUT /accounts/{}/settings/{}']));
    expect(documented(docs.get(prefix)!)).toEqual(served);
    // With the parameters' own names (`/programs/{type}` beside `/programs/{id}`).
    expect(unserved(docs.get(prefix)!, prefix, (r) => d.app.findRoute(r))).toEqual([]);
    expect(Object.keys(docs.get(prefix)!.paths)).toEqual(expect.arrayContaining(['/programs/{type}', '/programs/{id}']));
    // The check holds names to the route's: a name the route does not have is caught.
    const renamed = structuredClone(docs.get(prefix)!);
    renamed.paths['/programs/{nope}'] = renamed.paths['/programs/{id}']!;
    expect(unserved(renamed, prefix, (r) => d.app.findRoute(r))).toEqual(expect.arrayContaining(['get /programs/{nope}']));
  });

  it('describes every route it serves (none left with only its method and path)', () => {
    const bare = Object.entries(docs.get(prefix)!.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([m, op]) => (op as { summary: string }).summary === `${m.toUpperCase()} ${p}`)
        .map(([m]) => `${m} ${p}`),
    );
    expect(bare).toEqual([]);
  });

  it("gives the seed's authenticate request as its example, and it validates against the route's schema", () => {
    expect(exampleResults(docs.get(prefix)!)).toEqual([{ where: 'post /authenticate application/json credentials', errors: null }]);
  });
});

describe("ICTCore's OpenAPI document", () => {
  it('the same document at both paths but for its server', () => {
    expect({ ...docs.get('/api')!, servers: [] }).toEqual({ ...docs.get('')!, servers: [] });
  });

  it('takes a Bearer JWT or Basic credentials everywhere but /authenticate, its cancel and the document', async () => {
    const doc = docs.get('/api')!;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['basic', 'bearer']);
    const open = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => (op as { security?: unknown[] }).security?.length === 0)
        .map(([m]) => `${m} ${p}`),
    );
    expect(open.sort()).toEqual(['get /openapi.json', 'post /authenticate', 'post /authenticate/cancel']);
    expect((await d.api('GET', '/api/programs')).status).toBe(401);
  });

  it("a program's body in the document is the schema the route validates with (its fields, as zod writes them)", () => {
    const doc = docs.get('/api')!;
    const ref = (doc.paths['/programs/{type}']!.post!.requestBody!.content['application/json']!.schema as { $ref: string }).$ref.split('/').pop()!;
    expect(Object.keys((doc.components.schemas[ref] as { properties: object }).properties)).toEqual(expect.arrayContaining(['name', 'account_id']));
  });
});

describe("ICTCore's answers in its OpenAPI document", () => {
  /** The resources made by crudRoutes, each at /messages/<kind>s and /<kind>s too. */
  const CRUD = ['/contacts', '/groups', '/campaigns', '/accounts', '/programs', '/messages/documents', '/documents', '/messages/recordings', '/recordings', '/messages/templates', '/templates', '/messages/texts', '/texts'];

  it("gives every answer a schema: each success its own, every error the face's envelope; the routes that always refuse list no success", () => {
    const doc = docs.get('/api')!;
    expect(answersWithoutSchema(doc, 'error')).toEqual([]);
    expect(answersWithoutSchema(doc, 'success')).toEqual([]);
    expect(doc.components.schemas.ErrorAnswer).toMatchObject({ type: 'object', required: ['error'] });
    const noSuccess = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => !Object.keys(op.responses).some((st) => /^2/.test(st)))
        .map(([m]) => `${m} ${path}`),
    );
    expect(noSuccess.sort()).toEqual(['delete /roles/{role_id}', 'delete /roles/{role_id}/permissions/{permission_id}', 'post /permissions', 'post /roles', 'put /roles/{role_id}', 'put /roles/{role_id}/permissions/{permission_id}']);
    // Every resource's list, item and delete are there, with their schemas (the others as the resource has them).
    const ops = Object.entries(doc.paths).flatMap(([path, o]) => Object.keys(o).map((m) => `${m} ${path}`));
    for (const c of CRUD) expect(ops).toEqual(expect.arrayContaining([`get ${c}`, `get ${c}/{id}`, `delete ${c}/{id}`, `get ${c}/{id}/delete`]));
  });

  it("the face's real answers validate against the document's schemas, and one that differs does not", async () => {
    const doc = docs.get('/api')!;
    d.addUser('ict-doc', 'user', { password: 'ict-doc-password-1' });
    const token = await bearer(d, 'ict-doc', 'ict-doc-password-1');
    const checks: [string, string, number, unknown, string][] = [];
    const call = async (method: string, docPath: string, url: string, body?: unknown, opts: { raw?: string; auth?: string | null; type?: string } = {}) => {
      const res = await fetch(`${d.url}/api${url}`, {
        method,
        headers: { ...(opts.auth === null ? {} : { authorization: opts.auth ?? token }), ...(body !== undefined ? { 'content-type': 'application/json' } : opts.raw !== undefined ? { 'content-type': 'text/csv' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : opts.raw !== undefined ? { body: opts.raw } : {}),
      });
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
      const text = await res.text();
      const value = type === 'application/json' ? (JSON.parse(text) as unknown) : text;
      checks.push([method, docPath, res.status, value, type]);
      return value;
    };
    const auth = (await call('POST', '/authenticate', '/authenticate', { username: 'ict-doc', password: 'ict-doc-password-1' }, { auth: null })) as { token: string };
    expect(auth.token).toEqual(expect.any(String));
    const contact = (await call('POST', '/contacts', '/contacts', { first_name: 'Ann', phone: '+61491570156' })) as number;
    await call('GET', '/contacts', '/contacts');
    await call('GET', '/contacts/{id}', `/contacts/${contact}`);
    await call('PUT', '/contacts/{id}', `/contacts/${contact}`, { last_name: 'Lee' });
    const group = (await call('POST', '/groups', '/groups', { name: 'doc group' })) as number;
    await call('PUT', '/contacts/{id}/link/{group_id}', `/contacts/${contact}/link/${group}`);
    await call('POST', '/groups/{id}/csv', `/groups/${group}/csv`, undefined, { raw: 'phone,first_name\n+61491570157,Ben\nbad,Cy\n' });
    await call('GET', '/groups/{id}/contacts', `/groups/${group}/contacts`);
    await call('GET', '/groups/{id}', `/groups/${group}`);
    await call('GET', '/groups/{id}/csv', `/groups/${group}/csv`);
    await call('GET', '/groups/sample/csv', '/groups/sample/csv');
    const program = (await call('POST', '/programs/{type}', '/programs/sendsms', { name: 'doc program', data: 'hi' })) as number;
    await call('GET', '/programs/{id}', `/programs/${program}`);
    await call('GET', '/programs/{id}', '/programs/sendsms');
    await call('GET', '/texts', '/texts');
    const campaign = (await call('POST', '/campaigns', '/campaigns', { program_id: program, group_id: group })) as number;
    await call('GET', '/campaigns/{id}', `/campaigns/${campaign}`);
    const account = (await call('POST', '/accounts', '/accounts', { username: 'ict-doc-acc', type: 'eaddress', email: 'doc@example.com' })) as number;
    await call('GET', '/accounts', '/accounts');
    await call('PUT', '/accounts/{id}/programs/{program_id}', `/accounts/${account}/programs/${program}`);
    await call('DELETE', '/accounts/{id}/programs/{program_id}', `/accounts/${account}/programs/${program}`);
    await call('PUT', '/accounts/{id}/settings/{name}', `/accounts/${account}/settings/greeting`, { value: 'hello' });
    await call('GET', '/accounts/{id}/settings/{name}', `/accounts/${account}/settings/greeting`);
    await call('DELETE', '/accounts/{id}/settings/{name}', `/accounts/${account}/settings/greeting`);
    await call('DELETE', '/accounts/{id}/users', `/accounts/${account}/users`);
    await call('GET', '/statistics', '/statistics');
    const tx = (await call('POST', '/transmissions', '/transmissions', { program_id: program, phone: '+61491570156' })) as number;
    await call('GET', '/transmissions/{id}', `/transmissions/${tx}`);
    await call('POST', '/transmissions/{id}/send', `/transmissions/${tx}/send`);
    await d.waitFor(async () => ((await (await fetch(`${d.url}/api/transmissions/${tx}/status`, { headers: { authorization: token } })).json()) as string) === 'completed');
    await call('GET', '/transmissions/{id}/status', `/transmissions/${tx}/status`);
    const spools = (await call('GET', '/transmissions/{id}/detail', `/transmissions/${tx}/detail`)) as { spool_id: number }[];
    await call('GET', '/transmissions/{id}/result', `/transmissions/${tx}/result`);
    await call('GET', '/spools/{id}/status', `/spools/${spools[0]!.spool_id}/status`);
    await call('GET', '/spools/{id}/result', `/spools/${spools[0]!.spool_id}/result`);
    await call('GET', '/transmissions', '/transmissions');
    await call('GET', '/programs/{id}/transmissions', `/programs/${program}/transmissions`);
    await call('GET', '/transmissions/{id}/clone', `/transmissions/${tx}/clone`);
    await call('DELETE', '/contacts/{id}/link/{group_id}', `/contacts/${contact}/link/${group}`);
    await call('DELETE', '/contacts/{id}', `/contacts/${contact}`);
    // An admin's: users, providers, roles and permissions.
    d.addUser('ict-doc-admin', 'admin', { password: 'ict-doc-admin-password-1' });
    const admin = await bearer(d, 'ict-doc-admin', 'ict-doc-admin-password-1');
    const as = { auth: admin };
    const newUser = (await call('POST', '/users', '/users', { username: 'ict-doc-new', password: 'ict-doc-new-password-1', first_name: 'Nia' }, as)) as number;
    await call('GET', '/users', '/users', undefined, as);
    await call('GET', '/users/{id}', `/users/${newUser}`, undefined, as);
    await call('PUT', '/users/{id}', `/users/${newUser}`, { last_name: 'Cole' }, as);
    await call('PUT', '/users/{id}/password', `/users/${newUser}/password`, { password: 'ict-doc-new-password-2' }, as);
    await call('PUT', '/users/{id}/roles/{role_id}', `/users/${newUser}/roles/2`, undefined, as);
    await call('DELETE', '/users/{id}', `/users/${newUser}`, undefined, as);
    const trunk = (await call('POST', '/providers', '/providers', { name: 'doc-trunk', type: 'kannel', service_flag: 4, host: '127.0.0.1', port: 9, username: 'u', password: 'p', active: 0 }, as)) as number;
    await call('GET', '/providers', '/providers', undefined, as);
    await call('GET', '/providers/{id}', `/providers/${trunk}`, undefined, as);
    await call('DELETE', '/providers/{id}', `/providers/${trunk}`, undefined, as);
    await call('GET', '/roles', '/roles', undefined, as);
    await call('GET', '/roles/{role_id}', '/roles/3', undefined, as);
    await call('GET', '/permissions', '/permissions', undefined, as);
    await call('POST', '/roles', '/roles', { name: 'x' }, as);
    // Errors, each in the face's envelope.
    await call('GET', '/contacts', '/contacts', undefined, { auth: 'Bearer not-a-token' });
    await call('GET', '/contacts/{id}', `/contacts/${contact}`);
    await call('POST', '/contacts', '/contacts', { phone: 'abc' });
    await call('POST', '/groups/{id}/csv', `/groups/${group}/csv`, undefined, { raw: 'phone,Phone\n+61491570158,+61491570159\n' });
    expect(checks.map(([m, p, status, , type]) => `${m} ${p} ${status} ${type}`)).toEqual([
      'POST /authenticate 200 application/json',
      'POST /contacts 200 application/json',
      'GET /contacts 200 application/json',
      'GET /contacts/{id} 200 application/json',
      'PUT /contacts/{id} 200 application/json',
      'POST /groups 200 application/json',
      'PUT /contacts/{id}/link/{group_id} 200 application/json',
      'POST /groups/{id}/csv 200 application/json',
      'GET /groups/{id}/contacts 200 application/json',
      'GET /groups/{id} 200 application/json',
      'GET /groups/{id}/csv 200 text/csv',
      'GET /groups/sample/csv 200 text/csv',
      'POST /programs/{type} 200 application/json',
      'GET /programs/{id} 200 application/json',
      'GET /programs/{id} 200 application/json',
      'GET /texts 200 application/json',
      'POST /campaigns 200 application/json',
      'GET /campaigns/{id} 200 application/json',
      'POST /accounts 200 application/json',
      'GET /accounts 200 application/json',
      'PUT /accounts/{id}/programs/{program_id} 200 application/json',
      'DELETE /accounts/{id}/programs/{program_id} 200 application/json',
      'PUT /accounts/{id}/settings/{name} 200 application/json',
      'GET /accounts/{id}/settings/{name} 200 application/json',
      'DELETE /accounts/{id}/settings/{name} 200 application/json',
      'DELETE /accounts/{id}/users 200 application/json',
      'GET /statistics 200 application/json',
      'POST /transmissions 200 application/json',
      'GET /transmissions/{id} 200 application/json',
      'POST /transmissions/{id}/send 200 application/json',
      'GET /transmissions/{id}/status 200 application/json',
      'GET /transmissions/{id}/detail 200 application/json',
      'GET /transmissions/{id}/result 200 application/json',
      'GET /spools/{id}/status 200 application/json',
      'GET /spools/{id}/result 200 application/json',
      'GET /transmissions 200 application/json',
      'GET /programs/{id}/transmissions 200 application/json',
      'GET /transmissions/{id}/clone 200 application/json',
      'DELETE /contacts/{id}/link/{group_id} 200 application/json',
      'DELETE /contacts/{id} 200 application/json',
      'POST /users 200 application/json',
      'GET /users 200 application/json',
      'GET /users/{id} 200 application/json',
      'PUT /users/{id} 200 application/json',
      'PUT /users/{id}/password 200 application/json',
      'PUT /users/{id}/roles/{role_id} 200 application/json',
      'DELETE /users/{id} 200 application/json',
      'POST /providers 200 application/json',
      'GET /providers 200 application/json',
      'GET /providers/{id} 200 application/json',
      'DELETE /providers/{id} 200 application/json',
      'GET /roles 200 application/json',
      'GET /roles/{role_id} 200 application/json',
      'GET /permissions 200 application/json',
      'POST /roles 403 application/json',
      'GET /contacts 401 application/json',
      'GET /contacts/{id} 404 application/json',
      'POST /contacts 412 application/json',
      'POST /groups/{id}/csv 412 application/json',
    ]);
    expect(checks.map(([m, p, status, value, type]) => [`${m} ${p} ${status}`, answerProblems(doc, m, p, status, value, type)]).filter(([, problems]) => problems !== null)).toEqual([]);
    // The check can fail: a contact without its id, a CSV import's rejected row without its line.
    const got = checks[3]![3] as Record<string, unknown>;
    expect(answerProblems(doc, 'GET', '/contacts/{id}', 200, { ...got, contact_id: 'one' })).toMatch(/contact_id must be integer/);
    expect(answerProblems(doc, 'POST', '/groups/{id}/csv', 200, { ...(checks[7]![3] as object), rejected: [{ error: 'x' }] })).toMatch(/required property 'line'/);
    expect(answerProblems(doc, 'GET', '/transmissions/{id}/status', 200, 'done')).toMatch(/must be equal to one of the allowed values/);
  });
});
