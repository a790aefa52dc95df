import type { FastifyInstance } from 'fastify';

/**
 * Bodies as ICTCore's REST server reads them (ictinnovations/RestServer, `getMime`/`getData`): JSON when
 * the request names no Content-Type (its default), `application/x-www-form-urlencoded` as PHP's
 * parse_str reads it (`k[]` collects a list; a repeated plain key keeps its last value). Everything
 * else — documents, recordings, CSV — reaches its route as the raw bytes.
 */
export function ictcoreBodies(app: FastifyInstance): void {
  // text/plain too: Fastify's own parser would hand over a decoded string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    // No Content-Type: JSON, if it is JSON; otherwise the bytes, and the route says what it takes.
    if (!req.headers['content-type'] && bytes.length > 0) {
      try {
        return done(null, JSON.parse(bytes.toString('utf8')) as unknown);
      } catch {
        return done(null, bytes);
      }
    }
    done(null, bytes);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, formFields(body as string)));
}

/** A form body's fields, as PHP's parse_str gives them for flat keys and `k[]` lists. */
export function formFields(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (key.endsWith('[]')) {
      const name = key.slice(0, -2);
      const list = out[name];
      out[name] = Array.isArray(list) ? [...list, value] : [value];
    } else out[key] = value;
  }
  return out;
}
