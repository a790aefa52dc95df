import type { FastifyInstance } from 'fastify';

/** What a peer's POST brought (an MMSC's SOAP request): its headers and its body as bytes, unparsed. */
export interface PeerRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A path a peer calls back on (Kannel's DLR and MO URLs, an MMSC's MM7 requests), as a gateway serves it. */
export interface PeerRoute {
  method: 'GET' | 'POST';
  path: string;
  /** The raw query string (without "?") and the request; resolves with the answer once what it reports is stored. */
  handle(rawQuery: string, request: PeerRequest): Promise<{ status: number; body: string; contentType?: string }>;
}

/** The largest body a peer may post (an inbound MMS with its media). */
const PEER_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * Peers' callbacks under /gateways/*, answered once what they report is stored (plain text unless the
 * route says otherwise). One route looks the path up among `routes()` at each request, so a provider
 * added or changed at run time is served too. Its own structural type: the HTTP side does not import
 * the gateways. Bodies of any type reach the route as bytes (in a scope of their own: the faces keep
 * their parsers), for the gateway's protocol code to parse.
 */
export function gatewayRoutes(app: FastifyInstance, routes: () => readonly PeerRoute[]): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PEER_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.route({
      method: ['GET', 'POST'],
      url: '/gateways/*',
      handler: async (req, reply) => {
        const raw = req.raw.url ?? '';
        const path = raw.split('?')[0]!;
        const route = routes().find((r) => r.path === path && r.method === req.method);
        if (!route) return reply.code(404).type('text/plain').send('no such gateway route');
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const answer = await route.handle(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '', { headers: req.headers, body });
        return reply
          .code(answer.status)
          .type(answer.contentType ?? 'text/plain')
          .send(answer.body);
      },
    });
  });
}
