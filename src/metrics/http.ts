import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ScrapeAccess } from './access.js';

export const METRICS_PATH = '/metrics';

/** The face a route belongs to, from its pattern (`/api/v1/jobs/:id`: welcorp). */
export type FaceOf = (route: string) => string;

/**
 * Every response counted by face, route pattern (never the raw URL: ids would make a series each),
 * method and status, with its duration. A request no route matched counts as route "unmatched".
 * Added before the faces register, so that it sees their routes.
 */
export function countRequests(app: FastifyInstance, registry: Registry, faceOf: FaceOf): void {
  const registers = [registry];
  const requests = new Counter({ name: 'switchpost_http_requests_total', help: 'HTTP requests answered, by face, route pattern, method and status code.', labelNames: ['face', 'route', 'method', 'status'], registers });
  const duration = new Histogram({
    name: 'switchpost_http_request_duration_seconds',
    help: 'Seconds from a request arriving to its response sent, by face, route pattern and method.',
    labelNames: ['face', 'route', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const face = route === 'unmatched' ? 'none' : faceOf(route);
    requests.inc({ face, route, method: req.method, status: String(reply.statusCode) });
    duration.observe({ face, route, method: req.method }, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * GET /metrics in Prometheus text format, for the clients metrics.allow and metrics.token admit.
 * Refusals are plain text: /metrics is no face's, so no face's envelope.
 */
export function metricsRoute(app: FastifyInstance, registry: Registry, access: ScrapeAccess): void {
  app.get(METRICS_PATH, async (req, reply) => {
    const verdict = access(req.ip, req.headers.authorization);
    if (verdict === 403) return reply.code(403).type('text/plain; charset=utf-8').send('metrics are not served to this address (metrics.allow)\n');
    if (verdict === 401) return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8').send('metrics need the bearer token (metrics.token)\n');
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
