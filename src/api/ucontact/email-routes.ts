import { randomUUID } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserRow } from '../../store/users.js';
import { parseLocalDateTime } from '../../core/windows.js';
import { checkEmailAddress } from '../../core/email-address.js';
import { allowedSendersOf, senderRefusal } from '../../core/allowed-senders.js';
import { inviteIcs } from '../../core/ics.js';
import type { EmailAttachment, EmailContent } from '../../core/content.js';
import type { AudioFile } from '../../media/audio.js';
import { MediaRefused } from '../../media/refused.js';
import { formFields, FORM_TYPES } from '../openapi/form-fields.js';
import { SEED_ANSWERS, SEED_EXAMPLES } from '../openapi/seed-examples.js';
import { ANSWERS, jsonError, TEXT } from './answers.js';
import { bodiesOf, emailJob, parseEmailBase, recipientsOf, sendEmailSchema, ucontactEmailContent, variablesOf, type EmailRow } from './email.js';
import type { Form, UcontactDeps } from './deps.js';

type Handler = (req: FastifyRequest, reply: FastifyReply, user: UserRow) => unknown;
interface Helpers {
  authed: (h: Handler) => (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  form: (req: FastifyRequest) => Form;
  refuse: (req: FastifyRequest, reply: FastifyReply, status: number, why: string) => FastifyReply;
  text: (reply: FastifyReply, status: number, body: string) => FastifyReply;
}

/** A refusal of the client's input: 400 with the reason. */
class Bad extends Error {}

const ONE_LINE = /[\r\n]/;
const URL_LIKE = /^https?:\/\//i;

/** Forms/sendEmail and the e-mail dialer base upload (seed 002), on the face's helpers. */
export function emailRoutes(app: FastifyInstance, deps: UcontactDeps, h: Helpers): void {
  const fromOf = (user: UserRow): { address: string; name: string | null } => {
    const c = user.email ? checkEmailAddress(user.email) : null;
    if (!c?.ok) throw new Bad(`this user has no e-mail address to send from (set the user's email)`);
    // The From is the user's own address, and still one its account must allow (allowed_email_senders).
    const refused = senderRefusal(c.address, allowedSendersOf(user.profile), user.email, user.role === 'admin');
    if (refused) throw new Bad(refused);
    const name = [user.first_name, user.last_name].filter((s) => s?.trim()).join(' ') || null;
    return { address: c.address, name: name && !ONE_LINE.test(name) ? name : null };
  };

  /** A file the client names: a URL (fetched through the media policy) or a path under filesDir, never outside it. */
  const attachmentFile = async (location: string): Promise<AudioFile> => {
    const name = location.split(/[/\\]/).pop() || 'attachment';
    if (URL_LIKE.test(location)) return { name, url: location };
    const base = resolve(deps.filesDir);
    const path = resolve(base, location);
    const rel = relative(base, path);
    if (isAbsolute(location) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new Bad(`attachments: "${location.slice(0, 100)}" is not a file location on this server`);
    let real: string;
    try {
      real = realpathSync(path);
      if (!real.startsWith(realpathSync(base) + sep) || !statSync(real).isFile()) throw new Error('outside');
    } catch {
      throw new Bad(`attachments: "${location.slice(0, 100)}": no such file`);
    }
    if (statSync(real).size > deps.maxAttachmentMb * 1024 * 1024) throw new Bad(`attachments: the attachments are larger than ${deps.maxAttachmentMb} MB together`);
    return { name, base64content: (await readFile(real)).toString('base64') };
  };
  const storeAttachments = async (locations: string[]): Promise<EmailAttachment[]> => {
    if (locations.length === 0) return [];
    const files: AudioFile[] = [];
    for (const l of locations) files.push(await attachmentFile(l));
    try {
      return await deps.prepareAttachments(files);
    } catch (err) {
      if (err instanceof MediaRefused) throw new Bad(`attachments: ${err.message}`);
      throw err;
    }
  };

  /** The user's template by name (the newest of that name): subject, body and plain alternative. */
  const templateOf = async (user: UserRow, name: string): Promise<{ subject: string; body: string; alt: string | null }> => {
    const rows = await deps.templates.list({ userId: user.id, role: 'user' }, { name });
    const row = rows[rows.length - 1];
    if (!row) throw new Bad(`template: no template "${name.slice(0, 100)}"`);
    const data = JSON.parse(typeof row.data === 'string' ? row.data : '{}') as Record<string, unknown>;
    const str = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : null);
    return { subject: str('subject') ?? '', body: str('body') ?? '', alt: str('body_alt') };
  };

  const createJob = async (user: UserRow, job: ReturnType<typeof emailJob>): Promise<number> => {
    const id = await deps.jobs.create(job, deps.clock.now());
    deps.onJobCreated(id, user.id, job.channel, job.recipients.length);
    return id;
  };

  const sendEmail = async (req: FastifyRequest, user: UserRow): Promise<string> => {
    const b = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new Bad('the body must be a JSON object');
    const parsed = sendEmailSchema.safeParse(b);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      const where = i.path.join('.');
      if (i.code === 'unrecognized_keys')
        throw new Bad(
          `${i.keys
            .map((k) => (where ? `${where}.${k}` : k))
            .join(', ')
            .slice(0, 100)}: not a sendEmail field`,
        );
      throw new Bad(`${where || 'body'}: ${i.message}`);
    }
    const p = parsed.data;
    const to = recipientsOf(p.to);
    if (!to.ok) throw new Bad(to.reason);
    const vars = variablesOf(p.variables);
    if (!vars.ok) throw new Bad(vars.reason);
    // The seed: "Template only will be sent if the body is not specified."
    const hasBody = p.body !== undefined && p.body.trim() !== '';
    const template = !hasBody && p.template?.trim() ? await templateOf(user, p.template.trim()) : null;
    if (!hasBody && !template) throw new Bad(p.template?.trim() ? 'template: is empty' : 'body: give a body or a template');
    const subject = p.subject ?? template?.subject ?? '';
    if (ONE_LINE.test(subject)) throw new Bad('subject: must be one line');
    const bodies = hasBody ? bodiesOf(p.body!) : bodiesOf(template!.body, template!.alt);
    if (!hasBody && template!.body.trim() === '') throw new Bad(`template: "${p.template!.trim().slice(0, 100)}" has an empty body`);
    const from = fromOf(user);
    const guid = randomUUID();
    let invite: EmailContent['invite'];
    if (p.schedule) {
      const start = parseLocalDateTime(p.schedule.from, user.timezone);
      const end = parseLocalDateTime(p.schedule.to, user.timezone);
      if (start === null) throw new Bad('schedule.from: expected "YYYY-MM-DD HH:MM:SS"');
      if (end === null) throw new Bad('schedule.to: expected "YYYY-MM-DD HH:MM:SS"');
      if (end <= start) throw new Bad('schedule.to: must be after schedule.from');
      // The organizer is a name in the seed ("Myself"); an address given there is the organizer's mailbox.
      const org = p.schedule.organizer?.trim() ?? '';
      const orgAddress = org ? checkEmailAddress(org) : null;
      const organizer = orgAddress?.ok ? { name: null, address: orgAddress.address } : { name: org || from.name, address: from.address };
      const summary = p.schedule.title?.trim() || subject;
      invite = { method: 'REQUEST', ics: inviteIcs({ uid: `${guid}@${from.address.split('@')[1]}`, stamp: deps.clock.now(), start, end, summary, organizer, attendees: to.addresses }) };
    }
    // Checked above; the files are read and stored last, so a refusal before leaves nothing behind.
    const attachments = await storeAttachments(p.attachments ?? []);
    const content = { ...ucontactEmailContent(from, subject, bodies, attachments), ...(invite ? { invite } : {}) };
    const campaign = p.campaign?.trim() ?? '';
    const jobId = await createJob(
      user,
      emailJob(
        user.id,
        campaign,
        content,
        to.addresses.map((address) => ({ address, fields: vars.fields })),
        { guid },
      ),
    );
    req.log.info({ jobId, guid, recipients: to.addresses.length }, 'uContact e-mail created');
    return guid;
  };

  app.post(
    '/Forms/sendEmail',
    {
      config: {
        doc: {
          summary: 'Send an e-mail (template, variables, attachments, a calendar invite)',
          body: sendEmailSchema,
          examples: SEED_EXAMPLES.ucontact!['POST /Forms/sendEmail'],
          responses: { '200': '{"guid": …}', '400': 'Wrong parameters: {"error": …}', '401': 'no valid session token' },
          answer: ANSWERS.guid,
          answerExamples: SEED_ANSWERS.ucontact!['POST /Forms/sendEmail'],
          errorAnswer: jsonError,
        },
      },
    },
    h.authed(async (req, reply, user) => {
      try {
        return reply.code(200).send({ guid: await sendEmail(req, user) });
      } catch (err) {
        if (err instanceof Bad) return h.refuse(req, reply, 400, err.message);
        throw err;
      }
    }),
  );

  // The seed's path reads as two names run together; its parameters and CSV are the dialer base's, so
  // both the path as written and its last name take the e-mail base.
  const uploadBase = h.authed(async (req, reply, user) => {
    const f = h.form(req);
    if ((f.channel ?? 'email').trim().toLowerCase() !== 'email') return h.refuse(req, reply, 400, "channel: only 'email' is taken here");
    const b64 = (f.fileb64 ?? '').replace(/\s+/g, '');
    if (!b64 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return h.refuse(req, reply, 400, 'fileb64: expected base64');
    if (f.cant !== undefined && f.cant.trim() !== '' && !/^\d{1,9}$/.test(f.cant.trim())) return h.refuse(req, reply, 400, 'cant: expected a whole number');
    let from;
    try {
      from = fromOf(user);
    } catch (err) {
      return h.refuse(req, reply, 400, (err as Error).message);
    }
    const csv = Buffer.from(b64, 'base64').toString('utf8');
    const source = (f.filename ?? 'upload').slice(0, 255);
    const { rows, rejected, lines } = parseEmailBase(csv, (f.dialer ?? '').trim());
    // `cant` is the count of registries the client sent: a file that holds another count was cut or mixed up.
    if (f.cant !== undefined && f.cant.trim() !== '' && Number(f.cant) !== lines) return h.refuse(req, reply, 400, `cant: the file has ${lines} registries, cant says ${f.cant.trim()}`);
    // One job per campaign, subject and body (a job's e-mail is one template); in the file's order.
    const groups = new Map<string, EmailRow[]>();
    for (const r of rows) {
      const k = JSON.stringify([r.campaign, r.subject, r.body]);
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(r);
    }
    for (const list of groups.values()) {
      const first = list[0]!;
      const content = ucontactEmailContent(from, first.subject, bodiesOf(first.body), []);
      await createJob(
        user,
        emailJob(
          user.id,
          first.campaign,
          content,
          list.map((r) => ({ address: r.address, fields: r.fields, priority: r.priority })),
          { file: source },
        ),
      );
    }
    const now = deps.clock.now();
    for (const r of rejected) {
      req.log.warn({ file: source, line: r.line, reason: r.reason }, 'e-mail base row rejected');
      deps.bus.emit({ type: 'import.rejected', at: now, userId: user.id, source, line: r.line, reason: r.reason });
    }
    req.log.info({ file: source, accepted: rows.length, rejected: rejected.length, jobs: groups.size }, 'e-mail base processed');
    return h.text(reply, 200, '1');
  });
  const uploadDoc = {
    summary: 'Upload a CSV base of e-mails (campaign;address;body;;variables;priority)',
    body: formFields({ filename: 'File name', fileb64: 'Csv file content in base 64', channel: "'email' (this value will always be the same)", user: 'username', dialer: 'dialername', cant: 'registries count' }, ['fileb64']),
    bodyTypes: FORM_TYPES,
    responses: { '200': '1', '400': 'ERROR (text)', '401': 'no valid session token' },
    answer: ANSWERS.one,
    answerType: TEXT,
  };
  app.post('/DialersResources/uploadMultiChannelBlacklistuploadDialerBase', { config: { doc: uploadDoc } }, uploadBase);
  app.post('/DialersResources/uploadDialerBase', { config: { doc: uploadDoc } }, uploadBase);
}
