import { settingProblem } from './user-settings.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { DateTime } from 'luxon';
import { UserCodeTaken, type UserPatch, type UserRow, type UserStore } from '../../store/users.js';
import type { CompanyStore } from '../../store/companies.js';
import type { Remote } from '../../store/remote.js';
import { SwitchpostError, ValidationError } from '../../core/errors.js';
import { invalidBody, VALIDATION_FAILED } from './errors.js';
import { paginate } from './paginate.js';
import { baseUrlOf } from '../server.js';
import { wholeNumber } from '../input.js';
import { COUNTRY_EXPECTED, countryCode } from '../../core/countries.js';
import { v1IdOfZone, zoneOfV1Id } from '../../core/v1-timezones.js';
import { MAX_SENDER_ENTRIES } from '../../core/allowed-senders.js';
import { SEED_ANSWERS, SEED_EXAMPLES } from '../openapi/seed-examples.js';
import { ANSWERS } from './answers.js';

/** The seed's user fields kept in the profile, with the value shown when unset. */
const PROFILE_FIELDS: Record<string, unknown> = {
  dist_id: 1,
  account_type: 'Acct',
  title: null,
  additional_reports_address: null,
  report_type: null,
  monthly_limit: null,
  agree_spam_policy: 0,
  receive_reports: false,
  show_recipients_in_email_report: false,
  show_recipients_in_online_report: false,
  fax_header_text: null,
  call_back_url: null,
  default_tts_voice: null,
  tts_repeat_count: null,
  default_voice_caller_id: null,
  default_sms_sender_id: null,
  etob_authentication_type: null,
  etob_email_address: null,
  etob_subject_behaviour: null,
  etob_use_email_body_as_fax_cover: false,
  etob_email_message_start_string: null,
  etob_email_message_start_string_include: false,
  etob_email_message_end_string: null,
  etob_strip_non_ascii: false,
  etob_disabled: false,
  etob_xheader_code: null,
  etob_ip_whitelist: null,
  etob_ip_whitelist_alert_address: null,
  email_address_for_inbound_fax: null,
  credit_limit_for_alert: null,
  credit_limit_alert_address: null,
  hide_costs_in_reports: false,
  hide_accounts: false,
  filter_non_ascii_in_sms: false,
  tts_max_character_limit: null,
  default_sms_reply_email_address: null,
  tts_message_prefix: null,
  maximum_document_retention_hours: null,
  include_fax_content_in_reports: false,
  // Beyond the seed: the From addresses and @domains the user's e-mail may use (admins set it).
  allowed_email_senders: null,
};
const COMPANY_FIELDS = [
  'abn',
  'address',
  'suburb',
  'state',
  'postcode',
  'country',
  'billing_user_id',
  'billing_contact_title',
  'billing_contact_surname',
  'billing_contact_first_name',
  'billing_contact_phone',
  'billing_contact_fax',
  'billing_contact_email',
];

const text = (max: number) => z.string().max(max).nullable().optional();
const scalar = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);
const companySchema = z.strictObject({ name: z.string().min(1).max(255), ...Object.fromEntries(COMPANY_FIELDS.map((f) => [f, scalar.optional()])) });

const userFields = {
  user_code: z.string().regex(/^[A-Za-z0-9_./@+-]{1,64}$/, 'letters, digits and _ . / @ + - (1-64)'),
  password: z.string().min(8, 'at least 8 characters').max(256),
  first_name: text(100),
  last_name: text(100),
  email: z.email().nullable().optional(),
  phone: text(32),
  fax: text(32),
  mobile: text(32),
  timezone: z.string().max(64).optional(),
  // The seed's numeric zone (core/v1-timezones.ts); null: no change (a user read back and written again).
  timezone_id: z.union([z.number(), z.string().max(16), z.null()]).optional(),
  country: z.string().max(8).optional(),
  user_live: z.boolean().optional(),
  company_id: z.number().int().positive().optional(),
  company: companySchema.optional(),
  ...Object.fromEntries(Object.keys(PROFILE_FIELDS).map((f) => [f, scalar.optional()])),
  allowed_email_senders: z.array(z.string().max(254)).max(MAX_SENDER_ENTRIES).nullable().optional(),
};
const createSchema = z.strictObject(userFields);
const updateSchema = z.strictObject(userFields).partial();

const validTimezone = (tz: string) => DateTime.local().setZone(tz).isValid;
/**
 * The zone a body gives, by `timezone` (IANA) or `timezone_id` (the v1 number), checked; undefined when
 * it gives neither. Both given must name the same zone.
 */
const zoneOf = (b: { timezone?: string | undefined; timezone_id?: number | string | null | undefined }): string | undefined => {
  if (b.timezone !== undefined && !validTimezone(b.timezone)) throw invalidBody('timezone', 'not an IANA time zone');
  if (b.timezone_id === undefined || b.timezone_id === null) return b.timezone;
  const byId = zoneOfV1Id(b.timezone_id);
  if ('problem' in byId) throw invalidBody('timezone_id', byId.problem);
  if (b.timezone !== undefined && DateTime.local().setZone(b.timezone).zoneName?.toLowerCase() !== byId.zone.toLowerCase())
    throw invalidBody('timezone_id', `${String(b.timezone_id)} is ${byId.zone}, but timezone says ${b.timezone}; give one of them`);
  return byId.zone;
};
/** The body's country (ours, as `timezone`: the seed's user has none), checked; undefined when not given. */
const countryOf = (raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  const code = countryCode(raw);
  if (code === null) throw invalidBody('country', `expected ${COUNTRY_EXPECTED}`);
  return code;
};

export interface UserRouteDeps {
  users: Remote<UserStore>;
  companies: Remote<CompanyStore>;
  publicUrl: string | null;
  defaultTimezone: string;
  defaultCountry: string;
  /** Cached credentials must not outlive a password change or a deactivation. */
  auth: { forget(): void };
  /** A new password's stored form, made off the event loop. */
  hashPassword: (password: string, by: number) => Promise<string>;
}

/** A user_code taken, in Laravel's words (422). */
const userCodeTaken = () => new ValidationError('user_code', 'Validation failed: The user_code has already been taken.');

/** A user_code clash the store caught (another request or process added it meanwhile): the same 422 as the check's. */
async function codeTaken<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof UserCodeTaken) throw userCodeTaken();
    throw err;
  }
}

/** GET/POST /users, GET/PUT /users/{id} of the v1 API (seed 000). */
export function userRoutes(app: FastifyInstance, deps: UserRouteDeps, send: (reply: FastifyReply, status: number, body: Record<string, unknown>) => FastifyReply): void {
  const present = async (u: UserRow) => {
    const profile = JSON.parse(u.profile) as Record<string, unknown>;
    const company = u.company_id === null ? undefined : await deps.companies.byId(u.company_id);
    const fields = Object.fromEntries(Object.entries(PROFILE_FIELDS).map(([k, dflt]) => [k, profile[k] ?? dflt]));
    return {
      user_id: u.id,
      company_id: u.company_id,
      agent_id: u.agent_id,
      ...fields,
      user_code: u.user_code,
      first_name: u.first_name,
      last_name: u.last_name,
      email: u.email,
      phone: u.phone,
      fax: u.fax,
      mobile: u.mobile,
      user_live: u.active === 1,
      user_added: DateTime.fromMillis(u.created_at, { zone: u.timezone }).toFormat('yyyy-MM-dd HH:mm:ss'),
      timezone: u.timezone,
      // The seed's number for the zone; null when the user's zone is one the table does not number.
      timezone_id: v1IdOfZone(u.timezone),
      country: u.country,
      company: company ? { company_id: company.id, dist_id: 1, agent_id: u.agent_id, name: company.name, ...Object.fromEntries(COMPANY_FIELDS.map((f) => [f, (JSON.parse(company.details) as Record<string, unknown>)[f] ?? null])) } : null,
    };
  };
  const issue = (err: z.ZodError) => {
    const i = err.issues[0]!;
    return i.code === 'unrecognized_keys' ? `unknown field "${i.keys[0]}"` : `${i.path.join('.') || 'body'}: ${i.message}`;
  };
  // The settings a job reads are checked as they are written: a job never meets a bad one.
  const checkSettings = (me: UserRow, body: Record<string, unknown>) => {
    // Who may send as which domain is the operator's word, not an agent's or the user's own.
    if (body.allowed_email_senders !== undefined && me.role !== 'admin') throw new SwitchpostError('forbidden', 'Permission denied: only an admin sets allowed_email_senders');
    for (const k of Object.keys(PROFILE_FIELDS)) {
      const problem = body[k] === undefined ? null : settingProblem(k, body[k]);
      if (problem) throw invalidBody(k, problem);
    }
  };
  const profileOf = (body: Record<string, unknown>) =>
    Object.fromEntries(
      Object.keys(PROFILE_FIELDS)
        .filter((k) => body[k] !== undefined)
        .map((k) => [k, body[k]]),
    );
  const scopeOf = (u: UserRow) => ({ userId: u.id, role: u.role });

  app.get(
    '/users',
    {
      config: {
        doc: {
          summary: 'List users (a user: itself)',
          queryNames: { page: 'from 1', page_size: '1 to 1000, default 10', user_code: 'users whose code contains this' },
          responses: { '200': 'a page of users', '401': 'Invalid credentials.' },
          answer: ANSWERS.users,
          answerExamples: SEED_ANSWERS.welcorp!['GET /users'],
        },
      },
    },
    async (req, reply) => {
      const me = req.user!;
      if (me.role === 'user') return send(reply, 200, { data: await present(me) });
      const q = req.query as Record<string, string | undefined>;
      const page = wholeNumber(q.page, 'page', { min: 1, max: 1_000_000, dflt: 1 }, 422);
      const size = wholeNumber(q.page_size, 'page_size', { min: 1, max: 1000, dflt: 10 }, 422);
      const { rows, total } = await deps.users.page(scopeOf(me), q.user_code?.trim() || null, page, size);
      const base = baseUrlOf(deps.publicUrl) + '/api/v1';
      const query = Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
      // The page's companies asked for together (the engine answers them in turn); the order is the rows'.
      const data = await Promise.all(rows.map(present));
      return reply.code(200).send({ ...paginate(data, total, page, size, `${base}/users`, query), status: 200 });
    },
  );

  const visible = async (me: UserRow, raw: string) => {
    if (!/^\d{1,15}$/.test(raw)) throw new SwitchpostError('not_found', 'User not found');
    const u = await deps.users.byId(Number(raw));
    if (!u) throw new SwitchpostError('not_found', 'User not found');
    if (!(await deps.users.canSee(scopeOf(me), u.id))) throw new SwitchpostError('forbidden', 'Permission denied');
    return u;
  };

  app.get(
    '/users/:id',
    { config: { doc: { summary: 'A user', responses: { '200': '{"status": 200, "data": {…}}', '403': 'Permission denied', '404': 'User not found' }, answer: ANSWERS.user, answerExamples: SEED_ANSWERS.welcorp!['GET /users/:id'] } } },
    async (req, reply) => send(reply, 200, { data: await present(await visible(req.user!, (req.params as { id: string }).id)) }),
  );

  /** The company a created or updated user goes into: one `me` may join (see UserStore.mayJoin), or a new one. */
  const companyFor = async (me: UserRow, body: { company_id?: number | undefined; company?: Record<string, unknown> | undefined }): Promise<number | null | undefined> => {
    if (body.company_id !== undefined && body.company) throw new ValidationError('company_id', 'Validation failed: give company_id or company, not both');
    if (body.company_id !== undefined) {
      if (!(await deps.companies.byId(body.company_id))) throw invalidBody('company_id', 'no such company');
      // Joining a company shows its ABN and billing contact: only one's own (an agent: also its users').
      if (!(await deps.users.mayJoin(scopeOf(me), body.company_id))) throw invalidBody('company_id', "not a company you may join (only your own, or an agent's users' companies)");
      return body.company_id;
    }
    if (body.company) {
      const { name, ...details } = body.company;
      return deps.companies.add(String(name), details);
    }
    return undefined;
  };

  app.post(
    '/users',
    {
      config: {
        doc: {
          summary: 'Add a user',
          body: createSchema,
          examples: SEED_EXAMPLES.welcorp!['POST /users'],
          responses: { '200': '{"status": 200, "data": <user id>}', '403': 'Permission denied', '422': 'Validation failed: …' },
          answer: ANSWERS.saved,
          answerExamples: SEED_ANSWERS.welcorp!['POST /users'],
        },
      },
    },
    async (req, reply) => {
      const me = req.user!;
      if (me.role === 'user') throw new SwitchpostError('forbidden', 'Permission denied');
      const parsed = createSchema.safeParse(req.body);
      if (!parsed.success) throw ValidationError.fromMessage(`${VALIDATION_FAILED}${issue(parsed.error)}`, VALIDATION_FAILED);
      const b = parsed.data as z.infer<typeof createSchema> & Record<string, unknown>;
      const timezone = zoneOf(b);
      const country = countryOf(b.country);
      checkSettings(me, b);
      // Hashed first, then checked. A code taken between the check and the insert (each store call is a
      // turn of the loop now) is caught by the store (UNIQUE, UserCodeTaken): the same 422, not a 500.
      const passwordHash = await deps.hashPassword(b.password, me.id);
      if (await deps.users.byCode(b.user_code)) throw userCodeTaken();
      const id = await codeTaken(async () =>
        deps.users.add({
          user_code: b.user_code,
          password: b.password,
          password_hash: passwordHash,
          role: 'user',
          agent_id: me.role === 'agent' ? me.id : null,
          company_id: (await companyFor(me, b)) ?? (me.role === 'agent' ? me.company_id : null),
          first_name: b.first_name ?? null,
          last_name: b.last_name ?? null,
          email: b.email ?? null,
          phone: b.phone ?? null,
          mobile: b.mobile ?? null,
          fax: b.fax ?? null,
          profile: profileOf(b),
          timezone: timezone ?? deps.defaultTimezone,
          country: country ?? deps.defaultCountry,
        }),
      );
      req.log.info({ userId: id, by: me.id }, 'user created');
      return send(reply, 200, { data: id });
    },
  );

  app.put(
    '/users/:id',
    {
      config: {
        doc: {
          summary: 'Change a user',
          body: updateSchema,
          examples: SEED_EXAMPLES.welcorp!['PUT /users/:id'],
          responses: { '200': '{"status": 200, "data": <user id>}', '403': 'Permission denied', '404': 'User not found', '422': 'Validation failed: …' },
          answer: ANSWERS.saved,
          answerExamples: SEED_ANSWERS.welcorp!['PUT /users/:id'],
        },
      },
    },
    async (req, reply) => {
      const me = req.user!;
      const target = await visible(me, (req.params as { id: string }).id);
      const parsed = updateSchema.safeParse(req.body);
      if (!parsed.success) throw ValidationError.fromMessage(`${VALIDATION_FAILED}${issue(parsed.error)}`, VALIDATION_FAILED);
      const b = parsed.data as z.infer<typeof updateSchema> & Record<string, unknown>;
      const timezone = zoneOf(b);
      const country = countryOf(b.country);
      checkSettings(me, b);
      // Hashed first, then checked; a code taken meanwhile is the store's UserCodeTaken (the same 422).
      const passwordHash = b.password !== undefined ? await deps.hashPassword(b.password, me.id) : undefined;
      if (b.user_code !== undefined && b.user_code.toLowerCase() !== target.user_code.toLowerCase() && (await deps.users.byCode(b.user_code))) {
        throw userCodeTaken();
      }
      if (b.user_live !== undefined && me.id === target.id) throw new SwitchpostError('forbidden', 'Permission denied: a user cannot deactivate itself');
      const password: UserPatch = b.password !== undefined ? { password: b.password, password_hash: passwordHash! } : {};
      const patch: UserPatch = { ...password, profile: profileOf(b) };
      for (const k of ['user_code', 'first_name', 'last_name', 'email', 'phone', 'mobile', 'fax'] as const) if (b[k] !== undefined) (patch as Record<string, unknown>)[k] = b[k];
      if (timezone !== undefined) patch.timezone = timezone;
      if (country !== undefined) patch.country = country;
      if (b.user_live !== undefined) patch.active = b.user_live;
      const company = await companyFor(me, b);
      if (company !== undefined) patch.company_id = company;
      await codeTaken(() => deps.users.update(target.id, patch));
      // A cached login carries the user's row: its settings (a new default sender, hidden costs) apply from the next request.
      const settingsChanged = Object.keys(patch.profile ?? {}).length > 0 || patch.timezone !== undefined || patch.country !== undefined;
      if (patch.password !== undefined || patch.active !== undefined || patch.user_code !== undefined || settingsChanged) deps.auth.forget();
      return send(reply, 200, { data: target.id });
    },
  );
}
