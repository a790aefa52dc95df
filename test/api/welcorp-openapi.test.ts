import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';

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
});
