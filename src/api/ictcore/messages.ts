import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mediaFile, message as messageAnswer, newId } from './answers.js';
import { FAX_DOCUMENT_TYPES } from '../../core/fax.js';
import { isUtf8 } from 'node:buffer';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { Row } from '../../store/owned.js';
import type { MessageKind } from '../../store/messages.js';
import { crudRoutes, type Values } from './crud.js';
import { idParam, requiredText, seconds, text, invalid } from './fields.js';
import { MediaRefused } from '../../media/refused.js';
import { writeStored } from '../../media/store-file.js';
import { SwitchpostError } from '../../core/errors.js';
import { ictDoc } from './route-docs.js';

/** What a message's uploaded file became: the original (for download) and what the channel sends. */
export interface Media {
  /** File names inside data_dir/media/messages: made from the message id, never from the client. */
  original: string;
  /** A document of files appended (POST …/media): every original, in order (`original` is the first). */
  parts?: string[];
  content_type: string;
  type: string;
  size: number;
  /** Documents: the fax TIFF and its pages; recordings: the 8 kHz WAV and its length. */
  converted: string | null;
  pages?: number;
  seconds?: number;
}

export const mediaOf = (r: Row): Media | null => (typeof r.media === 'string' ? (JSON.parse(r.media) as Media) : null);
export const dataOf = (r: Row): Record<string, unknown> => JSON.parse((r.data as string | undefined) ?? '{}') as Record<string, unknown>;

type Kind = MessageKind;

/** Files one message may be made of by appending (POST …/media): a bound on the work one message makes. */
const MAX_PARTS = 20;

/** Content types → the extension the converters know. Anything else is refused (415). */
const DOCUMENT_TYPES = FAX_DOCUMENT_TYPES;
const RECORDING_TYPES: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/ogg': 'ogg',
  'audio/x-gsm': 'gsm',
};
// A template's file is its e-mail attachment (ICTCore's Template::attachment): text, HTML or a PDF.
const TEMPLATE_TYPES: Record<string, string> = { 'text/plain': 'txt', 'text/html': 'html', 'application/pdf': 'pdf', 'application/x-pdf': 'pdf' };
const EXTENSIONS = [...new Set([...Object.values(DOCUMENT_TYPES), ...Object.values(RECORDING_TYPES), ...Object.values(TEMPLATE_TYPES)])];
const MIME_OF: Record<string, string> = Object.fromEntries([...Object.entries(DOCUMENT_TYPES), ...Object.entries(RECORDING_TYPES), ...Object.entries(TEMPLATE_TYPES)].reverse().map(([m, e]) => [e, m]));

/**
 * A text's type: the seed's plain, unicode, binary, or one of ICTCore's charsets (core/Message/Text.php:
 * its CHARSET_* constants, UTF-8 by default), in any case, stored as ICTCore spells it. The daemon picks
 * an SMS's encoding from the text itself either way.
 */
const TEXT_TYPES = ['plain', 'unicode', 'binary', 'GSM', 'ASCII', 'windows-1252', 'ISO-8859-1', 'ISO-8859-7', 'UTF-8', 'UTF-16BE'];
const textType = z
  .string()
  .transform((t) => TEXT_TYPES.find((k) => k.toLowerCase() === t.trim().toLowerCase()) ?? t)
  .refine((t) => TEXT_TYPES.includes(t), `one of ${TEXT_TYPES.join(', ')}`);

/**
 * A template's attached document: its id, as `document_id` or as ICTCore's `attachment` (there a file on
 * its server, which a client cannot name here); null takes it away.
 */
const attachmentId = z
  .union([z.number(), z.string().regex(/^\d+$/, 'a document id (files on the server cannot be named)')])
  .transform(Number)
  .pipe(z.number().int().positive())
  .nullable()
  .optional();

/** A new template's fields (TemplateApi::create; sendemail's inline `template_array` too). */
export const templateFields = z.object({ name: requiredText(100), subject: requiredText(500), body: requiredText(200_000), body_alt: text(200_000), type: text(10), description: text(1000), document_id: attachmentId, attachment: attachmentId });

const SPECS = {
  text: {
    path: '/messages/texts',
    create: z.object({ name: requiredText(100), data: requiredText(5000), type: textType.default('UTF-8'), description: text(1000) }),
    update: z.object({ name: requiredText(100).optional(), data: requiredText(5000).optional(), type: textType.optional(), description: text(1000) }),
    fields: ['data'],
  },
  template: {
    path: '/messages/templates',
    create: templateFields,
    update: z.object({
      name: requiredText(100).optional(),
      subject: requiredText(500).optional(),
      body: requiredText(200_000).optional(),
      body_alt: text(200_000),
      type: text(10),
      description: text(1000),
      document_id: attachmentId,
      attachment: attachmentId,
    }),
    fields: ['subject', 'body', 'body_alt', 'document_id'],
  },
  document: {
    path: '/messages/documents',
    // quality: "fine" renders 204×196 dpi (our addition; ICTCore's documents are standard unless said).
    create: z.object({ name: requiredText(100), description: text(1000), type: text(10), quality: z.enum(['standard', 'fine']).optional() }),
    update: z.object({ name: requiredText(100).optional(), description: text(1000), type: text(10), quality: z.enum(['standard', 'fine']).optional() }),
    fields: ['quality'],
  },
  recording: {
    path: '/messages/recordings',
    create: z.object({ name: requiredText(100), description: text(1000), type: text(10) }),
    update: z.object({ name: requiredText(100).optional(), description: text(1000), type: text(10) }),
    fields: [],
  },
} as const;

/** Fields that live in the data JSON, moved there from a parsed body. */
function toColumns(kind: Kind, body: Record<string, unknown>, existing: Row | null): Record<string, string | number | null> {
  const data = existing ? dataOf(existing) : {};
  const out: Record<string, string | number | null> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    if ((SPECS[kind].fields as readonly string[]).includes(k)) data[k] = v;
    else out[k] = v as string | null;
  }
  out.data = JSON.stringify(data);
  return out;
}

/** Documents, recordings, templates and texts, with media upload (type checked, converted once) and download. */
export function messageRoutes(app: FastifyInstance, ctx: Ctx, messages: IctcoreStores['messages']): void {
  const dir = join(ctx.deps.dataDir, 'media', 'messages');
  const present = (kind: Kind) => (r: Row) => {
    const media = mediaOf(r);
    return {
      [`${kind}_id`]: r.id,
      name: r.name,
      description: r.description ?? null,
      type: r.type ?? media?.type ?? null,
      ...dataOf(r),
      ...(kind === 'document' ? { pages: media?.pages ?? null, file_size: media?.size ?? null } : {}),
      ...(kind === 'recording' ? { length: media?.seconds ?? null, file_size: media?.size ?? null } : {}),
      // ICTCore's `attachment` names the file; here the template's own file's type, else its document's id.
      ...(kind === 'template' ? { attachment: media ? media.type : (dataOf(r).document_id ?? null) } : {}),
      created_by: r.user_id,
      date_created: seconds(r.created_at as number),
    };
  };

  // ICTCore serves each kind at /messages/{kind}s and at /{kind}s (core/Api/Message/*Api.php).
  for (const kind of ['document', 'recording', 'template', 'text'] as const)
    for (const path of [SPECS[kind].path, SPECS[kind].path.replace(/^\/messages/, '')]) {
      const s = { ...SPECS[kind], path };
      const rows = messages[kind];
      // Bodies keep their fields as given; beforeWrite moves the kind's own fields into data.
      const spec = s as unknown as { create: z.ZodType<Values>; update: z.ZodType<Values> };
      crudRoutes(app, ctx, {
        path: s.path,
        what: kind,
        perm: 'message',
        store: rows,
        create: spec.create,
        update: spec.update,
        filters: { [`${kind}_id`]: 'id', name: 'name', type: 'type', description: 'description' },
        present: present(kind),
        answer: messageAnswer(kind),
        beforeWrite: async (req, values, existing) => {
          if (kind === 'template') {
            const { attachment, ...rest } = values;
            values = attachment !== undefined && rest.document_id === undefined ? { ...rest, document_id: attachment } : rest;
            const doc = values.document_id;
            if (typeof doc === 'number') await ctx.own(req, await messages.document.get(doc), `document ${doc}`);
          }
          return toColumns(kind, values, existing);
        },
        remove: async (id) => {
          // Read again (a concurrent delete may have taken it since the load: then nothing is removed, a 417).
          const row = await rows.get(id);
          if (!row) return false;
          const media = mediaOf(row);
          const gone = await rows.delete(id);
          // The converted file may be shared by identical uploads (named by hash): only the original goes.
          if (gone && media) rmSync(join(dir, media.original), { force: true });
          return gone;
        },
      });
      if (kind === 'text') continue;

      const load = async (req: FastifyRequest) => {
        const id = idParam((req.params as { id: string }).id, kind);
        return ctx.own(req, await rows.get(id), `${kind} ${id}`);
      };
      const upload = async (req: FastifyRequest, append: boolean) => {
        await ctx.authorize(req, 'message_update');
        const row = await load(req);
        const contentType = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        const types = kind === 'document' ? DOCUMENT_TYPES : kind === 'recording' ? RECORDING_TYPES : TEMPLATE_TYPES;
        // application/octet-stream is taken when the message's own type names the extension.
        const declared = typeof row.type === 'string' && EXTENSIONS.includes(row.type.toLowerCase()) ? row.type.toLowerCase() : null;
        const ext = types[contentType] ?? (contentType === 'application/octet-stream' && declared && Object.values(types).includes(declared) ? declared : undefined);
        if (!ext) throw new SwitchpostError('unsupported_media_type', `a ${kind} takes ${[...new Set(Object.keys(types))].join(', ')}`);
        const bytes = req.body;
        if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw invalid('media', 'the body is empty');
        let converted: string | null = null;
        let pages: number | undefined;
        let secs: number | undefined;
        // POST appends a file to a document (DocumentApi::upload: path_append): the fax is made of all of them.
        const before = append ? mediaOf(row) : null;
        const earlier = before ? (before.parts ?? [before.original]) : [];
        if (earlier.length >= MAX_PARTS) throw invalid('media', `a ${kind} takes at most ${MAX_PARTS} files`);
        try {
          if (kind === 'document') {
            const fine = dataOf(row).quality === 'fine';
            const files = earlier.map((f) => ({ name: `document.${f.split('.').pop()}`, bytes: readFileSync(join(dir, f)) }));
            const fax = await ctx.deps.prepareFax([...files, { name: `document.${ext}`, bytes }], fine);
            converted = fax.path;
            pages = fax.pages;
          } else if (kind === 'recording') {
            // Appended (RecordingApi::upload by POST: path_append), the recording plays its files in order.
            const wav = await ctx.deps.convertAudio(bytes);
            converted = before?.converted ? (await ctx.deps.joinAudio([before.converted, wav.path])).path : wav.path;
            secs = Math.round(((statSync(converted).size - 44) / 16_000) * 10) / 10;
          } else if (bytes.includes(0) || !isUtf8(bytes)) {
            throw new MediaRefused('is not UTF-8 text');
          }
        } catch (err) {
          if (err instanceof MediaRefused) throw invalid('media', err.message.replace(/^"document\.\w+": /, ''));
          throw err;
        }
        mkdirSync(dir, { recursive: true });
        // A replaced document's appended parts go; a part's name carries its place, so a later one never overwrites an earlier.
        const file = earlier.length ? `${kind}-${row.id}-${earlier.length + 1}.${ext}` : `${kind}-${row.id}.${ext}`;
        const tmp = join(dir, `${file}.${process.pid}.tmp`);
        writeStored(tmp, join(dir, file), bytes);
        const old = mediaOf(row);
        if (!append && old?.parts) for (const f of old.parts.slice(1)) if (f !== file) rmSync(join(dir, f), { force: true });
        const parts = earlier.length ? [...earlier, file] : undefined;
        const first = parts ? parts[0]! : file;
        const size = parts ? parts.reduce((n, f) => n + statSync(join(dir, f)).size, 0) : bytes.length;
        // A document of several files is its fax and a recording its joined WAV; a template's files stay each its own.
        const joined = parts && kind !== 'template' ? (kind === 'document' ? 'tif' : 'wav') : null;
        const media: Media = {
          original: first,
          ...(parts ? { parts } : {}),
          content_type: joined ? MIME_OF[joined]! : (MIME_OF[ext] ?? contentType),
          type: joined ?? ext,
          size,
          converted,
          ...(pages ? { pages } : {}),
          ...(secs !== undefined ? { seconds: secs } : {}),
        };
        await rows.update(row.id, { media: JSON.stringify(media), type: media.type }, ctx.deps.clock.now());
        return row.id;
      };
      app.put(`${s.path}/:id/media`, { bodyLimit: 25 * 1024 * 1024, ...ictDoc(`Upload a ${kind}'s media (the raw file as the body)`, { responses: { '200': `the ${kind}'s id`, '415': 'a type it cannot take' }, answer: newId }) }, (req) =>
        upload(req, false),
      );
      // POST appends (ICTCore's DocumentApi, RecordingApi and TemplateApi::upload by POST: path_append).
      app.post(`${s.path}/:id/media`, { bodyLimit: 25 * 1024 * 1024, ...ictDoc(`Add a file to a ${kind}'s media (the raw file as the body)`, { responses: { '200': `the ${kind}'s id`, '415': 'a type it cannot take' }, answer: newId }) }, (req) =>
        upload(req, true),
      );
      app.get(`${s.path}/:id/media`, ictDoc(`Download a ${kind}'s media`, { responses: { '200': 'the file', '404': 'no media yet' }, answer: mediaFile, answerType: '*/*' }), async (req, reply) => {
        await ctx.authorize(req, 'message_read');
        const media = mediaOf(await load(req));
        // A document of several files downloads as its fax (ICTCore's download is made from the fax too).
        // So does a recording of several files (its joined WAV); a template of several, its first file.
        const file = media && (media.parts && media.converted ? media.converted : join(dir, media.original));
        if (!media || !file || !existsSync(file)) throw new SwitchpostError('not_found', `${kind} has no media yet; PUT it first`);
        const name = media.parts && media.converted ? `${kind}-${media.original.split('-')[1]!.split('.')[0]!}.${media.type}` : media.original;
        return reply.type(media.content_type).header('content-disposition', `attachment; filename="${name}"`).send(readFileSync(file));
      });
    }
}
