import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';

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
});
