import type { z } from 'zod';

/**
 * What a route says of itself for its face's OpenAPI document, given where the route is added
 * (`app.post('/jobs', { config: { doc } }, handler)`): the method and path are fastify's own, so the
 * document lists exactly what is served; the schemas are the very zod objects the handler parses
 * with, so what the document says a body may be is what the route takes.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** The body the handler parses with this schema (its input side: before transforms). */
  body?: z.ZodType;
  /** The body's media types; JSON when not given. */
  bodyTypes?: readonly string[];
  /** The query string the handler parses with this schema (an object of its parameters). */
  query?: z.ZodType;
  /** Parameters of the query string the route reads without a schema: name → what it is. */
  queryNames?: Readonly<Record<string, string>>;
  /** Status → what that answer is; at least the success. */
  responses?: Readonly<Record<string, string>>;
  /**
   * The success answer's body (under each 2xx status of `responses`), its output side. The faces build
   * their answers without zod, so this is written beside the route, and the tests hold the route's
   * real answers and the seed's examples to it.
   */
  answer?: z.ZodType;
  /** The answer's media type; JSON when not given. */
  answerType?: string;
  /** This route's error answer and its media type, where it is not the face's (uContact's getUserToken answers `0`). */
  errorAnswer?: z.ZodType;
  errorType?: string;
  /** Answers from the seed (seed-examples.ts SEED_ANSWERS): status → name → body; an error's under its status. */
  answerExamples?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The route is open: no credentials asked (the face's security does not apply). */
  open?: boolean;
  /** Request bodies from the seed (seed-examples.ts): name → value. */
  examples?: Readonly<Record<string, unknown>>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's description in its face's OpenAPI document (src/api/openapi). */
    doc?: RouteDoc;
  }
}
