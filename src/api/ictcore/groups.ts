import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { ContactValues } from '../../store/contacts.js';
import type { Row } from '../../store/owned.js';
import { CONTACT_LIMITS, contactFieldOf, contactProblem, type ContactField } from '../../core/contact.js';
import { crudRoutes } from './crud.js';
import { idParam, requiredText, seconds, text, invalid } from './fields.js';
import { presentContact } from './contacts.js';
import { SwitchpostError } from '../../core/errors.js';
import { csvStream, quotedCsvLine } from '../csv-stream.js';
import { JSON_TYPE, jsonStream, mapPages } from '../json-stream.js';
import { ictDoc } from './route-docs.js';

const FIELDS = Object.keys(CONTACT_LIMITS) as ContactField[];
const MAX_ROWS = 1_000_000;
const MAX_BYTES = 200 * 1024 * 1024;
const MAX_REJECTED_SHOWN = 1000;

/** ICTCore's contact CSV (data/contact_sample.csv, bin/contact): no header, these columns in this order. */
const ICTCORE_COLUMNS: ContactField[] = ['phone', 'first_name', 'last_name', 'email', 'address', 'custom1', 'custom2', 'custom3', 'description'];
const PHONE_LIKE = /^\+?[0-9][0-9 ()-]{2,31}$/;
/**
 * Whether a file's first line is a record of ICTCore's headerless file rather than a header: its first
 * field is a phone number or empty (a contact with an e-mail only, as the export writes it), or none of
 * its fields names a contact field.
 */
const isHeaderless = (first: string[]): boolean => PHONE_LIKE.test(first[0] ?? '') || first[0] === '' || !first.some((h) => contactFieldOf(h) !== null);

/**
 * A header line's contact fields ("First Name" → first_name; the v1 lists' "Recipient", "CustomField1"…
 * too); 412 naming an unknown or repeated one, or a header with no number and no email.
 */
function headerColumns(header: string[]): ContactField[] {
  const cols: ContactField[] = [];
  for (const h of header) {
    const f = contactFieldOf(h);
    if (f === null) throw invalid('header', `"${h.slice(0, 40)}" is not a contact field (${FIELDS.join(', ')}, or the v1 list columns Recipient, CustomField1–6)`);
    if (cols.includes(f)) throw invalid('header', `"${h.slice(0, 40)}" repeats the column ${f}`);
    cols.push(f);
  }
  if (!cols.some((c) => c === 'phone' || c === 'mobile' || c === 'fax' || c === 'email')) throw invalid('header', 'a phone, mobile, fax or email column is required');
  return cols;
}

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
  app.get('/groups/sample/csv', ictDoc('A sample contacts CSV'), async (req, reply) => {
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
    remove: (id) => store.deleteGroup(id),
  });

  // Both grow with the group: written a keyset page at a time, with the event loop free between pages.
  app.get('/groups/:id/contacts', ictDoc("A group's contacts"), async (req, reply) => {
    await ctx.authorize(req, 'group_read', 'contact_list');
    const pages = store.memberPages((await loadGroup(req)).id, MAX_ROWS);
    return reply
      .code(200)
      .type(JSON_TYPE)
      .send(jsonStream((list) => list(mapPages(pages, presentContact))));
  });

  app.get('/groups/:id/csv', ictDoc("A group's contacts as CSV"), async (req, reply) => {
    await ctx.authorize(req, 'group_read', 'contact_list');
    const group = await loadGroup(req);
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="group-${group.id}.csv"`);
    // As ICTCore exports a group (GroupApi::export_csv): no header, phone first, every field quoted.
    return csvStream(null, store.memberPages(group.id), (c) => ICTCORE_COLUMNS.map((f) => c[f]), quotedCsvLine);
  });

  // CSV bodies are streamed into the parser, not buffered by Fastify.
  for (const type of ['text/csv', 'application/csv']) app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));

  app.post('/groups/:id/csv', ictDoc('Import contacts into a group from CSV'), async (req) => {
    const user = await ctx.authorize(req, 'group_update', 'contact_create');
    const group = await loadGroup(req);
    if (!(req.body instanceof Readable)) throw new SwitchpostError('unsupported_media_type', 'send the CSV as the body with Content-Type: text/csv');
    const rows: ContactValues[] = [];
    const rejected: { line: number; error: string }[] = [];
    let bytes = 0;
    const body = req.body;
    body.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > MAX_BYTES) body.destroy(new SwitchpostError('too_large', `the CSV is larger than ${MAX_BYTES / 1024 / 1024} MB`));
    });
    const parser = body.pipe(parse({ bom: true, trim: true, skip_empty_lines: true, info: true, max_record_size: 64 * 1024, relax_column_count: true }));
    body.on('error', (err) => parser.destroy(err));
    // A header line names the columns; ICTCore's own files have none: phone first, then its order.
    let cols: ContactField[] | null = null;
    let headerless = false;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (cols === null) {
          headerless = isHeaderless(record);
          cols = headerless ? ICTCORE_COLUMNS : headerColumns(record);
          if (!headerless) continue;
        }
        if (!headerless && record.length !== cols.length) throw invalid('csv', `line ${info.lines} has ${record.length} fields, the header ${cols.length}`);
        if (record.length > cols.length) {
          rejected.push({ line: info.lines, error: `${record.length} fields, ICTCore's order has ${cols.length} (${ICTCORE_COLUMNS.join(', ')})` });
          continue;
        }
        const c: ContactValues = {};
        for (let i = 0; i < record.length; i++) if (record[i] !== '') c[cols[i]!] = record[i];
        const problem = contactProblem(c, true);
        if (problem) rejected.push({ line: info.lines, error: problem });
        else rows.push(c);
        if (rows.length + rejected.length > MAX_ROWS) throw new SwitchpostError('too_large', `the CSV has more than ${MAX_ROWS} rows`);
      }
    } catch (err) {
      if (err instanceof SwitchpostError) throw err;
      // A broken CSV (unclosed quote…) imports nothing.
      throw invalid('csv', (err as Error).message.slice(0, 300));
    }
    const imported = await store.importInto(user.id, group.id, rows, ctx.deps.clock.now());
    return { group_id: group.id, imported, rejected_total: rejected.length, rejected: rejected.slice(0, MAX_REJECTED_SHOWN) };
  });
}
