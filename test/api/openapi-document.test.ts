import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument, openApiPath } from '../../dist/api/openapi/document.js';
import { exampleResults, structuralProblems, type Doc } from '../helpers/openapi.js';

const face = { title: 't', version: '1', description: 'd', securitySchemes: { basic: { type: 'http', scheme: 'basic' } as const } };

describe('openApiPath', () => {
  it("writes fastify's parameters, their own patterns and a wildcard in OpenAPI's form", () => {
    expect(openApiPath('/jobs/:jobId')).toEqual({ path: '/jobs/{jobId}', params: ['jobId'] });
    expect(openApiPath('/a/:id(^\\d+$)/b/:name')).toEqual({ path: '/a/{id}/b/{name}', params: ['id', 'name'] });
    expect(openApiPath('/files/*')).toEqual({ path: '/files/{wildcard}', params: ['wildcard'] });
  });
});

describe('openApiDocument', () => {
  it("moves a schema's own definitions (a recursive one) into the components, where its $refs resolve", () => {
    type Node = { name: string; children?: Node[] };
    const node: z.ZodType<Node> = z.lazy(() => z.strictObject({ name: z.string(), children: z.array(node).optional() }));
    const doc = openApiDocument(face, '/x', [{ method: 'POST', path: '/tree', doc: { summary: 'a tree', body: z.strictObject({ root: node }), examples: { small: { root: { name: 'a', children: [{ name: 'b' }] } } } } }]) as unknown as Doc;
    expect(structuralProblems(doc)).toEqual([]);
    expect(JSON.stringify(doc)).toContain('"$ref":"#/components/schemas/');
    expect(exampleResults(doc)).toEqual([{ where: 'post /tree application/json small', errors: null }]);
    const bad = structuredClone(doc);
    bad.paths['/tree']!.post!.requestBody!.content['application/json']!.examples = { deep: { value: { root: { name: 'a', children: [{ name: 1 }] } } } };
    expect(exampleResults(bad)[0]!.errors).not.toBeNull();
  });

  it("lists a GET's automatic HEAD once (as the GET), and a route without a description by what is known", () => {
    const doc = openApiDocument(face, '', [
      { method: 'GET', path: '/a/:id', doc: undefined },
      { method: 'HEAD', path: '/a/:id', doc: undefined },
    ]) as unknown as Doc;
    expect(Object.keys(doc.paths['/a/{id}']!)).toEqual(['get']);
    expect(doc.paths['/a/{id}']!.get).toMatchObject({ summary: 'GET /a/{id}', parameters: [{ name: 'id', in: 'path', required: true }] });
    expect(doc.servers).toEqual([{ url: '/' }]);
    expect(structuralProblems(doc)).toEqual([]);
  });

  it("takes a query schema's fields as query parameters, required as the schema says", () => {
    const doc = openApiDocument(face, '/x', [{ method: 'GET', path: '/q', doc: { summary: 'q', query: z.object({ a: z.string(), b: z.number().optional() }) } }]) as unknown as Doc;
    expect((doc.paths['/q']!.get as unknown as { parameters: unknown[] }).parameters).toEqual([
      { name: 'a', in: 'query', required: true, schema: { type: 'string' } },
      { name: 'b', in: 'query', required: false, schema: { type: 'number' } },
    ]);
  });
});
