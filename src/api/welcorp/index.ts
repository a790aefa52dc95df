import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BasicAuth } from '../auth.js';
import type { JobStore, JobFilter } from '../../store/jobs.js';
import type { UserRow, UserStore } from '../../store/users.js';
import type { Channel } from '../../core/model.js';
import type { Clock } from '../../core/clock.js';
import { SwitchpostError, ValidationError } from '../../core/errors.js';
import { describeIssue, jobRequestSchema, MAX_MMS_FILES } from './job-request.js';
import { callbackOf, emailSenderRefusal, listIdsWanted, listPickOf, toNewJob, type FittedMms } from './submit.js';
import { refusedUrl } from '../../net/safe-http.js';
import type { AddressPolicy } from '../../net/address-policy.js';
import type { CallbackStore } from '../../store/callbacks.js';
import { jobDetail, jobSummary, recipientEntry, reportEntry } from './present.js';
import { jobDefaultsOf } from './user-settings.js';
import { jsonStream, mapPages } from '../json-stream.js';
import { paginate } from './paginate.js';
import { channelOf, jobStatusOf } from './job-types.js';
import { parseLocalDateTime } from '../../core/windows.js';
import { baseUrlOf } from '../server.js';
import { userRoutes } from './users.js';
import type { AudioFile } from '../../media/audio.js';
import type { StoredAttachment } from '../../media/attachments.js';
import { MediaRefused } from '../../media/refused.js';
import { verificationRoutes, type VerificationDeps } from './verification.js';
import { RouteMethods } from '../route-methods.js';
import type { CompanyStore } from '../../store/companies.js';
import type { PermissionStore } from '../../store/permissions.js';
import type { Remote } from '../../store/remote.js';
import type { ContactStore } from '../../store/contacts.js';
import type { OwnedRows } from '../../store/owned.js';
import { listRecipients } from './lists.js';
import { missingPermission, type RoutePermissions } from '../route-permissions.js';
import { limitedSentence } from '../login-limiter.js';
import { guardInput, wholeNumber } from '../input.js';
import { invalidBody, VALIDATION_FAILED, welcorpError, welcorpSend } from './errors.js';
import { describeFace } from '../openapi/serve.js';
import { ANSWERS, errorAnswer } from './answers.js';
import { SEED_ANSWERS, SEED_EXAMPLES } from '../openapi/seed-examples.js';

export interface WelcorpDeps {
  auth: BasicAuth;
  /** A new password's stored form, made off the event loop. */
  hashPassword: (password: string, by: number) => Promise<string>;
  /** The address book: user_list_ids are its groups. */
  contacts: Remote<ContactStore>;
  /** The address book's groups (the contact lists), whose owner is checked. */
  groups: Remote<OwnedRows>;
  permissions: Remote<PermissionStore>;
  jobs: Remote<JobStore>;
  users: Remote<UserStore>;
  companies: Remote<CompanyStore>;
  verification: Omit<VerificationDeps, 'jobs' | 'clock' | 'channels' | 'onJobCreated'>;
  /** A voice job's audio file → a converted WAV on disk; throws MediaRefused. */
  prepareAudio: (file: AudioFile) => Promise<{ path: string }>;
  /** A fax job's files → one fax TIFF on disk; throws MediaRefused naming the file. */
  prepareFax: (files: AudioFile[], fine: boolean) => Promise<{ path: string; pages: number }>;
  /** An MMS job's media files, fetched, sniffed and fitted once for the job within the MMS providers' size limit; throws MediaRefused naming the file. */
  prepareMms: (files: AudioFile[]) => Promise<FittedMms>;
  /** An e-mail job's attachments, fetched once and stored; throws MediaRefused naming the file. */
  prepareAttachments: (files: AudioFile[]) => Promise<StoredAttachment[]>;
  defaultTimezone: string;
  defaultCountry: string;
  channels: ReadonlySet<Channel>;
  publicUrl: string | null;
  /** The outbox's address policy: callback URLs it would refuse are refused at submit. */
  callbackPolicy: AddressPolicy;
  /** The callback outbox: each recipient's callback status in a job's report. */
  callbacks: Remote<CallbackStore>;
  clock: Clock;
  onJobCreated: (jobId: number, userId: number, channel: Channel, total: number) => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: UserRow;
  }
}

const MAX_PAGE_SIZE = 1000;

const WELCORP_PERMISSIONS: RoutePermissions = {
  'POST /jobs': 'transmission_create',
  'GET /jobs': 'transmission_list',
  'GET /jobs/:id': 'transmission_read',
  'GET /users': 'user_list',
  'GET /users/:id': 'user_read',
  'POST /users': 'user_create',
  'PUT /users/:id': 'user_update',
  'GET /client_verification/sendCode': 'transmission_create',
  'POST /client_verification/sendCode': 'transmission_create',
};

/** The v1 jobs API (seed 000) at /api/v1: envelope {status, data} or {status, errors}. */
export async function welcorpFace(app: FastifyInstance, deps: WelcorpDeps): Promise<void> {
  const send = welcorpSend;
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => welcorpError(err, reply, app.log));
  const methods = new RouteMethods(app);
  app.setNotFoundHandler((req, reply) => {
    // After the onRequest hook: only a caller that logged in learns which methods a path takes.
    const path = req.url.split('?')[0]!;
    const allow = methods.allowed(path);
    if (allow.length === 0) return send(reply, 404, { errors: 'Not found' });
    reply.header('Allow', allow.join(', '));
    return send(reply, 405, { errors: `Method not allowed: ${path.slice(0, 100)} takes ${allow.join(', ')}` });
  });
  guardInput(app, (reply, status, message) => send(reply, status, { errors: message }));
  describeFace(app, {
    title: 'v1 jobs API (switchpost)',
    version: '1.01',
    description: 'Jobs of type sms, 2 way sms, mms, tts, 2 way tts, fax, email and voice; users; 2FA codes (seed 000). Answers are {"status", "data"} or {"status", "errors"}.',
    securitySchemes: { basic: { type: 'http', scheme: 'basic', description: "a switchpost user's code and password" } },
    errorAnswer,
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.routeOptions.config.doc?.open) return;
    const login = await deps.auth.check(req.headers.authorization, req.ip);
    if (login.kind === 'limited') {
      return send(reply.header('Retry-After', String(login.retryAfterS)), 429, { errors: limitedSentence(login) });
    }
    if (login.kind !== 'ok') {
      reply.header('WWW-Authenticate', 'Basic realm="switchpost", charset="UTF-8"');
      return send(reply, 401, { errors: 'Invalid credentials.' });
    }
    const user = login.user;
    const missing = await missingPermission(deps.permissions, user, req, app.prefix, WELCORP_PERMISSIONS);
    if (missing) return send(reply, 403, { errors: `Forbidden: this user lacks the ${missing} permission` });
    req.user = user;
  });

  const scopeOf = (u: UserRow) => ({ userId: u.id, role: u.role });
  userRoutes(app, deps, send);
  verificationRoutes(app, { ...deps.verification, jobs: deps.jobs, clock: deps.clock, channels: deps.channels, onJobCreated: deps.onJobCreated }, send);

  app.post(
    '/jobs',
    {
      config: {
        doc: {
          summary: 'Create a job',
          body: jobRequestSchema,
          examples: SEED_EXAMPLES.welcorp!['POST /jobs'],
          responses: { '200': '{"status": 200, "data": <job id>}', '401': 'Invalid credentials.', '403': 'a permission the user lacks', '422': 'Validation failed: …' },
          answer: ANSWERS.created,
          answerExamples: SEED_ANSWERS.welcorp!['POST /jobs'],
        },
      },
    },
    async (req, reply) => {
      const user = req.user!;
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) throw new ValidationError('body', 'Validation failed: the body must be a JSON object');
      const parsed = jobRequestSchema.safeParse(req.body);
      if (!parsed.success) throw ValidationError.fromMessage(`${VALIDATION_FAILED}${describeIssue(parsed.error)}`, VALIDATION_FAILED);
      // Before any media work: a callback the address policy refuses is a validation error, not a drop.
      const callback = callbackOf(parsed.data);
      const refused = callback ? await refusedUrl(callback.url, deps.callbackPolicy) : null;
      if (refused) throw invalidBody(callback!.field, refused.message);
      if (deps.channels.has('email')) {
        const notAllowed = emailSenderRefusal(parsed.data, user);
        if (notAllowed) throw invalidBody('from_email', notAllowed);
      }
      let audio: { path: string; name: string } | null = null;
      if (channelOf(parsed.data.job_type) === 'voice' && deps.channels.has('voice')) {
        // The seed's example sends `audiofile`, its field table `attachments` (an array): either, one file.
        const { audiofile, attachments } = parsed.data;
        const field = audiofile ? 'audiofile' : attachments?.length ? 'attachments' : null;
        if (field === null) throw invalidBody('audiofile', 'is required for voice jobs (or one file in attachments)');
        if (!audiofile && attachments!.length > 1) throw invalidBody('attachments', `a voice job plays one audio file, ${attachments!.length} given`);
        const file = audiofile ?? attachments![0]!;
        try {
          audio = { path: (await deps.prepareAudio(file)).path, name: file.name };
        } catch (err) {
          if (err instanceof MediaRefused) throw new ValidationError(field, `Validation failed: ${field}${field === 'attachments' ? '.0' : ''} "${file.name.slice(0, 100)}": ${err.message}`);
          throw err;
        }
      }
      let fax: { path: string; pages: number } | null = null;
      if (channelOf(parsed.data.job_type) === 'fax' && deps.channels.has('fax')) {
        const files = parsed.data.files ?? [];
        if (files.length === 0) throw invalidBody('files', 'at least one document is required for fax jobs');
        try {
          fax = await deps.prepareFax(files, parsed.data.use_high_resolution === true);
        } catch (err) {
          if (err instanceof MediaRefused) throw invalidBody('files', err.message);
          throw err;
        }
      }
      let attachments: StoredAttachment[] = [];
      if (channelOf(parsed.data.job_type) === 'email' && deps.channels.has('email') && parsed.data.attachments?.length) {
        try {
          attachments = await deps.prepareAttachments(parsed.data.attachments);
        } catch (err) {
          if (err instanceof MediaRefused) throw invalidBody('attachments', err.message);
          throw err;
        }
      }
      let fittedMms: FittedMms | null = null;
      if (channelOf(parsed.data.job_type) === 'mms' && deps.channels.has('mms')) {
        const files = parsed.data.files ?? [];
        if (files.length === 0) throw invalidBody('files', 'at least one media file is required for mms jobs');
        if (files.length > MAX_MMS_FILES) throw invalidBody('files', `an MMS carries at most ${MAX_MMS_FILES} media files, ${files.length} given`);
        try {
          fittedMms = await deps.prepareMms(files);
        } catch (err) {
          if (err instanceof MediaRefused) throw invalidBody('files', err.message);
          throw err;
        }
        req.log.info({ files: fittedMms.media.map((m) => ({ type: m.contentType, size: m.size, sha256: m.sha256 })), maxBytes: fittedMms.maxBytes }, 'mms media fitted');
      }
      const now = deps.clock.now();
      const listIds = listIdsWanted(parsed.data, deps.channels);
      const fromLists = listIds.length > 0 ? await listRecipients(deps, scopeOf(user), listIds, listPickOf(parsed.data)) : [];
      let job;
      try {
        job = toNewJob(
          parsed.data,
          user,
          deps.channels,
          now,
          audio,
          fax,
          (ids) => {
            // Read above for the ids listIdsWanted said it would ask; other ids would be a bug here, not the client's.
            if (ids.join() !== listIds.join()) throw new Error(`v1 jobs: lists ${listIds.join()} read, ${ids.join()} asked for`);
            return fromLists;
          },
          attachments,
          fittedMms,
        );
      } catch (err) {
        if (err instanceof ValidationError) throw new ValidationError(err.field, `${VALIDATION_FAILED}${err.message}`);
        throw err;
      }
      const id = await deps.jobs.create(job, now);
      req.log.info({ jobId: id, userId: user.id, recipients: job.recipients.length }, 'job created');
      deps.onJobCreated(id, user.id, job.channel, job.recipients.length);
      return send(reply, 200, { data: id });
    },
  );

  app.get(
    '/jobs',
    {
      config: {
        doc: {
          summary: 'List jobs (Laravel-style pages)',
          queryNames: {
            page: 'from 1',
            page_size: '1 to 1000, default 10',
            job_name: 'jobs of this name',
            job_type: 'sms, 2 way sms, mms, tts, …',
            job_status: 'broadcast submitted, complete or closed',
            start_after: 'a date such as 2023-04-07 (the user’s time zone)',
            start_before: 'a date',
            user_id: "a user's jobs",
            user_code: "a user's jobs",
          },
          responses: { '200': 'a page of job summaries', '401': 'Invalid credentials.', '422': 'an invalid parameter' },
          answer: ANSWERS.jobs,
          answerExamples: SEED_ANSWERS.welcorp!['GET /jobs'],
        },
      },
    },
    async (req, reply) => {
      const user = req.user!;
      // One value per name: guardInput refused a repeated one.
      const q = req.query as Record<string, string | undefined>;
      const one = (k: string): string | undefined => q[k];
      // Laravel answers a bad page with its validation status, 422.
      const page = wholeNumber(one('page'), 'page', { min: 1, max: 1_000_000, dflt: 1 }, 422);
      const pageSize = wholeNumber(one('page_size'), 'page_size', { min: 1, max: MAX_PAGE_SIZE, dflt: 10 }, 422);
      const filter: JobFilter = {};
      const name = one('job_name');
      if (name) filter.name = name;
      const type = one('job_type');
      if (type) {
        const ch = channelOf(type);
        if (!ch) throw ValidationError.at('job_type', `unknown job type "${type}"`);
        filter.channels = [ch];
      }
      const status = one('job_status');
      if (status) {
        const st = jobStatusOf(status);
        if (!st) throw ValidationError.at('job_status', 'expected "broadcast submitted", "complete" or "closed"');
        filter.statuses = [st];
      }
      for (const [k, field] of [
        ['start_after', 'createdAfter'],
        ['start_before', 'createdBefore'],
      ] as const) {
        const v = one(k);
        if (!v) continue;
        const t = parseLocalDateTime(v, user.timezone);
        if (t === null) throw ValidationError.at(k, 'expected a date such as 2023-04-07 or 2023-04-07 09:30');
        filter[field] = t;
      }
      const uid = one('user_id');
      if (uid) {
        if (!/^\d+$/.test(uid)) throw ValidationError.at('user_id', 'expected a whole number');
        filter.userId = Number(uid);
      }
      const ucode = one('user_code');
      if (ucode) filter.userCode = ucode;
      const { rows, total } = await deps.jobs.list(scopeOf(user), filter, page, pageSize);
      const base = baseUrlOf(deps.publicUrl) + '/api/v1';
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(q)) if (v !== undefined) query[k] = v;
      const body = paginate(
        rows.map((j) => jobSummary(j, base, !jobDefaultsOf(user.profile).hideCosts)),
        total,
        page,
        pageSize,
        `${base}/jobs`,
        query,
      );
      return reply.code(200).send({ ...body, status: 200 });
    },
  );

  app.get(
    '/jobs/:id',
    {
      config: {
        doc: {
          summary: "A job's details with its recipients and their reports",
          responses: { '200': '{"status": 200, "data": {…}}', '401': 'Invalid credentials.', '403': 'Permission denied', '404': 'Job not found' },
          answer: ANSWERS.job,
          answerExamples: SEED_ANSWERS.welcorp!['GET /jobs/:id'],
        },
      },
    },
    async (req, reply) => {
      const user = req.user!;
      const raw = (req.params as { id: string }).id;
      if (!/^\d{1,15}$/.test(raw)) throw new SwitchpostError('not_found', 'Job not found');
      const job = await deps.jobs.get(Number(raw));
      if (!job) throw new SwitchpostError('not_found', 'Job not found');
      if (!(await deps.users.canSee(scopeOf(user), job.user_id))) throw new SwitchpostError('forbidden', 'Permission denied');
      // Streamed a page at a time (a 100,000-recipient report is ~30 MB): the same JSON as welcorpSend's.
      const withCallbacks = Boolean(job.callback_url);
      const totalDuration = await deps.jobs.totalDuration(job.id);
      // The reader's hide_costs_in_reports: its reports show no costs.
      const costs = !jobDefaultsOf(user.profile).hideCosts;
      const body = jsonStream((list) => ({
        status: 200,
        data: jobDetail(job, totalDuration, list(mapPages(deps.jobs.reportPages(job.id, false), recipientEntry)), list(mapPages(deps.jobs.reportPages(job.id, withCallbacks), reportEntry(job, withCallbacks, costs))), costs),
      }));
      return reply.code(200).type('application/json; charset=utf-8').send(body);
    },
  );
}
