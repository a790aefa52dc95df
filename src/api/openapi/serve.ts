import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { openApiDocument, type FaceInfo, type OpenApiDocument, type ServedRoute } from './document.js';
import './route-doc.js';

export const OPENAPI_PATH = '/openapi.json';

/** The document's own answer, as far as a reader relies on it (the rest is OpenAPI 3.1's). */
const documentAnswer = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

/**
 * Serves the face's OpenAPI document at `{prefix}/openapi.json`, open (no credentials: it says how
 * to call the API, nothing of anyone's data). Call it first in the face's plugin, before its routes:
 * every route added after it in the plugin (fastify's onRoute) is in the document, with the
 * description its registration carries.
 */
export function describeFace(app: FastifyInstance, face: FaceInfo): void {
  const routes: ServedRoute[] = [];
  const prefix = app.prefix;
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    const path = url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url;
    for (const method of [route.method].flat()) routes.push({ method: method.toUpperCase(), path, doc: route.config?.doc });
  });
  let built: OpenApiDocument | null = null;
  // Built at the first request: every route is added by then, and the routes never change after.
  app.get(OPENAPI_PATH, { config: { doc: { summary: 'This OpenAPI document', open: true, responses: { '200': 'the OpenAPI 3.1 document of this API' }, answer: documentAnswer } } }, async () => (built ??= openApiDocument(face, prefix, routes)));
}
