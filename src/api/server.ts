import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { LiveStream } from '../events/live.js';
import { routerError, type Envelope } from './input.js';
import { trustProxyOf } from '../net/trust-proxy.js';

export const STREAM_PATH = '/stream';

/**
 * The base of the links we answer with: the configured public URL, else nothing (links relative to
 * this server). Never the request's Host or X-Forwarded-Host: those are the client's to choose, and a
 * reflected one poisons caches and sends the next client elsewhere.
 */
export function baseUrlOf(publicUrl: string | null): string {
  return publicUrl ? publicUrl.replace(/\/+$/, '') : '';
}

/** The HTTP server every face is mounted on; TLS when configured; the live stream on /stream. */
export function buildServer(config: Config, log: Logger, live: LiveStream | null): FastifyInstance {
  const tls = config.http.tls.cert_file && config.http.tls.key_file ? { cert: readFileSync(config.http.tls.cert_file), key: readFileSync(config.http.tls.key_file) } : null;
  const envelopes: { prefix: string; envelope: Envelope }[] = [];
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: Math.round(config.http.body_limit_mb * 1024 * 1024),
    trustProxy: trustProxyOf(config.http.trust_proxy),
    // Per-request lines would swamp the log at carrier rates; the onResponse hook logs them at debug.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: routerError(envelopes),
    ...(tls ? { https: tls } : {}),
  }) as unknown as FastifyInstance;
  app.decorate('faceEnvelopes', envelopes);
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  if (live) {
    app.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      // A failed upgrade ends its socket; left unhandled, the rejection would end the daemon.
      if (path === STREAM_PATH) live.upgrade(req, socket, head).catch(() => socket.destroy());
      else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
  }
  return app;
}
