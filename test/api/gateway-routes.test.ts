import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { gatewayRoutes, type PeerRoute } from '../../dist/api/gateway-routes.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('/gateways/* (its own module, registered by main)', () => {
  it('answers a peer on the route a gateway serves now, with its query, in plain text; others 404', async () => {
    const seen: string[] = [];
    const live: PeerRoute[] = [];
    app = Fastify();
    gatewayRoutes(app, () => live);
    await app.ready();
    const dlr: PeerRoute = { method: 'GET', path: '/gateways/kannel/7/dlr', handle: async (q) => (seen.push(q), { status: 202, body: 'stored' }) };
    expect((await app.inject({ method: 'GET', url: '/gateways/kannel/7/dlr?id=1&type=1' })).statusCode).toBe(404);
    live.push(dlr); // a provider added at run time is served without a new route
    const r = await app.inject({ method: 'GET', url: '/gateways/kannel/7/dlr?id=1&type=1' });
    expect([r.statusCode, r.headers['content-type'], r.body]).toEqual([202, 'text/plain', 'stored']);
    expect(seen).toEqual(['id=1&type=1']);
    const wrongMethod = await app.inject({ method: 'POST', url: '/gateways/kannel/7/dlr' });
    expect([wrongMethod.statusCode, wrongMethod.body]).toEqual([404, 'no such gateway route']);
    expect((await app.inject({ method: 'GET', url: '/gateways/kannel/8/dlr' })).statusCode).toBe(404);
  });
});
