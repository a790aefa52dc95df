import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserRow } from '../../store/users.js';
import type { Form, UcontactDeps } from './deps.js';
import { missingPermission, type RoutePermissions } from '../route-permissions.js';
import { limitedMessage } from '../login-limiter.js';
import { parseLocalDateTime } from '../../core/windows.js';
import { validateNumber } from '../../core/numbers.js';
import { campaignJob, parseBase, rowProblem, type SmsRow } from './jobs.js';
import { ValidationError } from '../../core/errors.js';
import { guardInput } from '../input.js';
import { ucontactError, ucontactRefuse, ucontactText } from './errors.js';
import { emailRoutes } from './email-routes.js';
import { describeFace } from '../openapi/serve.js';
import { formFields, FORM_TYPES } from '../openapi/form-fields.js';
import { SEED_ANSWERS, SEED_EXAMPLES } from '../openapi/seed-examples.js';
import { ANSWERS, errorAnswer, jsonError, TEXT, zeroAnswer } from './answers.js';

export type { UcontactDeps, Form } from './deps.js';

const FACE = 'ucontact';

/** Every call but login and logout sends or injects messages. */
const UCONTACT_PERMISSIONS: RoutePermissions = {
  'POST /SMS/SendSMS': 'transmission_create',
  'POST /SMS/SendSMSv2': 'transmission_create',
  'GET /InboundSMS/ReceiveURLSMS': 'transmission_create',
  'POST /InboundSMS/ReceiveURLSMS': 'transmission_create',
  'POST /SMS/ScheduleDialerSMS': 'transmission_create',
  'POST /SMS/uploadbase': 'transmission_create',
  'POST /Forms/sendEmail': 'transmission_create',
  'POST /DialersResources/uploadMultiChannelBlacklistuploadDialerBase': 'transmission_create',
  'POST /DialersResources/uploadDialerBase': 'transmission_create',
};

/** uContact Integra (seed 002), SMS part: plain-text answers (OK / ERROR / 1), form-encoded bodies, session tokens. */
export async function ucontactFace(app: FastifyInstance, deps: UcontactDeps): Promise<void> {
  // Form bodies are the seed's way; a few lines, no plugin needed.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const text = ucontactText;
  const refuse = ucontactRefuse;
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => ucontactError(err, req, reply, app.log));
  app.setNotFoundHandler((req, reply) => refuse(req, reply, 404, 'not found'));
  guardInput(app, (reply, status, why) => refuse(reply.request, reply, status, why));
  describeFace(app, {
    title: 'uContact Integra SMS and e-mail (switchpost)',
    version: '1',
    description: 'SendSMS, SendSMSv2, inbound SMS by URL, scheduled SMS, CSV bases, Forms/sendEmail (seed 002). Answers are plain text (OK, ERROR, 1) unless said; forms are form-encoded or JSON.',
    securitySchemes: { session: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'the token from auth/login (or auth/getUserToken), as the header itself, or after "Bearer " or "Basic "' } },
    errorAnswer,
    errorType: TEXT,
  });

  // A JSON body may carry numbers; a list or an object where one value belongs is refused.
  const form = (req: FastifyRequest): Form => {
    const b = req.body;
    const q = req.query as Form;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return q;
    const out: Form = { ...q };
    for (const [k, v] of Object.entries(b)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else if (v !== null) throw new ValidationError(k.slice(0, 50), `${k.slice(0, 50)}: expected one value`);
    }
    return out;
  };
  const tokenOf = (req: FastifyRequest): string | null => {
    const h = req.headers.authorization?.trim();
    if (!h) return null;
    // uContact's own clients send `Basic <APIKey>` (its key is no user:password pair); Bearer and bare too.
    const scheme = /^(bearer|basic)\s+/i.exec(h);
    return scheme ? h.slice(scheme[0].length).trim() : h;
  };
  const sessionUser = async (req: FastifyRequest): Promise<UserRow | null> => {
    const token = tokenOf(req);
    if (!token) return null;
    const id = await deps.sessions.user(token, FACE, deps.sessionMs, deps.clock.now());
    const u = id === null ? undefined : await deps.users.byId(id);
    return u && u.active ? u : null;
  };
  const authed = (handler: (req: FastifyRequest, reply: FastifyReply, user: UserRow) => unknown) => async (req: FastifyRequest, reply: FastifyReply) => {
    const user = await sessionUser(req);
    if (!user) return refuse(req, reply, 401, 'no valid session token in Authorization');
    const missing = await missingPermission(deps.permissions, user, req, app.prefix, UCONTACT_PERMISSIONS);
    if (missing) return refuse(req, reply, 403, `this user lacks the ${missing} permission`);
    return handler(req, reply, user);
  };

  // Session: log in with the daemon's user and password, use the token in Authorization, log out.
  /** A session for the form's user and password, or the refusal already sent. */
  const openSession = async (req: FastifyRequest, reply: FastifyReply): Promise<{ user: UserRow; token: string } | FastifyReply> => {
    const f = form(req);
    const code = f.user ?? f.username ?? '';
    const login = code ? await deps.logins.login(code, f.password ?? '', req.ip) : null;
    if (login?.kind === 'limited') return refuse(req, reply.header('Retry-After', String(login.retryAfterS)), 429, limitedMessage(login));
    if (login?.kind !== 'ok') return refuse(req, reply, 401, 'wrong user or password');
    return { user: login.user, token: await deps.sessions.open(login.user.id, FACE, deps.sessionMs, deps.clock.now()) };
  };
  const expiresIn = Math.round(deps.sessionMs / 1000);
  app.post(
    '/auth/login',
    {
      config: {
        doc: {
          summary: 'Open a session',
          open: true,
          body: formFields({ user: "a switchpost user's code (or username)", username: 'the same as user', password: 'its password' }, ['password']),
          bodyTypes: FORM_TYPES,
          responses: { '200': '{"token", "expires_in"}', '401': 'wrong user or password', '429': 'too many failed logins (Retry-After)' },
          answer: ANSWERS.session,
        },
      },
    },
    async (req, reply) => {
      const s = await openSession(req, reply);
      if (!('token' in s)) return s;
      return reply.code(200).send({ token: s.token, expires_in: expiresIn });
    },
  );
  // uContact's own call (its API wiki): a JSON list with the key last, sent back as `Authorization: Basic <key>`;
  // an older revision puts it 3rd for a user without a phone, so three items: user, lifetime, key. A refusal is `0`.
  app.post(
    '/auth/getUserToken',
    {
      config: {
        doc: {
          summary: "Open a session (uContact's own call)",
          open: true,
          body: formFields({ user: "a switchpost user's code (or username)", username: 'the same as user', password: 'its password' }, ['password']),
          bodyTypes: FORM_TYPES,
          responses: { '200': '[user, lifetime in seconds, token]', '401': 'wrong user or password' },
          answer: ANSWERS.userToken,
          errorAnswer: zeroAnswer,
          errorType: TEXT,
        },
      },
    },
    async (req, reply) => {
      const s = await openSession(req, reply);
      if (!('token' in s)) return s;
      return reply.code(200).send([s.user.user_code, expiresIn, s.token]);
    },
  );
  app.post('/auth/logout', { config: { doc: { summary: 'End the session whose token is in Authorization', responses: { '200': 'OK', '401': 'no such session' }, answer: ANSWERS.ok, answerType: TEXT } } }, async (req, reply) => {
    const token = tokenOf(req);
    if (!token || !(await deps.sessions.close(token, FACE))) return refuse(req, reply, 401, 'no such session');
    return text(reply, 200, 'OK');
  });

  const createJob = async (user: UserRow, campaign: string, rows: SmsRow[], opts: { sender: string | null; scheduledAt: number | null; agent?: string | null }): Promise<number> => {
    const job = campaignJob(user.id, campaign, rows, opts);
    const id = await deps.jobs.create(job, deps.clock.now());
    deps.onJobCreated(id, user.id, job.channel, job.recipients.length);
    return id;
  };
  const oneSms = async (req: FastifyRequest, user: UserRow): Promise<{ jobId: number } | string> => {
    const f = form(req);
    const row: SmsRow = { campaign: f.campaign ?? '', destination: f.destination ?? '', text: f.message ?? '', priority: null };
    const problem = rowProblem(row);
    if (problem) return problem;
    const source = f.source?.trim() || null;
    if (source && !/^\+?[0-9A-Za-z ._&-]{1,15}$/.test(source)) return 'source: expected a caller id or up to 11 letters and digits';
    return { jobId: await createJob(user, row.campaign, [row], { sender: source, scheduledAt: null, agent: f.agent ?? null }) };
  };

  app.post(
    '/SMS/SendSMS',
    {
      config: {
        doc: {
          summary: 'Send an SMS',
          body: formFields({ destination: 'Number of the sms destination', message: 'Text message', campaign: 'Outbound campaign', agent: 'Sender Agent', source: 'Callerid or Port Number' }, ['destination', 'message']),
          bodyTypes: FORM_TYPES,
          responses: { '200': 'OK', '400': 'ERROR (text)', '401': 'no valid session token' },
          answer: ANSWERS.ok,
          answerType: TEXT,
          answerExamples: SEED_ANSWERS.ucontact!['POST /SMS/SendSMS'],
        },
      },
    },
    authed(async (req, reply, user) => {
      const r = await oneSms(req, user);
      return typeof r === 'string' ? refuse(req, reply, 400, r) : text(reply, 200, 'OK');
    }),
  );

  app.post(
    '/SMS/SendSMSv2',
    {
      config: {
        doc: {
          summary: 'Send an SMS, answered with its id',
          body: formFields({ destination: 'Number of the sms destination', message: 'Text message', campaign: 'Outbound campaign', agent: 'Sender Agent', source: 'Callerid or Port Number' }, ['destination', 'message']),
          bodyTypes: FORM_TYPES,
          responses: { '200': '{"id": "<smsId>"}', '400': '{"error": …}', '401': 'no valid session token' },
          answer: ANSWERS.smsId,
          errorAnswer: jsonError,
        },
      },
    },
    authed(async (req, reply, user) => {
      const r = await oneSms(req, user);
      if (typeof r === 'string') return refuse(req, reply, 400, r);
      const recipient = (await deps.jobs.recipients(r.jobId))[0]!;
      return reply.code(200).send({ id: String(recipient.id) });
    }),
  );

  // The seed says GET with a form content type; clients that follow the content type POST the form: both.
  const receiveUrlSms = authed(async (req, reply, user) => {
    const f = form(req);
    const phone = (f.phone ?? '').trim();
    if (!/^\+?[0-9]{3,15}$/.test(phone)) return refuse(req, reply, 400, 'phone: expected a phone number');
    if (typeof f.message !== 'string' || f.message.length > 1600) return refuse(req, reply, 400, 'message: required, at most 1600 characters');
    const checked = validateNumber(phone, user.country);
    const from = checked.ok ? checked.e164 : phone;
    // Answered once the message is stored (and its callbacks written).
    await new Promise<void>((resolve) => deps.inbound({ providerId: null, userId: user.id, channel: 'sms', from, to: null, text: f.message!, at: deps.clock.now(), data: { via: 'ucontact' } }, resolve));
    return text(reply, 200, 'OK');
  });
  const inboundFields = { phone: 'Número origen del sms', message: 'Mensaje de texto' };
  const inboundResponses = { '200': 'OK', '400': 'ERROR (text)', '401': 'no valid session token' };
  const inboundAnswer = (method: 'GET' | 'POST') => ({ answer: ANSWERS.ok, answerType: TEXT, answerExamples: SEED_ANSWERS.ucontact![`${method} /InboundSMS/ReceiveURLSMS`] });
  app.get('/InboundSMS/ReceiveURLSMS', { config: { doc: { summary: 'Take in an SMS received elsewhere', queryNames: inboundFields, responses: inboundResponses, ...inboundAnswer('GET') } } }, receiveUrlSms);
  app.post(
    '/InboundSMS/ReceiveURLSMS',
    { config: { doc: { summary: 'Take in an SMS received elsewhere', body: formFields(inboundFields, ['phone', 'message']), bodyTypes: FORM_TYPES, responses: inboundResponses, ...inboundAnswer('POST') } } },
    receiveUrlSms,
  );

  app.post(
    '/SMS/ScheduleDialerSMS',
    {
      config: {
        doc: {
          summary: 'Schedule an SMS for the dialer',
          body: formFields({ sms: 'a JSON object: {"calldate": "YYYY-MM-DD HH:MM:SS", "campaign", "destination", "data": the text}' }, ['sms']),
          bodyTypes: FORM_TYPES,
          examples: SEED_EXAMPLES.ucontact!['POST /SMS/ScheduleDialerSMS'],
          responses: { '200': '1', '400': 'ERROR (text)', '401': 'no valid session token' },
          answer: ANSWERS.one,
          answerType: TEXT,
        },
      },
    },
    authed(async (req, reply, user) => {
      let sms: Record<string, unknown>;
      try {
        sms = JSON.parse(form(req).sms ?? '') as Record<string, unknown>;
      } catch {
        return refuse(req, reply, 400, 'sms: expected a JSON object');
      }
      if (typeof sms !== 'object' || sms === null) return refuse(req, reply, 400, 'sms: expected a JSON object');
      const str = (k: string) => (typeof sms[k] === 'string' || typeof sms[k] === 'number' ? String(sms[k]) : '');
      const at = parseLocalDateTime(str('calldate'), user.timezone);
      if (at === null) return refuse(req, reply, 400, 'sms.calldate: expected "YYYY-MM-DD HH:MM:SS"');
      const row: SmsRow = { campaign: str('campaign'), destination: str('destination'), text: str('data'), priority: null };
      const problem = rowProblem(row);
      if (problem) return refuse(req, reply, 400, `sms.${problem}`);
      await createJob(user, row.campaign, [row], { sender: null, scheduledAt: at });
      return text(reply, 200, '1');
    }),
  );

  app.post(
    '/SMS/uploadbase',
    {
      config: {
        doc: {
          summary: 'Upload a CSV base of SMS (campaign;number;text;priority)',
          body: formFields({ filename: 'Name of the file', fileb64: 'base64 content of the file', campaign: 'Name of the campaign' }, ['fileb64']),
          bodyTypes: FORM_TYPES,
          responses: { '200': '1 (the rows are stored; rejected rows are logged and on the event stream)', '400': 'ERROR (text)', '401': 'no valid session token' },
          answer: ANSWERS.one,
          answerType: TEXT,
        },
      },
    },
    authed(async (req, reply, user) => {
      const f = form(req);
      const b64 = (f.fileb64 ?? '').replace(/\s+/g, '');
      if (!b64 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return refuse(req, reply, 400, 'fileb64: expected base64');
      const csv = Buffer.from(b64, 'base64').toString('utf8');
      const source = (f.filename ?? 'upload').slice(0, 255);
      const { rows, rejected } = parseBase(csv, f.campaign ?? '');
      // Stored before the answer (nothing is lost if the daemon dies); the dialer sends them later.
      const byCampaign = new Map<string, SmsRow[]>();
      for (const r of rows) (byCampaign.get(r.campaign) ?? byCampaign.set(r.campaign, []).get(r.campaign)!).push(r);
      // One after another, as before: job ids in the file's campaign order.
      for (const [campaign, list] of byCampaign) await createJob(user, campaign, list, { sender: null, scheduledAt: null });
      const now = deps.clock.now();
      for (const r of rejected) {
        req.log.warn({ file: source, line: r.line, reason: r.reason }, 'uploadbase row rejected');
        deps.bus.emit({ type: 'import.rejected', at: now, userId: user.id, source, line: r.line, reason: r.reason });
      }
      req.log.info({ file: source, accepted: rows.length, rejected: rejected.length, jobs: byCampaign.size }, 'uploadbase processed');
      return text(reply, 200, '1');
    }),
  );

  emailRoutes(app, deps, { authed, form, refuse, text });
}
