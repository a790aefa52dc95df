import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VerificationStore } from '../../store/verification.js';
import type { JobStore } from '../../store/jobs.js';
import type { UserRow } from '../../store/users.js';
import type { Remote } from '../../store/remote.js';
import type { Channel } from '../../core/model.js';
import type { Clock } from '../../core/clock.js';
import { plainValue, controlCharacterIn } from '../../core/merge.js';
import { validateNumber } from '../../core/numbers.js';
import { callContent, smsContent, type Content } from '../../core/content.js';
import { checkEmailAddress } from '../../core/email-address.js';
import { systemEmail } from '../../core/email.js';
import { z } from 'zod';
import type { RouteDoc } from '../openapi/route-doc.js';
import { SEED_ANSWERS, SEED_EXAMPLES } from '../openapi/seed-examples.js';
import { ANSWERS } from './answers.js';

export interface VerificationDeps {
  codes: Remote<VerificationStore>;
  jobs: Remote<JobStore>;
  clock: Clock;
  key: Buffer;
  channels: ReadonlySet<Channel>;
  codeTtlMs: number;
  maxFailures: number;
  failureWindowMs: number;
  onJobCreated: (jobId: number, userId: number, channel: Channel, total: number) => void;
  /** The From of codes sent by e-mail (config email.system_from); null: e-mail codes answer 501. */
  systemFrom: { address: string; name: string | null } | null;
}

const MINUTE = 60_000;
const DEFAULT_TEMPLATE = 'Your [[company_name]] verification code is [[code]]';
/** An e-mailed code's subject (the seed gives none): the company's name when given, no code in it. */
const emailSubject = (company: string | undefined): string => (company ? `Your ${plainValue(company)} verification code` : 'Your verification code');

type Destination = { ok: true; address: string } | { ok: false; reason: string };

/**
 * The v1 API's 2FA (seed 000, client_verification): sendCode and validateCode, as POST JSON or GET
 * query. Codes are six digits, kept as a keyed digest, usable once, within the code's time to live and
 * the caller's validation_window; guessing is limited per client_ref. Errors are an array of messages.
 */
export function verificationRoutes(app: FastifyInstance, deps: VerificationDeps, send: (reply: FastifyReply, status: number, body: Record<string, unknown>) => FastifyReply): void {
  const digest = (userId: number, clientRef: string, code: string) => createHmac('sha256', deps.key).update(`${userId}\u0000${clientRef}\u0000${code}`).digest('hex');
  const params = (req: FastifyRequest): Record<string, unknown> => {
    const b = req.body;
    return { ...(req.query as Record<string, unknown>), ...(typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {}) };
  };
  const str = (p: Record<string, unknown>, k: string): string | undefined => (typeof p[k] === 'string' ? (p[k] as string).trim() : typeof p[k] === 'number' ? String(p[k]) : undefined);
  const fail = (reply: FastifyReply, status: number, errors: string[]) => send(reply, status, { errors });
  const checkedRef = (p: Record<string, unknown>, errors: string[]): string | undefined => {
    const ref = str(p, 'client_ref');
    if (!ref || ref.length > 255) errors.push('client_ref: required, at most 255 characters');
    return ref;
  };

  const sendCode = async (req: FastifyRequest, reply: FastifyReply) => {
    const user = req.user as UserRow;
    const p = params(req);
    const errors: string[] = [];
    const clientRef = checkedRef(p, errors);
    const type = str(p, 'message_type')?.toLowerCase();
    if (!type || !['sms', 'email', 'tts'].includes(type)) errors.push('message_type: one of sms, email or tts');
    const destination = str(p, 'message_destination');
    if (!destination) errors.push('message_destination: required');
    const template = str(p, 'message_template');
    const company = str(p, 'company_name');
    if (template !== undefined && (!template.includes('[[code]]') || template.length > 480)) errors.push('message_template: must contain [[code]] and be at most 480 characters');
    if (template === undefined && (!company || company.length > 100)) errors.push('company_name: required when there is no message_template (at most 100 characters)');
    const control = template === undefined ? null : controlCharacterIn(template);
    if (control) errors.push(`message_template: contains a control character (${control}); only LF, CR and TAB are taken`);
    if (errors.length) return fail(reply, 422, errors);
    if (type === 'tts' && !deps.channels.has('tts')) return fail(reply, 501, [`message_type: ${type} codes are not available on this server yet`]);
    if (type === 'email' && (!deps.systemFrom || !deps.channels.has('email'))) return fail(reply, 501, ['message_type: email codes are not available on this server (no email.system_from is configured)']);
    const check = destinationOf(type!, destination!, user.country);
    if (!check.ok) return fail(reply, 422, [`message_destination: ${check.reason}`]);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    // A function replacer: "$&" or "$'" in a company name are text, not replacement patterns.
    const base = template ?? DEFAULT_TEMPLATE.replace('[[company_name]]', () => plainValue(company!));
    const now = deps.clock.now();
    const channel: Channel = type === 'tts' ? 'tts' : type === 'email' ? 'email' : 'sms';
    const text = base.replaceAll('[[code]]', code);
    const content: Content = type === 'tts' ? callContent({ texts: [text] }) : type === 'email' ? systemEmail(deps.systemFrom!, emailSubject(company), text) : smsContent({ texts: [text] });
    const jobId = await deps.jobs.create(
      {
        userId: user.id,
        face: 'welcorp',
        channel,
        name: '2FA verification',
        content,
        options: { two_factor: true, client_ref: clientRef, template: base },
        callbackUrl: null,
        sender: null,
        scheduledAt: null,
        validUntil: now + deps.codeTtlMs,
        replyUntil: null,
        cutoff: null,
        blackouts: [],
        recipients: [{ destination: check.address, name: null, reference: clientRef!, fields: { __message: '0' }, blackouts: null }],
      },
      now,
    );
    await deps.codes.add(user.id, clientRef!, digest(user.id, clientRef!, code), type!, check.address, jobId, now);
    deps.onJobCreated(jobId, user.id, channel, 1);
    return send(reply, 200, { data: 'message sent' });
  };

  // A client_ref's validations one after another, as they were when the store was synchronous: the
  // failure count is read, and a failure written, by separate calls now, and guesses sent together
  // would otherwise all pass the count before any of them is written.
  const validating = new Map<string, Promise<unknown>>();
  const inTurn = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (validating.get(key) ?? Promise.resolve()).then(fn);
    const settled = run.catch(() => undefined);
    validating.set(key, settled);
    void settled.then(() => {
      if (validating.get(key) === settled) validating.delete(key);
    });
    return run;
  };

  const validateCode = async (req: FastifyRequest, reply: FastifyReply) => {
    const user = req.user as UserRow;
    const p = params(req);
    const errors: string[] = [];
    const clientRef = checkedRef(p, errors);
    const entered = str(p, 'entered_code');
    if (!entered || entered.length > 32) errors.push('entered_code: required');
    const windowRaw = p.validation_window ?? 10;
    const windowMin = typeof windowRaw === 'string' && /^\d+$/.test(windowRaw) ? Number(windowRaw) : windowRaw;
    if (typeof windowMin !== 'number' || !Number.isInteger(windowMin) || windowMin < 1 || windowMin > 120) errors.push('validation_window: a whole number of minutes from 1 to 120');
    if (errors.length) return fail(reply, 422, errors);
    return inTurn(`${user.id}\u0000${clientRef!}`, () => check(reply, user, clientRef!, entered!, windowMin as number));
  };

  const check = async (reply: FastifyReply, user: UserRow, clientRef: string, entered: string, windowMin: number) => {
    const now = deps.clock.now();
    if ((await deps.codes.failuresSince(user.id, clientRef, now - deps.failureWindowMs)) >= deps.maxFailures) {
      return fail(reply, 429, [`too many wrong codes for this client_ref; try again in ${Math.round(deps.failureWindowMs / MINUTE)} minutes`]);
    }
    const since = now - Math.min(windowMin * MINUTE, deps.codeTtlMs);
    const wanted = Buffer.from(digest(user.id, clientRef, entered), 'hex');
    const hit = (await deps.codes.usable(user.id, clientRef, since)).find((c) => timingSafeEqual(Buffer.from(c.code_hash, 'hex'), wanted));
    // use() spends the code only if it is still unused (one UPDATE): of two requests with it, one is valid.
    if (hit && (await deps.codes.use(hit.id, now))) return send(reply, 200, { data: 'valid' });
    await deps.codes.failure(user.id, clientRef, now);
    return send(reply, 200, { data: 'invalid' });
  };

  for (const [path, handler, doc] of [
    ['/client_verification/sendCode', sendCode, SEND_CODE_DOC],
    ['/client_verification/validateCode', validateCode, VALIDATE_CODE_DOC],
  ] as const) {
    const fields = Object.fromEntries(Object.keys(doc.body.shape).map((k) => [k, 'as in the body']));
    const answers = { answer: doc.answer, answerExamples: SEED_ANSWERS.welcorp![`POST ${path}`] };
    app.get(path, { config: { doc: { summary: doc.summary, queryNames: fields, responses: doc.responses, ...answers } } }, handler);
    app.post(path, { config: { doc: { ...doc, ...answers, examples: SEED_EXAMPLES.welcorp![`POST ${path}`] } } }, handler);
  }
}

/**
 * Where a code goes: an e-mail code to one mailbox (core/email-address.ts); an SMS or TTS code to "a
 * valid international mobile number, including the country code", with or without "+".
 */
function destinationOf(type: string, destination: string, country: string): Destination {
  if (type === 'email') return checkEmailAddress(destination);
  const check = validateNumber(/^\d+$/.test(destination) && !destination.startsWith('0') ? `+${destination}` : destination, country);
  return check.ok ? { ok: true, address: check.e164 } : check;
}

/**
 * The fields each call reads (query or JSON body) and their types, for the OpenAPI document. The
 * handlers check them one by one (every problem in one answer), so these say what is read, not
 * every rule.
 */
const field = z.union([z.string(), z.number()]);
const SEND_CODE_DOC = {
  summary: 'Send a 2FA code by sms, email or tts',
  body: z.looseObject({ client_ref: field, message_type: z.string(), message_destination: field, message_template: z.string().optional(), company_name: z.string().optional() }),
  responses: { '200': '{"status": 200, "data": "message sent"}', '401': 'Invalid credentials.', '422': '{"status": 422, "errors": […]}', '501': 'that message type is not available here' },
  answer: ANSWERS.codeSent,
} satisfies RouteDoc;
const VALIDATE_CODE_DOC = {
  summary: 'Check a 2FA code a user entered',
  body: z.looseObject({ client_ref: field, entered_code: field, validation_window: z.union([z.number(), z.string()]).optional() }),
  responses: { '200': '{"status": 200, "data": "valid"} or "invalid"', '401': 'Invalid credentials.', '422': '{"status": 422, "errors": […]}' },
  answer: ANSWERS.codeChecked,
} satisfies RouteDoc;
