import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';

const PREFIXES = ['/Integra/resources', '/IntegraChannels/resources'];
let d: TestDaemon;
const docs = new Map<string, Doc>();
beforeAll(async () => {
  d = await testDaemon({ ucontact: { enabled: true } });
  for (const prefix of PREFIXES) {
    const r = await d.api('GET', `${prefix}/openapi.json`);
    expect(r.status).toBe(200);
    docs.set(prefix, r.json as Doc);
  }
});
afterAll(() => d?.close());

describe.each(PREFIXES)("uContact's OpenAPI document at %s", (prefix) => {
  it('is served without a session, and is structurally OpenAPI 3', () => {
    const doc = docs.get(prefix)!;
    expect(doc.servers).toEqual([{ url: prefix }]);
    expect(structuralProblems(doc)).toEqual([]);
  });

  it('lists every route the face serves there, and only those', () => {
    const served = servedAt(d.app.printRoutes({ commonPrefix: false }), prefix);
    expect(served).toEqual(expect.arrayContaining(['POST /SMS/SendSMS', 'GET /InboundSMS/ReceiveURLSMS', 'POST /Forms/sendEmail', 'POST /auth/login']));
    expect(documented(docs.get(prefix)!)).toEqual(served);
    expect(unserved(docs.get(prefix)!, prefix, (r) => d.app.findRoute(r))).toEqual([]);
  });

  it("gives the seed's sendEmail and ScheduleDialerSMS requests as examples, and they validate against the routes' schemas", () => {
    const results = exampleResults(docs.get(prefix)!);
    expect(results).toEqual([
      { where: 'post /Forms/sendEmail application/json sendEmail', errors: null },
      { where: 'post /SMS/ScheduleDialerSMS application/x-www-form-urlencoded scheduleDialerSMS', errors: null },
      { where: 'post /SMS/ScheduleDialerSMS application/json scheduleDialerSMS', errors: null },
    ]);
  });
});

describe("uContact's OpenAPI document", () => {
  it('says the session token is asked everywhere but at login and the document', async () => {
    const doc = docs.get(PREFIXES[0]!)!;
    expect(doc.components.securitySchemes).toEqual({ session: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Authorization' }) });
    const open = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => (op as { security?: unknown[] }).security?.length === 0)
        .map(([m]) => `${m} ${p}`),
    );
    expect(open.sort()).toEqual(['get /openapi.json', 'post /auth/getUserToken', 'post /auth/login']);
    expect((await d.api('POST', '/Integra/resources/SMS/SendSMS', { body: {} })).status).toBe(401);
  });

  it("describes a form by the seed's field names, in both media types", () => {
    const op = docs.get(PREFIXES[0]!)!.paths['/SMS/SendSMS']!.post!;
    expect(Object.keys(op.requestBody!.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
    const ref = (op.requestBody!.content['application/json']!.schema as { $ref: string }).$ref.split('/').pop()!;
    const schema = docs.get(PREFIXES[0]!)!.components.schemas[ref] as { properties: Record<string, { description: string }>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(['destination', 'message', 'campaign', 'agent', 'source']);
    expect(schema.required).toEqual(['destination', 'message']);
  });
});
