import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { answerExampleResults, answerProblems, answersWithoutSchema, documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';

let d: TestDaemon;
let doc: Doc;
beforeAll(async () => {
  d = await testDaemon();
  const r = await d.api('GET', '/api/v1/openapi.json');
  expect(r.status).toBe(200);
  doc = r.json as Doc;
});
afterAll(() => d?.close());

describe("v1 jobs API's OpenAPI document", () => {
  it('is served at /api/v1/openapi.json without credentials, and is structurally OpenAPI 3', () => {
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(structuralProblems(doc)).toEqual([]);
  });

  it('lists every route the face serves, and only those', () => {
    const served = servedAt(d.app.printRoutes({ commonPrefix: false }), '/api/v1');
    expect(served).toEqual(expect.arrayContaining(['GET /jobs/{}', 'PUT /users/{}', 'GET /client_verification/sendCode', 'POST /client_verification/validateCode']));
    expect(documented(doc)).toEqual(served);
    expect(unserved(doc, '/api/v1', (r) => d.app.findRoute(r))).toEqual([]);
  });

  it("gives the seed's requests as examples, and every one validates against its body's schema", () => {
    const results = exampleResults(doc);
    expect(results.map((r) => r.where).sort()).toEqual(
      [
        'post /jobs application/json overview',
        'post /jobs application/json sms',
        'post /jobs application/json smsToLists',
        'post /users application/json newCompany',
        'post /users application/json existingCompany',
        'put /users/{id} application/json changes',
        'post /client_verification/sendCode application/json sendCode',
        'post /client_verification/validateCode application/json validateCode',
      ].sort(),
    );
    expect(results.filter((r) => r.errors !== null)).toEqual([]);
  });

  it('the job body in the document is the schema the route validates with: a job the route refuses breaks it too', async () => {
    const u = d.addUser('doc-user', 'user');
    const bad = { job_type: 'sms', message: 'hi', recipients: [{ destination: '+61491570156' }], no_such_field: 1 };
    expect((await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: bad })).status).toBe(422);
    const broken = structuredClone(doc);
    broken.paths['/jobs']!.post!.requestBody!.content['application/json']!.examples = { bad: { value: bad } };
    expect(exampleResults(broken).filter((r) => r.where.startsWith('post /jobs '))).toEqual([{ where: 'post /jobs application/json bad', errors: expect.stringContaining('additional properties') }]);
  });

  it('asks Basic credentials on every route but the document itself', async () => {
    expect(doc.components.securitySchemes).toEqual({ basic: expect.objectContaining({ scheme: 'basic' }) });
    const open = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => (op as { security?: unknown[] }).security?.length === 0)
        .map(([m]) => `${m} ${p}`),
    );
    expect(open).toEqual(['get /openapi.json']);
    expect((await d.api('GET', '/api/v1/jobs')).status).toBe(401);
  });

  it("gives every answer a schema: the success answers their own, every error the face's envelope", () => {
    expect(answersWithoutSchema(doc, 'success')).toEqual([]);
    expect(answersWithoutSchema(doc, 'error')).toEqual([]);
    expect(doc.components.schemas.ErrorAnswer).toMatchObject({ type: 'object', required: ['status', 'errors'] });
  });

  it("gives the seed's answers as examples, and every one validates against its answer's schema", () => {
    const results = answerExampleResults(doc);
    expect(results.map((r) => r.where).sort()).toEqual(
      [
        'post /jobs 200 application/json created',
        'post /jobs 401 application/json invalidCredentials',
        'get /jobs 200 application/json page',
        'get /jobs/{id} 200 application/json job',
        'get /users 200 application/json page',
        'get /users/{id} 200 application/json user',
        'post /users 200 application/json saved',
        'post /users 422 application/json taken',
        'put /users/{id} 200 application/json saved',
        'get /client_verification/sendCode 200 application/json sent',
        'post /client_verification/sendCode 200 application/json sent',
        'get /client_verification/validateCode 200 application/json invalid',
        'post /client_verification/validateCode 200 application/json invalid',
      ].sort(),
    );
    expect(results.filter((r) => r.errors !== null)).toEqual([]);
  });

  it("the face's real answers validate against the document's schemas, and one that differs does not", async () => {
    const admin = d.addUser('doc-admin', 'admin', { password: 'doc-admin-secret' });
    const user = d.addUser('doc-answers', 'user');
    const call = async (method: string, url: string, auth: string | undefined, body?: unknown) => {
      const r = await d.api(method, `/api/v1${url}`, { ...(auth ? { auth } : {}), ...(body !== undefined ? { body } : {}) });
      return { status: r.status, json: r.json as unknown };
    };
    const checks: [string, string, { status: number; json: unknown }][] = [];
    const check = async (method: string, docPath: string, url: string, auth: string | undefined, body?: unknown) => {
      const r = await call(method, url, auth, body);
      checks.push([method, docPath, r]);
      return r;
    };
    const created = await check('POST', '/jobs', '/jobs', user.auth, { job_type: 'sms', message: 'Hi %%recipient%%', callback_url: null, recipients: [{ destination: '+61491570156', recipient: 'Jane', reference: 'r1' }] });
    expect(created.status).toBe(200);
    await d.waitFor(async () => ((await call('GET', `/jobs/${(created.json as { data: number }).data}`, user.auth)).json as { data: { job_status: string } }).data.job_status === 'Complete');
    await check('GET', '/jobs/{id}', `/jobs/${(created.json as { data: number }).data}`, user.auth);
    await check('GET', '/jobs', '/jobs?page_size=5', user.auth);
    await check('GET', '/users', '/users', admin.auth);
    await check('GET', '/users', '/users', user.auth);
    await check('GET', '/users/{id}', `/users/${user.id}`, user.auth);
    const added = await check('POST', '/users', '/users', admin.auth, { user_code: 'doc-new', password: 'A long password 1', first_name: 'Ann' });
    await check('PUT', '/users/{id}', `/users/${(added.json as { data: number }).data}`, admin.auth, { first_name: 'Anna' });
    await check('POST', '/client_verification/validateCode', '/client_verification/validateCode', user.auth, { client_ref: 'nobody', entered_code: '123456' });
    await check('POST', '/client_verification/sendCode', '/client_verification/sendCode', user.auth, { client_ref: 'c1', message_type: 'sms', message_destination: '+61491570008', company_name: 'X' });
    // Errors: each in the face's envelope.
    await check('POST', '/jobs', '/jobs', undefined, {});
    await check('POST', '/jobs', '/jobs', user.auth, { job_type: 'sms' });
    await check('GET', '/jobs/{id}', '/jobs/999999', user.auth);
    await check('POST', '/users', '/users', admin.auth, { user_code: 'doc-new', password: 'A long password 1' });
    await check('POST', '/client_verification/sendCode', '/client_verification/sendCode', user.auth, {});
    expect(checks.map(([m, p, r]) => `${m} ${p} ${r.status}`)).toEqual([
      'POST /jobs 200',
      'GET /jobs/{id} 200',
      'GET /jobs 200',
      'GET /users 200',
      'GET /users 200',
      'GET /users/{id} 200',
      'POST /users 200',
      'PUT /users/{id} 200',
      'POST /client_verification/validateCode 200',
      'POST /client_verification/sendCode 200',
      'POST /jobs 401',
      'POST /jobs 422',
      'GET /jobs/{id} 404',
      'POST /users 422',
      'POST /client_verification/sendCode 422',
    ]);
    expect(checks.map(([m, p, r]) => [`${m} ${p} ${r.status}`, answerProblems(doc, m, p, r.status, r.json)]).filter(([, problems]) => problems !== null)).toEqual([]);
    // The check can fail: an answer with a field of the wrong type, or without one the schema requires.
    const detail = structuredClone(checks[1]![2].json) as { data: { reports: { status: unknown }[]; job_id?: unknown } };
    detail.data.reports[0]!.status = 3;
    expect(answerProblems(doc, 'GET', '/jobs/{id}', 200, detail)).toMatch(/reports\/0\/status must be string/);
    delete detail.data.job_id;
    expect(answerProblems(doc, 'GET', '/jobs/{id}', 200, detail)).toMatch(/must have required property 'job_id'/);
    expect(answerProblems(doc, 'POST', '/jobs', 422, { status: 422, error: 'x' })).toMatch(/must have required property 'errors'/);
  });
});
