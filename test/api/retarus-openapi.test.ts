import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { answerExampleResults, answerProblems, answersWithoutSchema, documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';

let d: TestDaemon;
let doc: Doc;
beforeAll(async () => {
  d = await testDaemon({ retarus: { enabled: true } });
  const r = await d.api('GET', '/rest/v1/openapi.json');
  expect(r.status).toBe(200);
  doc = r.json as Doc;
});
afterAll(() => d?.close());

describe("Retarus face's OpenAPI document", () => {
  it('is served at /rest/v1/openapi.json without credentials, and is structurally OpenAPI 3', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/rest/v1' }]);
    expect(structuralProblems(doc)).toEqual([]);
  });

  it('lists every route the face serves, and only those', () => {
    const served = servedAt(d.app.printRoutes({ commonPrefix: false }), '/rest/v1');
    expect(served).toContain('GET /jobs/{}');
    expect(documented(doc)).toEqual(served);
    expect(unserved(doc, '/rest/v1', (r) => d.app.findRoute(r))).toEqual([]);
    expect(Object.keys(doc.paths)).toContain('/jobs/{jobId}');
  });

  it("gives the seed's JobRequest as the example of POST /jobs, and it validates against the body's schema", () => {
    const results = exampleResults(doc);
    expect(results.map((r) => r.where)).toContain('post /jobs application/json jobRequest');
    expect(results.filter((r) => r.errors !== null)).toEqual([]);
    const example = doc.paths['/jobs']!.post!.requestBody!.content['application/json']!.examples!.jobRequest!.value as { options: { blackoutPeriods: string[] } };
    expect(example.options.blackoutPeriods[0]).toBe('2018-09-24T12:00:00.000+02:00/2018-09-24T13:00:00.000+02:00');
  });

  it('says which routes need credentials: the version and the document are open, the jobs are Basic', async () => {
    expect(doc.components.securitySchemes).toEqual({ basic: expect.objectContaining({ type: 'http', scheme: 'basic' }) });
    expect((doc.paths['/version']!.get as { security?: unknown }).security).toEqual([]);
    expect((doc.paths['/jobs']!.post as { security?: unknown }).security).toBeUndefined();
    expect((await d.api('GET', '/rest/v1/jobs')).status).toBe(401);
  });

  it('an example that breaks the schema is caught (the check can fail)', () => {
    const broken = structuredClone(doc);
    (broken.paths['/jobs']!.post!.requestBody!.content['application/json']!.examples!.jobRequest!.value as { messages: unknown[] }).messages = [{ text: 1 }];
    expect(exampleResults(broken).some((r) => r.errors !== null)).toBe(true);
    broken.paths['/jobs']!.post!.requestBody!.content['application/json']!.schema = { $ref: '#/components/schemas/nothing' };
    expect(structuralProblems(broken)).toEqual([expect.stringContaining('does not resolve')]);
  });

  it("gives every answer a schema and the seed's answers as examples, each validating", () => {
    expect(answersWithoutSchema(doc, 'success')).toEqual([]);
    expect(answersWithoutSchema(doc, 'error')).toEqual([]);
    const results = answerExampleResults(doc);
    expect(results.map((r) => r.where).sort()).toEqual(
      ['post /jobs 201 application/json created', 'get /jobs 200 application/json jobIds', 'get /jobs/{jobId} 200 application/json jobReport', 'get /sms 200 application/json recipients', 'get /version 200 application/json version'].sort(),
    );
    expect(results.filter((r) => r.errors !== null)).toEqual([]);
  });

  it("the face's real answers validate against the document's schemas, and one that differs does not", async () => {
    const u = d.addUser('doc-retarus', 'user');
    const call = async (method: string, url: string, auth: string | undefined, body?: unknown) => {
      const r = await d.api(method, `/rest/v1${url}`, { ...(auth ? { auth } : {}), ...(body !== undefined ? { body } : {}) });
      return { status: r.status, json: r.json as unknown };
    };
    const checks: [string, string, { status: number; json: unknown }][] = [];
    const check = async (method: string, docPath: string, url: string, auth: string | undefined, body?: unknown) => {
      const r = await call(method, url, auth, body);
      checks.push([method, docPath, r]);
      return r;
    };
    const job = { options: { src: 'doc', customerRef: 'JOB.1' }, messages: [{ text: 'Hello', recipients: [{ dst: '+61491570156', customerRef: 'R.1' }, { dst: '+61491570001' }] }] };
    const created = await check('POST', '/jobs', '/jobs', u.auth, job);
    const jobId = (created.json as { jobId: string }).jobId;
    await d.waitFor(async () => ((await call('GET', `/sms?jobId=${jobId}`, u.auth)).json as { processStatus: string }[]).every((r) => r.processStatus === 'DONE'));
    await check('GET', '/jobs/{jobId}', `/jobs/${jobId}`, u.auth);
    await check('GET', '/sms', `/sms?jobId=${jobId}`, u.auth);
    await check('GET', '/jobs', '/jobs', u.auth);
    await check('GET', '/version', '/version', undefined);
    await check('POST', '/jobs', '/jobs', undefined, job);
    await check('POST', '/jobs', '/jobs', u.auth, { options: { qos: 'NOPE' }, messages: [] });
    await check('GET', '/jobs/{jobId}', '/jobs/J.nothing', u.auth);
    await check('GET', '/jobs', '/jobs?limit=0', u.auth);
    expect(checks.map(([m, p, r]) => `${m} ${p} ${r.status}`)).toEqual(['POST /jobs 201', 'GET /jobs/{jobId} 200', 'GET /sms 200', 'GET /jobs 200', 'GET /version 200', 'POST /jobs 401', 'POST /jobs 400', 'GET /jobs/{jobId} 400', 'GET /jobs 400']);
    expect(checks.map(([m, p, r]) => [`${m} ${p} ${r.status}`, answerProblems(doc, m, p, r.status, r.json)]).filter(([, problems]) => problems !== null)).toEqual([]);
    // The check can fail: a recipient report with a status the face never writes, a job report without its ids.
    const recipients = structuredClone(checks[2]![2].json) as { status?: string }[];
    recipients[0]!.status = 'DELIVERED';
    expect(answerProblems(doc, 'GET', '/sms', 200, recipients)).toMatch(/0\/status must match pattern/);
    expect(answerProblems(doc, 'GET', '/jobs/{jobId}', 200, { ...(checks[1]![2].json as object), recipientIds: undefined })).toMatch(/required property 'recipientIds'/);
  });
});
