import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId, program as programAnswer } from './answers.js';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { UserRow } from '../../store/users.js';
import type { Channel } from '../../core/model.js';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callContent, smsContent, type Content, type EmailAttachment, type EmailContent } from '../../core/content.js';
import { checkEmailAddress } from '../../core/email-address.js';
import { allowedSendersOf, senderRefusal } from '../../core/allowed-senders.js';
import { attachmentName } from '../../media/attachments.js';
import { reuseStored, writeStored } from '../../media/store-file.js';
import type { Row } from '../../store/owned.js';
import { dataOf, mediaOf, templateFields, type Media } from './messages.js';
import { crudRoutes, type Values } from './crud.js';
import { parseBody, positiveInt, requiredText, seconds, text, invalid } from './fields.js';
import { isVoice, MAX_TTS_CHARS, VOICES } from '../../media/tts.js';
import { SwitchpostError } from '../../core/errors.js';
import { ictDoc } from './route-docs.js';

/** ICTCore's program types: what each sends, and the message it needs. */
export const PROGRAM_TYPES = {
  sendsms: { channel: 'sms', needs: 'text_id' },
  voicetts: { channel: 'tts', needs: 'text_id' },
  voicemessage: { channel: 'voice', needs: 'recording_id' },
  sendfax: { channel: 'fax', needs: 'document_id' },
  sendemail: { channel: 'email', needs: 'template_id' },
  // Receive programs: run by the daemon as messages arrive on their account (spool/inbound-router.ts);
  // emailtofax lets the account's address fax by e-mail (api/mail/email-to-fax.ts). None sends a transmission of its own.
  receivesms: { channel: null, needs: 'account_id' },
  receivefax: { channel: null, needs: 'account_id' },
  receiveemail: { channel: null, needs: 'account_id' },
  emailtofax: { channel: null, needs: 'account_id' },
  faxtoemail: { channel: null, needs: 'account_id' },
} as const satisfies Record<string, { channel: Channel | null; needs: string }>;
export type ProgramType = keyof typeof PROGRAM_TYPES;
const isProgramType = (t: string): t is ProgramType => Object.hasOwn(PROGRAM_TYPES, t);

/** ICTCore's service flags. */
export const SERVICE_FLAG: Record<Channel, number> = { tts: 1, tts2way: 1, voice: 1, fax: 2, sms: 4, sms2way: 4, mms: 4, email: 8 };

const programFields = {
  name: requiredText(100).optional(),
  parent_id: positiveInt.nullable().optional(),
  text_id: positiveInt.optional(),
  recording_id: positiveInt.optional(),
  document_id: positiveInt.optional(),
  template_id: positiveInt.optional(),
  account_id: positiveInt.optional(),
  // A message given inline becomes a stored text: sendsms's `message` or `content`
  // (core/Program/Sendsms.php), voicetts's `text` (core/Program/Voicetts.php), our older `data`.
  message: text(MAX_TTS_CHARS),
  content: text(MAX_TTS_CHARS),
  text: text(MAX_TTS_CHARS),
  data: text(MAX_TTS_CHARS),
  voice: z.string().optional(),
  // sendemail's template given inline (core/Program/Sendemail.php: Template::construct_from_array), stored as a template.
  template_array: templateFields.partial({ name: true }).optional(),
  // A receive program's copy by e-mail (receivesms, receivefax, receiveemail, faxtoemail): where it goes.
  email: z.string().max(320).nullable().optional(),
};
export const programBody = z.object(programFields);
export type ProgramBody = z.infer<typeof programBody>;

/** The inline message of a text program's body, in the field names its ICTCore type reads first. */
function inlineText(type: ProgramType, b: ProgramBody): string | null {
  const order = type === 'voicetts' ? [b.text, b.data, b.content, b.message] : [b.message, b.content, b.data, b.text];
  return order.find((v) => v !== undefined && v !== '') ?? null;
}

export const isProgramTypeName = isProgramType;

export interface ProgramStores {
  programs: IctcoreStores['programs'];
  messages: IctcoreStores['messages'];
}

/**
 * A program's columns from a body of its type (a new one when `existing` is null; an update keeps what
 * the body leaves out). Everything is checked before anything is stored; an inline text or template is
 * stored last (in `made`, for a caller that must undo it).
 */
export async function programValues(
  ctx: Ctx,
  s: ProgramStores,
  accountOwned: (req: FastifyRequest, id: number) => Promise<void>,
  req: FastifyRequest,
  type: ProgramType,
  b: ProgramBody,
  existing: Row | null,
): Promise<{ values: Record<string, string | number | null>; made: MadeMessage | null }> {
  const user = ctx.user(req);
  const needs = PROGRAM_TYPES[type].needs;
  const data: Record<string, unknown> = existing ? dataOf(existing) : {};
  const inline = needs === 'text_id' && b.text_id === undefined ? inlineText(type, b) : null;
  const inlineTemplate = needs === 'template_id' && b.template_id === undefined ? (b.template_array ?? null) : null;
  const id = b[needs];
  if (id === undefined && inline === null && inlineTemplate === null && data[needs] === undefined) throw invalid(needs, `is required for ${type} programs`);
  const tplDoc = inlineTemplate?.document_id ?? inlineTemplate?.attachment;
  if (typeof tplDoc === 'number') await ctx.own(req, await s.messages.document.get(tplDoc), `document ${tplDoc}`);
  if (id !== undefined) {
    if (needs === 'account_id') await accountOwned(req, id);
    else {
      const kind = needs.replace('_id', '') as 'text' | 'recording' | 'document' | 'template';
      await ctx.own(req, await s.messages[kind].get(id), `${kind} ${id}`);
    }
  }
  if (type === 'voicetts' && b.voice !== undefined) {
    if (!isVoice(b.voice)) throw invalid('voice', `one of ${Object.keys(VOICES).join(', ')}`);
    data.voice = b.voice;
  }
  if (b.email !== undefined) {
    if (needs !== 'account_id') throw invalid('email', `is for receive programs, not ${type}`);
    if (b.email === null || b.email.trim() === '') delete data.email;
    else {
      const c = checkEmailAddress(b.email);
      if (!c.ok) throw invalid('email', c.reason);
      data.email = c.address;
    }
  }
  if (b.parent_id) await ctx.own(req, await s.programs.get(b.parent_id), `program ${b.parent_id}`);
  // ICTCore's programs are named after their type unless named (public $name = 'sendsms').
  const name = b.name ?? (existing ? String(existing.name) : type);
  let made: MadeMessage | null = null;
  const now = ctx.deps.clock.now();
  if (id !== undefined) data[needs] = id;
  else if (inline !== null) data[needs] = (made = { kind: 'text', id: await s.messages.text.insert(user.id, { name, type: 'UTF-8', data: JSON.stringify({ data: inline }) }, now) }).id;
  else if (inlineTemplate !== null) {
    const t = inlineTemplate;
    const fields = { subject: t.subject, body: t.body, body_alt: t.body_alt ?? null, ...(typeof tplDoc === 'number' ? { document_id: tplDoc } : {}) };
    const row = { name: t.name ?? name, type: t.type ?? null, description: t.description ?? null, data: JSON.stringify(fields) };
    data[needs] = (made = { kind: 'template', id: await s.messages.template.insert(user.id, row, now) }).id;
  }
  const values: Record<string, string | number | null> = { name, data: JSON.stringify(data) };
  if (!existing) values.type = type;
  if (b.parent_id !== undefined) values.parent_id = b.parent_id ?? null;
  else if (!existing) values.parent_id = null;
  return { values, made };
}

/** A message a program's body gave inline and `programValues` stored. */
export interface MadeMessage {
  kind: 'text' | 'template';
  id: number;
}

/** A new program of `type` from `b`: its id, and the inline text it made (for a caller that must undo it). */
export async function makeProgram(ctx: Ctx, s: ProgramStores, accountOwned: (req: FastifyRequest, id: number) => Promise<void>, req: FastifyRequest, type: ProgramType, b: ProgramBody): Promise<{ id: number; made: MadeMessage | null }> {
  const { values, made } = await programValues(ctx, s, accountOwned, req, type, b, null);
  return { id: await s.programs.insert(ctx.user(req).id, values, ctx.deps.clock.now()), made };
}

/** A program type named in a path, or 404 listing the types. */
export function programType(raw: string): ProgramType {
  const type = raw.toLowerCase();
  if (!isProgramType(type)) throw new SwitchpostError('not_found', `no program type "${type.slice(0, 30)}" (${Object.keys(PROGRAM_TYPES).join(', ')})`);
  return type;
}

export const presentProgram = (r: Row) => ({ program_id: r.id, name: r.name, type: r.type, parent_id: r.parent_id ?? null, ...dataOf(r), created_by: r.user_id, date_created: seconds(r.created_at as number) });

/** What a transmission of `program` sends: its channel and the job content, read from its message now. */
export async function programContent(ctx: Ctx, messages: IctcoreStores['messages'], program: Row, user: UserRow, account: Row | null = null): Promise<{ channel: Channel; content: Content }> {
  const type = String(program.type);
  const spec = isProgramType(type) ? PROGRAM_TYPES[type] : null;
  if (!spec?.channel) throw new SwitchpostError('not_implemented', `${type} programs cannot send transmissions on this server yet`);
  if (!ctx.deps.channels.has(spec.channel)) throw new SwitchpostError('not_implemented', `${type}: the ${spec.channel} channel is not available on this server yet`);
  const data = dataOf(program);
  const message = async (kind: 'text' | 'recording' | 'document' | 'template') => {
    const row = await messages[kind].get(Number(data[`${kind}_id`]));
    if (!row) throw invalid(`${kind}_id`, `the program's ${kind} no longer exists`);
    return row;
  };
  const voice = typeof data.voice === 'string' && data.voice.trim() !== '' ? data.voice : 'default';
  switch (spec.channel) {
    case 'sms':
      return { channel: 'sms', content: smsContent({ template: String(dataOf(await message('text')).data) }) };
    case 'tts':
      return { channel: 'tts', content: callContent({ template: String(dataOf(await message('text')).data) }, { voice }) };
    case 'voice': {
      const rec = await message('recording');
      const media = mediaOf(rec);
      if (!media?.converted) throw new SwitchpostError('locked', `recording ${rec.id} has no media yet; PUT /messages/recordings/${rec.id}/media first`);
      return { channel: 'voice', content: callContent({ template: '' }, { voice, recording: { file: media.converted, name: String(rec.name) } }) };
    }
    case 'fax': {
      const doc = await message('document');
      const media = mediaOf(doc);
      if (!media?.converted) throw new SwitchpostError('locked', `document ${doc.id} has no media yet; PUT /messages/documents/${doc.id}/media first`);
      const profile = JSON.parse(user.profile) as Record<string, unknown>;
      const header = typeof profile.fax_header_text === 'string' ? profile.fax_header_text.replace(/[^\p{L}\p{N} .,:;()/&@+_-]/gu, '').slice(0, 60) : null;
      return { channel: 'fax', content: { kind: 'fax', document: media.converted, pages: media.pages ?? 0, fine: dataOf(doc).quality === 'fine', header: header || null, fileNames: [String(doc.name)] } };
    }
    case 'email': {
      const tpl = await message('template');
      const attachments: EmailAttachment[] = [];
      const file = (media: Media | null) => (media ? join(ctx.deps.dataDir, 'media', 'messages', media.original) : null);
      // The template's own file (PUT …/templates/{id}/media: ICTCore's Template::attachment), then a
      // document it names (`document_id`): copied for the job, so a later upload changes no queued mail.
      // Files appended to it (POST …/media) are each an attachment, in order.
      const tplMedia = mediaOf(tpl);
      const own = tplMedia ? (tplMedia.parts ?? [tplMedia.original]) : [];
      own.forEach((f, i) => attachments.push(keepAttachment(ctx.deps.dataDir, join(ctx.deps.dataDir, 'media', 'messages', f), `${String(tpl.name)}${own.length > 1 ? `-${i + 1}` : ''}.${f.split('.').pop()!}`)));
      const docId = dataOf(tpl).document_id;
      if (typeof docId === 'number') {
        const doc = await messages.document.get(docId);
        const media = doc ? mediaOf(doc) : null;
        if (!doc || !media) throw invalid('template_id', `template ${tpl.id}'s attachment, document ${docId}, ${doc ? 'has no media yet' : 'no longer exists'}`);
        const whole = media.parts && media.converted ? media.converted : file(media)!;
        attachments.push(keepAttachment(ctx.deps.dataDir, whole, `${String(doc.name)}.${media.parts ? 'tif' : media.type}`));
      }
      return { channel: 'email', content: templateEmail(dataOf(tpl), emailSender(user, account), attachments) };
    }
    default:
      throw new SwitchpostError('not_implemented', `${type} programs cannot send transmissions on this server yet`);
  }
}

/**
 * The From of a sendemail transmission, as ICTCore's Email_send has it (`[transmission:source:email]`):
 * the transmission's account's address, else (ICTCore's user default account) the user's own.
 */
function emailSender(user: UserRow, account: Row | null): { address: string; name: string | null } {
  const given = typeof account?.email === 'string' && account.email !== '' ? account.email : user.email;
  if (!given) throw invalid('account_id', 'a sendemail transmission needs a sender: give an account with an e-mail address, or set your own e-mail address');
  const c = checkEmailAddress(given);
  if (!c.ok) throw invalid('account_id', `the sender's e-mail address: ${c.reason}`);
  // An account's address is the user's to write: the same allowed senders as on every face (no open relay).
  const refused = senderRefusal(c.address, allowedSendersOf(user.profile), user.email, user.role === 'admin');
  if (refused) throw invalid('account_id', refused);
  const owner = account ?? user;
  const name = [owner.first_name, owner.last_name].filter((v) => typeof v === 'string' && v.trim() !== '').join(' ');
  return { address: c.address, name: name.replace(/[\r\n]+/g, ' ') || null };
}

/** A markup body: ICTCore's Template body is HTML (body_alt the plain text); a body without tags is text. */
const looksHtml = (body: string): boolean => /<\/?[a-z][^>]*>/i.test(body);

/** An e-mail from an ICTCore template's subject, body and body_alt. */
export function templateEmail(t: Record<string, unknown>, from: { address: string; name: string | null }, attachments: EmailAttachment[]): EmailContent {
  const body = typeof t.body === 'string' && t.body.trim() !== '' ? t.body : null;
  const alt = typeof t.body_alt === 'string' && t.body_alt.trim() !== '' ? t.body_alt : null;
  const html = body !== null && looksHtml(body) ? body : null;
  const text = alt ?? (html === null ? body : null);
  if (text === null && html === null) throw invalid('template_id', 'the template has no body');
  return { kind: 'email', from, subject: String(t.subject ?? '').replace(/[\r\n]+/g, ' '), text, html, attachments };
}

/** A file kept for a job's e-mail: stored once by content hash beside the v1 API's attachments. */
function keepAttachment(dataDir: string, path: string, name: string): EmailAttachment {
  const bytes = readFileSync(path);
  const dir = join(dataDir, 'media', 'attachments');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(bytes).digest('hex')}.bin`);
  if (!reuseStored(file)) writeStored(`${file}.${process.pid}.tmp`, file, bytes);
  return { file, name: attachmentName(name), size: bytes.length };
}

/** Programs: one POST per type (/programs/sendsms…), list (all or by type), read, update, delete. */
export function programRoutes(app: FastifyInstance, ctx: Ctx, programs: IctcoreStores['programs'], messages: IctcoreStores['messages'], accountOwned: (req: FastifyRequest, id: number) => Promise<void>): void {
  const stores = { programs, messages };
  crudRoutes(app, ctx, {
    path: '/programs',
    what: 'program',
    perm: 'program',
    store: programs,
    filters: { program_id: 'id', name: 'name', type: 'type', parent_id: 'parent_id' },
    present: presentProgram,
    answer: programAnswer,
    // GET /programs/sendsms lists that type's programs (ProgramApi::list_view).
    byName: (name) => (isProgramType(name.toLowerCase()) ? { type: name.toLowerCase() } : null),
    // PUT /programs/{id} (ProgramApi::update): its name, parent and the message of its type; the type stays.
    update: programBody as unknown as z.ZodType<Values>,
    beforeWrite: async (req, values, existing) => {
      const type = String(existing!.type);
      if (!isProgramType(type)) throw invalid('type', `${type} programs cannot be changed`);
      return (await programValues(ctx, stores, accountOwned, req, type, values as ProgramBody, existing)).values;
    },
    // No create here: ICTCore makes programs by type (below).
  });

  app.post('/programs/:type', ictDoc('Create a program of a type (sendsms, sendfax, voicemessage, …)', { body: programBody, answer: newId }), async (req) => {
    const type = programType(String((req.params as { type: string }).type));
    await ctx.authorize(req, 'program_create');
    return (await makeProgram(ctx, stores, accountOwned, req, type, parseBody(programBody, req.body))).id;
  });
}
