import type { FastifyInstance } from 'fastify';

/** A path a peer calls back on (Kannel's DLR and MO URLs), as a gateway serves it. */
export interface PeerRoute {
  method: 'GET' | 'POST';
  path: string;
  /** The raw query string (without "?"); resolves with the answer once what it reports is stored. */
  handle(rawQuery: string): Promise<{ status: number; body: string }>;
}

/**
 * Peers' callbacks under /gateways/*, answered in plain text once what they report is stored. One
 * route looks the path up among `routes()` at each request, so a provider added or changed at run
 * time is served too. Its own structural type: the HTTP side does not import the gateways.
 */
export function gatewayRoutes(app: FastifyInstance, routes: () => readonly PeerRoute[]): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/gateways/*',
    handler: async (req, reply) => {
      const raw = req.raw.url ?? '';
      const path = raw.split('?')[0]!;
      const route = routes().find((r) => r.path === path && r.method === req.method);
      if (!route) return reply.code(404).type('text/plain').send('no such gateway route');
      const answer = await route.handle(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '');
      return reply.code(answer.status).type('text/plain').send(answer.body);
    },
  });
}
