import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contact, csvFile, csvImport, group as groupAnswer } from './answers.js';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { Row } from '../../store/owned.js';
import { CONTACT_CSV_MAX_ROWS, CONTACT_CSV_PARSE, ICTCORE_COLUMNS, readContactCsv, type CsvRecord } from '../../core/contact-csv.js';
import { crudRoutes } from './crud.js';
import { idParam, requiredText, seconds, text, INVALID_LEAD } from './fields.js';
import { presentContact } from './contacts.js';
import { SwitchpostError } from '../../core/errors.js';
import { csvStream, quotedCsvLine } from '../csv-stream.js';
import { JSON_TYPE, jsonStream, mapPages } from '../json-stream.js';
import { ictDoc } from './route-docs.js';

const MAX_BYTES = 200 * 1024 * 1024;
const MAX_REJECTED_SHOWN = 1000;

const groupBody = z.object({ name: requiredText(100), description: text(1000) });
const groupPatch = z.object({ name: requiredText(100).optional(), description: text(1000) });

/** Groups: CRUD, their contacts, CSV import (streamed, all valid rows in one transaction) and export. */
export function groupRoutes(app: FastifyInstance, ctx: Ctx, stores: Pick<IctcoreStores, 'contacts' | 'groupRows'>): void {
  const { contacts: store, groupRows } = stores;
  const present = async (r: Row) => ({
    group_id: r.id,
    name: r.name,
    description: r.description ?? null,
    contact_total: await store.groupSize(r.id),
    created_by: r.user_id,
    date_created: seconds(r.created_at as number),
  });
  const loadGroup = async (req: FastifyRequest) => {
    const id = idParam((req.params as { id: string }).id, 'group');
    return ctx.own(req, await groupRows.get(id), `group ${id}`);
  };

  // The sample is static: registered before /groups/:id/… so that "sample" is never read as an id.
  app.get('/groups/sample/csv', ictDoc('A sample contacts CSV', { answer: csvFile, answerType: 'text/csv' }), async (req, reply) => {
    await ctx.authorize(req, 'group_read');
    reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="contacts-sample.csv"');
    // ICTCore's own file format (data/contact_sample.csv): no header, ICTCORE_COLUMNS' order, all quoted.
    return [
      ['+923001234567', 'Ayesha', 'Khan', 'ayesha@example.com', 'Lahore', 'gold', '', '', 'imported from CSV'],
      ['+61491570156', 'John', 'Smith', '', '', '', '', '', ''],
    ]
      .map(quotedCsvLine)
      .join('');
  });

  crudRoutes(app, ctx, {
    path: '/groups',
    what: 'group',
    perm: 'group',
    store: groupRows,
    create: groupBody,
    update: groupPatch,
    filters: { group_id: 'id', name: 'name', description: 'description' },
    present,
    answer: groupAnswer,
    remove: (id) => store.deleteGroup(id),
  });

  // Both grow with the group: written a keyset page at a time, with the event loop free between pages.
  app.get('/groups/:id/contacts', ictDoc("A group's contacts", { answer: z.array(contact) }), async (req, reply) => {
    await ctx.authorize(req, 'group_read', 'contact_list');
    const pages = store.memberPages((await loadGroup(req)).id, CONTACT_CSV_MAX_ROWS);
    return reply
      .code(200)
      .type(JSON_TYPE)
      .send(jsonStream((list) => list(mapPages(pages, presentContact))));
  });

  app.get('/groups/:id/csv', ictDoc("A group's contacts as CSV", { answer: csvFile, answerType: 'text/csv' }), async (req, reply) => {
    await ctx.authorize(req, 'group_read', 'contact_list');
    const group = await loadGroup(req);
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="group-${group.id}.csv"`);
    // As ICTCore exports a group (GroupApi::export_csv): no header, phone first, every field quoted.
    return csvStream(null, store.memberPages(group.id), (c) => ICTCORE_COLUMNS.map((f) => c[f]), quotedCsvLine);
  });

  // CSV bodies are streamed into the parser, not buffered by Fastify.
  for (const type of ['text/csv', 'application/csv']) app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));

  app.post(
    '/groups/:id/csv',
    ictDoc('Import contacts into a group from CSV', {
      answer: csvImport,
      responses: { '404': 'no such group', '412': 'a broken CSV, an unknown or repeated column, a row of the wrong width: nothing stored', '413': 'more than 1,000,000 rows or 200 MB', '415': 'not sent as text/csv' },
    }),
    async (req) => {
      const user = await ctx.authorize(req, 'group_update', 'contact_create');
      const group = await loadGroup(req);
      if (!(req.body instanceof Readable)) throw new SwitchpostError('unsupported_media_type', 'send the CSV as the body with Content-Type: text/csv');
      let bytes = 0;
      const body = req.body;
      body.on('data', (d: Buffer) => {
        bytes += d.length;
        if (bytes > MAX_BYTES) body.destroy(new SwitchpostError('too_large', `the CSV is larger than ${MAX_BYTES / 1024 / 1024} MB`));
      });
      const parser = body.pipe(parse(CONTACT_CSV_PARSE));
      body.on('error', (err) => parser.destroy(err));
      // Read as `switchpost import` reads a file (core/contact-csv.ts): a broken CSV or a bad header stores nothing.
      const { rows, rejected } = await readContactCsv(parser as AsyncIterable<CsvRecord>, { maxRows: CONTACT_CSV_MAX_ROWS, lead: INVALID_LEAD });
      const imported = await store.importInto(user.id, group.id, rows, ctx.deps.clock.now());
      return { group_id: group.id, imported, rejected_total: rejected.length, rejected: rejected.slice(0, MAX_REJECTED_SHOWN) };
    },
  );
}
