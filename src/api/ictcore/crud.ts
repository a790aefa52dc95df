import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { newId, TRUE } from './answers.js';
import type { OwnedRows, Row } from '../../store/owned.js';
import type { Permission } from '../../core/permissions.js';
import type { Ctx } from './context.js';
import { idParam, listFilter, parseBody, found } from './fields.js';
import { ApiError } from '../errors.js';
import { JSON_TYPE, jsonStream } from '../json-stream.js';
import type { Remote } from '../../store/remote.js';
import type { RouteDoc } from '../openapi/route-doc.js';

export type Values = Record<string, string | number | null>;

/** The pages of `pages` mapped item by item by a view that may read stores (a page's items at once, in order). */
export async function* viewPages<T, U>(pages: AsyncIterable<readonly T[]>, view: (row: T) => U | Promise<U>): AsyncGenerator<U[]> {
  for await (const page of pages) yield await Promise.all(page.map(view));
}

export interface CrudSpec {
  /** Collection path, e.g. /contacts. */
  path: string;
  /** The thing, for messages: "contact". */
  what: string;
  /** Permission prefix: contact → contact_create, contact_list… */
  perm: 'contact' | 'group' | 'campaign' | 'message' | 'account' | 'program';
  store: Remote<OwnedRows>;
  /** Bodies of POST and PUT (a module that makes its own create or update routes leaves them out). */
  create?: z.ZodType<Values>;
  update?: z.ZodType<Values>;
  /** Query-string field → column a list may be filtered by. */
  filters: Record<string, string>;
  present: (row: Row) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** What `present` makes, as a schema for the OpenAPI document (answers.ts). */
  answer: z.ZodType;
  /** Checks and side effects before a row is written (validate ids the body names…); may add values. */
  beforeWrite?: (req: FastifyRequest, values: Values, existing: Row | null) => Values | Promise<Values>;
  /** Refuse a delete (409-like cases answer 423). */
  beforeDelete?: (req: FastifyRequest, row: Row) => Promise<void>;
  /** Delete with what belongs to the row (default: the row alone). */
  remove?: (id: number) => Promise<boolean>;
  /** A write a unique index refused (a value beforeWrite found free, taken since): the error to answer, else null. */
  clash?: (err: unknown, values: Values) => Error | null;
  /** GET {path}/{name} for a name that is no id: the list filtered by what it names (ICTCore's GET /programs/sendsms lists by type), or null for a 404. */
  byName?: (name: string) => Record<string, string> | null;
  /** Who owns a row, when not its user_id (an account set free: its creator). */
  ownerOf?: (row: Row) => number | null;
}

/**
 * ICTCore's shape for a user-owned resource: POST → new id; GET → list filtered by the query string;
 * GET/PUT/DELETE /{id} (PUT answers the updated resource, DELETE true); GET /{id}/delete as a delete.
 */
export function crudRoutes(app: FastifyInstance, ctx: Ctx, s: CrudSpec): void {
  const perm = (op: 'create' | 'list' | 'read' | 'update' | 'delete') => `${s.perm}_${op}` as Permission;
  const load = async (req: FastifyRequest) => {
    const id = idParam((req.params as { id: string }).id, s.what);
    return ctx.own(req, await s.store.get(id), `${s.what} ${id}`, s.ownerOf);
  };

  const write = async <T>(values: Values, w: () => Promise<T>): Promise<T> => {
    try {
      return await w();
    } catch (err) {
      throw s.clash?.(err, values) ?? err;
    }
  };

  const { create, update } = s;
  const what = s.what;
  // The document's words for each route, from the spec that makes the route (see src/api/openapi).
  const doc = (summary: string, responses: Record<string, string>, more: Omit<RouteDoc, 'summary' | 'responses'> = {}): { config: { doc: RouteDoc } } => ({
    config: { doc: { summary, responses: { ...responses, '401': 'no valid token or credentials', '403': 'permission denied' }, ...more } },
  });
  const missing = { '404': `no such ${what}` };
  if (create) {
    app.post(s.path, doc(`Create a ${what}`, { '200': `the new ${what}'s id`, '412': 'Data validation failed, for <field>: …' }, { body: create, answer: newId }), async (req) => {
      const user = await ctx.authorize(req, perm('create'));
      let values = parseBody(create, req.body);
      if (s.beforeWrite) values = await s.beforeWrite(req, values, null);
      return write(values, () => s.store.insert(user.id, values, ctx.deps.clock.now()));
    });
  }
  // A list grows with the data (a user's contacts: 100,000 and more): written a keyset page at a time,
  // the same JSON as the whole array (cut at 100,000 rows as it always was).
  const list = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, string> = {}) => {
    await ctx.authorize(req, perm('list'));
    const pages = s.store.pages(ctx.scope(req), { ...listFilter(req.query, s.filters), ...extra });
    return reply
      .code(200)
      .type(JSON_TYPE)
      .send(jsonStream((list) => list(viewPages(pages, (r) => s.present(r)))));
  };
  app.get(s.path, doc(`List ${what}s (filtered by the query)`, { '200': `an array of ${what}s` }, { queryNames: Object.fromEntries(Object.keys(s.filters).map((k) => [k, `${what}s whose ${k} is this`])), answer: z.array(s.answer) }), (req, reply) =>
    list(req, reply),
  );
  app.get(`${s.path}/:id`, doc(`A ${what}${s.byName ? ' (a name: the list of that kind)' : ''}`, { '200': `the ${what}`, ...missing }, { answer: s.byName ? z.union([s.answer, z.array(s.answer)]) : s.answer }), async (req, reply) => {
    const name = (req.params as { id: string }).id;
    const byName = s.byName && !/^\d+$/.test(name) ? s.byName(name) : null;
    if (byName) return list(req, reply, byName);
    await ctx.authorize(req, perm('read'));
    return s.present(await load(req));
  });
  if (update) {
    app.put(`${s.path}/:id`, doc(`Change a ${what}`, { '200': `the changed ${what}`, ...missing, '412': 'Data validation failed, for <field>: …' }, { body: update, answer: s.answer }), async (req) => {
      await ctx.authorize(req, perm('update'));
      const row = await load(req);
      let values = parseBody(update, req.body);
      if (s.beforeWrite) values = await s.beforeWrite(req, values, row);
      if (Object.keys(values).length) await write(values, () => s.store.update(row.id, values, ctx.deps.clock.now()));
      return s.present(found(await s.store.get(row.id), `${s.what} ${row.id}`));
    });
  }
  const remove = async (req: FastifyRequest) => {
    await ctx.authorize(req, perm('delete'));
    const row = await load(req);
    await s.beforeDelete?.(req, row);
    // ICTCore's own 417 for a delete that removed nothing (the row went meanwhile): no catalogue code means it.
    if (!(await (s.remove ? s.remove(row.id) : s.store.delete(row.id)))) throw new ApiError(417, `${s.what} delete failed`);
    return true;
  };
  app.delete(`${s.path}/:id`, doc(`Delete a ${what}`, { '200': 'true', ...missing, '417': 'the delete removed nothing' }, { answer: TRUE }), remove);
  app.get(`${s.path}/:id/delete`, doc(`Delete a ${what} (GET, as ICTCore takes it)`, { '200': 'true', ...missing, '417': 'the delete removed nothing' }, { answer: TRUE }), remove);
}
