import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { answerExampleResults, answerProblems, answersWithoutSchema, documented, exampleResults, servedAt, structuralProblems, unserved, type Doc } from '../helpers/openapi.js';

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

  it("gives every answer a schema (text or JSON, each route's refusal in its own form) and the seed's answers as examples, each validating", () => {
    const doc = docs.get(PREFIXES[0]!)!;
    expect(answersWithoutSchema(doc, 'success')).toEqual([]);
    expect(answersWithoutSchema(doc, 'error')).toEqual([]);
    const results = answerExampleResults(doc);
    expect(results.map((r) => r.where).sort()).toEqual(
      [
        'post /SMS/SendSMS 200 text/plain ok',
        'post /SMS/SendSMS 400 text/plain error',
        'get /InboundSMS/ReceiveURLSMS 200 text/plain ok',
        'get /InboundSMS/ReceiveURLSMS 400 text/plain error',
        'post /InboundSMS/ReceiveURLSMS 200 text/plain ok',
        'post /InboundSMS/ReceiveURLSMS 400 text/plain error',
        'post /Forms/sendEmail 200 application/json guid',
      ].sort(),
    );
    expect(results.filter((r) => r.errors !== null)).toEqual([]);
  });

  it("the face's real answers validate against the document's schemas, in the media type they come as, and one that differs does not", async () => {
    const doc = docs.get(PREFIXES[0]!)!;
    d.addUser('uc-doc', 'user', { password: 'uc-doc-password-1' });
    const checks: [string, string, { status: number; type: string; body: unknown }][] = [];
    const call = async (method: string, path: string, fields: Record<string, string>, token?: string) => {
      const url = `${d.url}/Integra/resources${path}`;
      const form = new URLSearchParams(fields).toString();
      const res = await fetch(method === 'GET' ? `${url}?${form}` : url, {
        method,
        headers: { ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' } : {}), ...(token ? { authorization: token } : {}) },
        ...(method === 'POST' ? { body: form } : {}),
      });
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
      const text = await res.text();
      const r = { status: res.status, type, body: type === 'application/json' ? (JSON.parse(text) as unknown) : text };
      checks.push([method, path, r]);
      return r;
    };
    const login = await call('POST', '/auth/login', { user: 'uc-doc', password: 'uc-doc-password-1' });
    const token = (login.body as { token: string }).token;
    await call('POST', '/auth/getUserToken', { user: 'uc-doc', password: 'uc-doc-password-1' });
    await call('POST', '/SMS/SendSMS', { destination: '+61491570156', message: 'Hola', campaign: 'Ventas' }, token);
    await call('POST', '/SMS/SendSMSv2', { destination: '+61491570156', message: 'Hola', campaign: 'Ventas' }, token);
    await call('GET', '/InboundSMS/ReceiveURLSMS', { phone: '+61491570156', message: 'hola' }, token);
    await call('POST', '/SMS/uploadbase', { fileb64: Buffer.from('Ventas;+61491570156;Hola;1\n').toString('base64') }, token);
    // Refusals, each in its route's form.
    await call('POST', '/auth/login', { user: 'uc-doc', password: 'wrong' });
    await call('POST', '/auth/getUserToken', { user: 'uc-doc', password: 'wrong' });
    await call('POST', '/SMS/SendSMS', {}, token);
    await call('POST', '/SMS/SendSMSv2', {}, token);
    await call('GET', '/InboundSMS/ReceiveURLSMS', { phone: 'x' }, token);
    await call('POST', '/auth/logout', {}, token);
    await call('POST', '/SMS/SendSMSv2', { destination: '+61491570156', message: 'Hola' }, token);
    await call('POST', '/SMS/SendSMS', { destination: '+61491570156', message: 'Hola' }, token);
    expect(checks.map(([m, p, r]) => `${m} ${p} ${r.status} ${r.type}`)).toEqual([
      'POST /auth/login 200 application/json',
      'POST /auth/getUserToken 200 application/json',
      'POST /SMS/SendSMS 200 text/plain',
      'POST /SMS/SendSMSv2 200 application/json',
      'GET /InboundSMS/ReceiveURLSMS 200 text/plain',
      'POST /SMS/uploadbase 200 text/plain',
      'POST /auth/login 401 text/plain',
      'POST /auth/getUserToken 401 text/plain',
      'POST /SMS/SendSMS 400 text/plain',
      'POST /SMS/SendSMSv2 400 application/json',
      'GET /InboundSMS/ReceiveURLSMS 400 text/plain',
      'POST /auth/logout 200 text/plain',
      // The session is over: no valid token.
      'POST /SMS/SendSMSv2 401 application/json',
      'POST /SMS/SendSMS 401 text/plain',
    ]);
    expect(checks.map(([m, p, r]) => [`${m} ${p} ${r.status}`, answerProblems(doc, m, p, r.status, r.body, r.type)]).filter(([, problems]) => problems !== null)).toEqual([]);
    // The check can fail: another text, a JSON answer of the wrong shape.
    expect(answerProblems(doc, 'POST', '/SMS/SendSMS', 200, 'ERROR', 'text/plain')).toMatch(/must be equal to constant/);
    expect(answerProblems(doc, 'POST', '/auth/getUserToken', 200, ['uc-doc', 'a', 'token'])).toMatch(/1 must be integer/);
  });
});
