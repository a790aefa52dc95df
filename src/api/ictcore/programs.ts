import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { UserRow } from '../../store/users.js';
import type { Channel } from '../../core/model.js';
import { callContent, smsContent, type Content } from '../../core/content.js';
import type { Row } from '../../store/owned.js';
import { dataOf, mediaOf } from './messages.js';
import { crudRoutes } from './crud.js';
import { parseBody, positiveInt, requiredText, seconds, text, invalid } from './fields.js';
import { isVoice, MAX_TTS_CHARS, VOICES } from '../../media/tts.js';
import { SwitchpostError } from '../../core/errors.js';

/** ICTCore's program types: what each sends, and the message it needs. */
export const PROGRAM_TYPES = {
  sendsms: { channel: 'sms', needs: 'text_id' },
  voicetts: { channel: 'tts', needs: 'text_id' },
  voicemessage: { channel: 'voice', needs: 'recording_id' },
  sendfax: { channel: 'fax', needs: 'document_id' },
  sendemail: { channel: 'email', needs: 'template_id' },
  // Inbound and gateway programs: stored, and answer 501 until those flows exist.
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

const programBody = z.object({
  name: requiredText(100),
  parent_id: positiveInt.nullable().optional(),
  text_id: positiveInt.optional(),
  recording_id: positiveInt.optional(),
  document_id: positiveInt.optional(),
  template_id: positiveInt.optional(),
  account_id: positiveInt.optional(),
  // ICTCore's data_map: a text given inline becomes a stored text.
  data: text(MAX_TTS_CHARS),
  content: text(MAX_TTS_CHARS),
  voice: z.string().optional(),
});

export const presentProgram = (r: Row) => ({ program_id: r.id, name: r.name, type: r.type, parent_id: r.parent_id ?? null, ...dataOf(r), created_by: r.user_id, date_created: seconds(r.created_at as number) });

/** What a transmission of `program` sends: its channel and the job content, read from its message now. */
export async function programContent(ctx: Ctx, messages: IctcoreStores['messages'], program: Row, user: UserRow): Promise<{ channel: Channel; content: Content }> {
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
    default:
      throw new SwitchpostError('not_implemented', `${type} programs cannot send transmissions on this server yet`);
  }
}

/** Programs: one POST per type (/programs/sendsms…), list, read, delete. */
export function programRoutes(app: FastifyInstance, ctx: Ctx, programs: IctcoreStores['programs'], messages: IctcoreStores['messages'], accountOwned: (req: FastifyRequest, id: number) => Promise<void>): void {
  crudRoutes(app, ctx, {
    path: '/programs',
    what: 'program',
    perm: 'program',
    store: programs,
    filters: { program_id: 'id', name: 'name', type: 'type', parent_id: 'parent_id' },
    present: presentProgram,
    // No create or update here: ICTCore makes programs by type (below) and never updates one.
  });

  app.post('/programs/:type', async (req) => {
    const type = String((req.params as { type: string }).type).toLowerCase();
    if (!isProgramType(type)) throw new SwitchpostError('not_found', `no program type "${type.slice(0, 30)}" (${Object.keys(PROGRAM_TYPES).join(', ')})`);
    const user = await ctx.authorize(req, 'program_create');
    const b = parseBody(programBody, req.body);
    const needs = PROGRAM_TYPES[type].needs;
    // Everything is checked before anything is stored (an inline text is stored last).
    const inline = needs === 'text_id' && b.text_id === undefined ? (b.data ?? b.content ?? null) : null;
    const id = b[needs];
    if (id === undefined && inline === null) throw invalid(needs, `is required for ${type} programs`);
    if (id !== undefined) {
      if (needs === 'account_id') await accountOwned(req, id);
      else {
        const kind = needs.replace('_id', '') as 'text' | 'recording' | 'document' | 'template';
        await ctx.own(req, await messages[kind].get(id), `${kind} ${id}`);
      }
    }
    const data: Record<string, unknown> = {};
    if (type === 'voicetts' && b.voice !== undefined) {
      if (!isVoice(b.voice)) throw invalid('voice', `one of ${Object.keys(VOICES).join(', ')}`);
      data.voice = b.voice;
    }
    if (b.parent_id) await ctx.own(req, await programs.get(b.parent_id), `program ${b.parent_id}`);
    // ICTCore's data_map: a text given inline is stored as a text message of the user's.
    data[needs] = id ?? (await messages.text.insert(user.id, { name: b.name, data: JSON.stringify({ data: inline }) }, ctx.deps.clock.now()));
    return programs.insert(user.id, { type, name: b.name, parent_id: b.parent_id ?? null, data: JSON.stringify(data) }, ctx.deps.clock.now());
  });
}
