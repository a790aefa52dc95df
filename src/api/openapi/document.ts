import { z } from 'zod';
import type { RouteDoc } from './route-doc.js';

/**
 * A face's OpenAPI 3.1 document, built from the routes it serves (pure: the routes are handed in).
 * OpenAPI 3.1's schemas are JSON Schema 2020-12, which is what zod 4 writes, so a route's zod
 * schema goes into the document as zod renders it, with nothing translated by hand.
 */

/** What the document says of the face as a whole. */
export interface FaceInfo {
  title: string;
  version: string;
  description: string;
  /** How its routes are authenticated, by scheme name (OpenAPI security schemes); none: open. */
  securitySchemes: Readonly<Record<string, SecurityScheme>>;
  /** The face's error answer (its envelope), under every 4xx and 5xx status a route lists, and its media type (JSON when not given). */
  errorAnswer?: z.ZodType;
  errorType?: string;
}

export type SecurityScheme = { type: 'http'; scheme: 'basic' | 'bearer'; bearerFormat?: string; description?: string } | { type: 'apiKey'; in: 'header' | 'query' | 'cookie'; name: string; description?: string };

/** One route as fastify serves it: its method, its path below the face's prefix (`/jobs/:id`), its description. */
export interface ServedRoute {
  method: string;
  path: string;
  doc: RouteDoc | undefined;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas: Record<string, JsonObject>; securitySchemes: Record<string, SecurityScheme> };
  security: Record<string, string[]>[];
}

/** A fastify path (`/jobs/:jobId`, `/files/*`) in OpenAPI's form (`/jobs/{jobId}`, `/files/{wildcard}`) with its parameter names. */
export function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const out = path
    .replace(/:([A-Za-z0-9_-]+)(\((?:[^()]|\([^()]*\))*\))?/g, (_m, name: string) => {
      params.push(name);
      return `{${name}}`;
    })
    .replace(/\*$/, () => {
      params.push('wildcard');
      return '{wildcard}';
    });
  return { path: out, params };
}

/**
 * A zod schema as JSON Schema, with any $defs moved into the components under `name`: its input side
 * for what a client sends, its output side for an answer.
 */
function schemaOf(schema: z.ZodType, name: string, components: Record<string, JsonObject>, io: 'input' | 'output' = 'input'): JsonObject {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  const { $schema: _drop, $defs, ...rest } = raw;
  const rewrite = (value: JsonObject): JsonObject => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', `"#/components/schemas/${name}.`)) as JsonObject;
  if ($defs && typeof $defs === 'object' && !Array.isArray($defs)) {
    for (const [k, v] of Object.entries($defs)) components[`${name}.${k}`] = rewrite(v as JsonObject);
  }
  // A self-reference ("#") points at the schema itself, which lives at its component.
  return JSON.parse(JSON.stringify(rewrite(rest)).replaceAll('"$ref":"#"', `"$ref":"#/components/schemas/${name}"`)) as JsonObject;
}

/** An operation's id and schema names: its method and path in letters, digits and `_`. */
const operationName = (method: string, path: string): string =>
  `${method.toLowerCase()}${path
    .replace(/[{}]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}`;

const ERROR_COMPONENT = 'ErrorAnswer';

/** A route's answers: each status with its description; a 2xx with the route's answer schema and examples, a 4xx/5xx with the route's error answer, else the face's. */
function responsesOf(name: string, doc: RouteDoc | undefined, face: FaceInfo, components: Record<string, JsonObject>): JsonObject {
  let answerRef: JsonObject | null = null;
  if (doc?.answer) {
    components[`${name}Answer`] = schemaOf(doc.answer, `${name}Answer`, components, 'output');
    answerRef = { $ref: `#/components/schemas/${name}Answer` };
  }
  // The route's own error answer, else the face's.
  let errorRef: JsonObject | null = face.errorAnswer ? { $ref: `#/components/schemas/${ERROR_COMPONENT}` } : null;
  let errorType = face.errorType ?? 'application/json';
  if (doc?.errorAnswer) {
    components[`${name}Error`] = schemaOf(doc.errorAnswer, `${name}Error`, components, 'output');
    errorRef = { $ref: `#/components/schemas/${name}Error` };
    errorType = doc.errorType ?? 'application/json';
  }
  const examplesAt = (status: string): JsonObject => {
    const named = doc?.answerExamples?.[status];
    return named ? { examples: Object.fromEntries(Object.entries(named).map(([k, value]) => [k, { value: value as Json }])) } : {};
  };
  const out: JsonObject = {};
  for (const [status, description] of Object.entries(doc?.responses ?? { '200': 'the answer' })) {
    const code = Number(status);
    if (answerRef && code >= 200 && code < 300) out[status] = { description, content: { [doc?.answerType ?? 'application/json']: { schema: answerRef, ...examplesAt(status) } } };
    else if (errorRef && code >= 400) out[status] = { description, content: { [errorType]: { schema: errorRef, ...examplesAt(status) } } };
    else out[status] = { description };
  }
  return out;
}

function operation(method: string, path: string, params: string[], doc: RouteDoc | undefined, face: FaceInfo, components: Record<string, JsonObject>): JsonObject {
  const name = operationName(method, path);
  const parameters: JsonObject[] = params.map((p) => ({ name: p, in: 'path', required: true, schema: { type: 'string' } }));
  if (doc?.query) {
    const q = schemaOf(doc.query, `${name}Query`, components);
    const required = Array.isArray(q.required) ? q.required : [];
    const props = (q.properties ?? {}) as Record<string, JsonObject>;
    for (const [k, v] of Object.entries(props)) parameters.push({ name: k, in: 'query', required: required.includes(k), schema: v });
  }
  for (const [k, what] of Object.entries(doc?.queryNames ?? {})) if (!parameters.some((p) => p.name === k && p.in === 'query')) parameters.push({ name: k, in: 'query', required: false, description: what, schema: { type: 'string' } });
  const op: JsonObject = {
    operationId: name,
    summary: doc?.summary ?? `${method} ${path}`,
    ...(doc?.description ? { description: doc.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    responses: responsesOf(name, doc, face, components),
    ...(doc?.open ? { security: [] } : {}),
  };
  if (doc?.body) {
    const bodyName = `${name}Body`;
    components[bodyName] = schemaOf(doc.body, bodyName, components);
    const examples = doc.examples ? Object.fromEntries(Object.entries(doc.examples).map(([k, value]) => [k, { value: value as Json }])) : undefined;
    const media: JsonObject = { schema: { $ref: `#/components/schemas/${bodyName}` }, ...(examples ? { examples } : {}) };
    op.requestBody = { required: true, content: Object.fromEntries((doc.bodyTypes ?? ['application/json']).map((t) => [t, media])) };
  }
  return op;
}

/**
 * The document for `routes` served below `server` (the face's prefix: the document's paths are
 * relative to it). A GET's automatic HEAD is left out; a route without a description is listed with
 * its method, path and path parameters.
 */
export function openApiDocument(face: FaceInfo, server: string, routes: readonly ServedRoute[]): OpenApiDocument {
  const components: Record<string, JsonObject> = {};
  if (face.errorAnswer) components[ERROR_COMPONENT] = schemaOf(face.errorAnswer, ERROR_COMPONENT, components, 'output');
  const paths: Record<string, Record<string, JsonObject>> = {};
  const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.path));
  const sorted = [...routes].sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path)));
  for (const r of sorted) {
    if (r.method === 'HEAD' && gets.has(r.path)) continue;
    const { path, params } = openApiPath(r.path);
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r.method, path, params, r.doc, face, components);
  }
  return {
    openapi: '3.1.0',
    info: { title: face.title, version: face.version, description: face.description },
    servers: [{ url: server || '/' }],
    paths,
    components: { schemas: components, securitySchemes: { ...face.securitySchemes } },
    security: Object.keys(face.securitySchemes).map((k) => ({ [k]: [] })),
  };
}
