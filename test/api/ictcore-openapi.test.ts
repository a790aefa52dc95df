import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { DAEMON_PATHS, UCONTACT_PREFIXES } from '../../dist/config/base-paths.js';
import { documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';

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
