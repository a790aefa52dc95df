import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { routesOf } from './routes.js';

/** What the tests read of an OpenAPI document. */
export interface Doc {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; requestBody?: { content: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> } }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

/**
 * Every (method, path) fastify serves at `prefix` (from its printRoutes tree), the paths relative to
 * the prefix, path parameters as `{}`: the tree writes the parameters that share a place under one
 * name (`:id|:type`), so names are compared by `served` (fastify's hasRoute) instead. Routes under
 * `otherPrefixes` (another face's, nested under this one's) are left out, and so is a line the tree
 * parser cannot place (the daemon's `/gateways/*` wildcard comes out as a bare `*`).
 */
export function servedAt(tree: string, prefix: string, otherPrefixes: readonly string[] = []): string[] {
  const under = (p: string, pre: string) => pre === '' || p === pre || p.startsWith(`${pre}/`);
  return routesOf(tree)
    .filter((r) => r.path.startsWith('/'))
    .filter((r) => under(r.path, prefix) && !otherPrefixes.some((o) => o.length > prefix.length && under(r.path, o)))
    .map((r) => `${r.method} ${anonymous((r.path.slice(prefix.length) || '/').replace(/:[A-Za-z0-9_|:-]+/g, '{}').replace(/\*$/, '{}'))}`)
    .sort();
}

const anonymous = (path: string): string => path.replace(/\{[^}]*\}/g, '{}');

/** Every (method, path) the document lists, path parameters as `{}` (compare with servedAt). */
export const documented = (doc: Doc): string[] =>
  Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${anonymous(path)}`))
    .sort();

/** What fastify's findRoute answers for a URL: the route's parameters by their names. */
type FindRoute = (r: { method: string; url: string }) => { params: Record<string, string | undefined> } | null;

/**
 * The operations of the document that fastify does not route at `prefix` to a route with those
 * parameter names: each path is asked with a value of its own in every parameter, and the route
 * fastify finds must name them as the document does.
 */
export function unserved(doc: Doc, prefix: string, findRoute: FindRoute): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => {
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!);
        let i = 0;
        const url = prefix + path.replace(/\{[^}]+\}/g, () => `value${i++}`);
        const found = findRoute({ method: m.toUpperCase(), url });
        if (!found) return true;
        const wanted = Object.fromEntries(names.map((n, k) => [n === 'wildcard' ? '*' : n, `value${k}`]));
        return JSON.stringify(Object.entries(found.params).sort()) !== JSON.stringify(Object.entries(wanted).sort());
      })
      .map((m) => `${m} ${path}`),
  );
}

/** Where a JSON pointer (`#/components/schemas/X`) leads in `doc`, or undefined. */
const at = (doc: unknown, ref: string): unknown =>
  ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), doc);

/** What is structurally wrong with an OpenAPI 3 document: its required fields, its operations, every $ref. */
export function structuralProblems(doc: Doc): string[] {
  const problems: string[] = [];
  if (!/^3\.\d+\.\d+$/.test(doc.openapi)) problems.push(`openapi: ${doc.openapi}`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') problems.push('info: title and version required');
  if (typeof doc.paths !== 'object' || doc.paths === null) problems.push('paths: required');
  const ids = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/')) problems.push(`${path}: a path begins with /`);
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'].includes(method)) problems.push(`${path}: ${method} is no method`);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${method} ${path}: no responses`);
      if (ids.has(op.operationId)) problems.push(`${method} ${path}: operationId ${op.operationId} twice`);
      ids.add(op.operationId);
      // Every {name} in the path is a path parameter of the operation.
      const params = ((op as { parameters?: { name: string; in: string }[] }).parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      for (const m of path.matchAll(/\{([^}]+)\}/g)) if (!params.includes(m[1]!)) problems.push(`${method} ${path}: no path parameter ${m[1]}`);
    }
  }
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}/${i}`));
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') {
        if (typeof v !== 'string' || !v.startsWith('#/') || at(doc, v) === undefined) problems.push(`${where}: $ref ${String(v)} does not resolve`);
      } else walk(v, `${where}/${k}`);
    }
  };
  walk(doc, '#');
  return problems;
}

/** Every example in the document's request bodies checked against its schema (JSON Schema 2020-12, as OpenAPI 3.1 has it). */
export function exampleResults(doc: Doc): { where: string; errors: string | null }[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const out: { where: string; errors: string | null }[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops))
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        for (const [name, example] of Object.entries(media.examples ?? {})) {
          // The schema with the document's components beside it, so its #/components/… refs resolve.
          const validate = ajv.compile({ ...(media.schema as object), components: doc.components });
          const ok = validate(example.value);
          out.push({ where: `${method} ${path} ${type} ${name}`, errors: ok ? null : ajv.errorsText(validate.errors) });
        }
  return out;
}

type Answer = { description: string; content?: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> };
const answersOf = (op: unknown): Record<string, Answer> => (op as { responses: Record<string, Answer> }).responses;

/** The ajv validator of a schema in the document (its components beside it, so its refs resolve). */
function validatorOf(doc: Doc, ajv: InstanceType<typeof Ajv2020>, schema: unknown) {
  return ajv.compile({ ...(schema as object), components: doc.components });
}
const newAjv = () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv;
};

/** Every example of the document's answers checked against the schema of its status and media type. */
export function answerExampleResults(doc: Doc): { where: string; errors: string | null }[] {
  const ajv = newAjv();
  const out: { where: string; errors: string | null }[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops))
      for (const [status, answer] of Object.entries(answersOf(op)))
        for (const [type, media] of Object.entries(answer.content ?? {}))
          for (const [name, example] of Object.entries(media.examples ?? {})) {
            const validate = validatorOf(doc, ajv, media.schema);
            out.push({ where: `${method} ${path} ${status} ${type} ${name}`, errors: validate(example.value) ? null : ajv.errorsText(validate.errors) });
          }
  return out;
}

/** The operations whose success (2xx) answers, or whose error (4xx/5xx) answers, carry no schema. */
export function answersWithoutSchema(doc: Doc, which: 'success' | 'error'): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).flatMap(([method, op]) =>
      Object.entries(answersOf(op))
        .filter(([status]) => (which === 'success' ? /^2/.test(status) : /^[45]/.test(status)))
        .filter(([, a]) => !Object.values(a.content ?? {}).some((m) => m.schema))
        .map(([status]) => `${method} ${path} ${status}`),
    ),
  );
}

/**
 * What is wrong with a real answer `body` of `method path` (as the document writes the path) under
 * `status`, by the document's schema for it; null when it validates. Throws when the document has none.
 */
export function answerProblems(doc: Doc, method: string, path: string, status: number, body: unknown, type = 'application/json'): string | null {
  const answer = answersOf(doc.paths[path]?.[method.toLowerCase()])?.[String(status)];
  const schema = answer?.content?.[type]?.schema;
  if (!schema) throw new Error(`the document has no ${type} schema for ${method} ${path} ${status}`);
  const ajv = newAjv();
  const validate = validatorOf(doc, ajv, schema);
  return validate(body) ? null : ajv.errorsText(validate.errors);
}
