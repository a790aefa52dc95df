import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import type { BasicAuth } from '../auth.js';
import type { JobStore } from '../../store/jobs.js';
import type { UserStore } from '../../store/users.js';
import type { Clock } from '../../core/clock.js';
import type { Channel } from '../../core/model.js';
import { SwitchpostError, ValidationError } from '../../core/errors.js';
import { toNewJob } from './submit.js';
import { jobReport, recipientReport, smsId } from './present.js';
import { JSON_TYPE, jsonStream, mapPages } from '../json-stream.js';
import { RequestWindow } from './rate.js';
import type { PermissionStore } from '../../store/permissions.js';
import type { Remote } from '../../store/remote.js';
import { missingPermission, type RoutePermissions } from '../route-permissions.js';
import { limitedSentence } from '../login-limiter.js';
import { guardInput, wholeNumber } from '../input.js';
import { retarusError, retarusFail } from './errors.js';
import { PerKey } from '../serial.js';
import { describeFace } from '../openapi/serve.js';
import { SEED_ANSWERS, SEED_EXAMPLES } from '../openapi/seed-examples.js';
import { ANSWERS, errorAnswer } from './answers.js';
import { jobRequestSchema } from './request.js';

const RETARUS_PERMISSIONS: RoutePermissions = {
  'POST /jobs': 'transmission_create',
  'GET /jobs': 'transmission_list',
  'GET /jobs/:jobId': 'transmission_read',
  'GET /sms': 'transmission_read',
};

export interface RetarusDeps {
  auth: BasicAuth;
  permissions: Remote<PermissionStore>;
  jobs: Remote<JobStore>;
  users: Remote<UserStore>;
  clock: Clock;
  requestsPer10s: number;
  duplicateWindowMs: number;
  onJobCreated: (jobId: number, userId: number, channel: Channel, total: number) => void;
}

const DAY = 86_400_000;
const HISTORY_MS = 92 * DAY; // "up to 3 months"

/** The Retarus SMS v1 REST API (seed 003). Errors: the seed's status codes, with {"message": …} (see README.md). */
export async function retarusFace(app: FastifyInstance, deps: RetarusDeps): Promise<void> {
  const window = new RequestWindow(deps.requestsPer10s);
  const submissions = new PerKey<number>();
  const fail = retarusFail;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => retarusError(err, reply, app.log));
  app.setNotFoundHandler((_req, reply) => fail(reply, 404, 'Not found'));
  guardInput(app, fail);
  describeFace(app, {
    title: 'Retarus SMS REST API v1 (switchpost)',
    version: '1',
    description: 'SMS jobs with options, job lists and reports, per-recipient reports (seed 003). Errors are {"message": …} with the seed\'s status codes.',
    securitySchemes: { basic: { type: 'http', scheme: 'basic', description: "a switchpost user's code and password" } },
    errorAnswer,
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith(`${app.prefix}/version`) || req.routeOptions.config.doc?.open) return;
    const login = await deps.auth.check(req.headers.authorization, req.ip);
    if (login.kind === 'limited') {
      return fail(reply.header('Retry-After', String(login.retryAfterS)), 429, limitedSentence(login));
    }
    if (login.kind !== 'ok') {
      reply.header('WWW-Authenticate', 'Basic realm="switchpost", charset="UTF-8"');
      return fail(reply, 401, 'Authentication failed');
    }
    const user = login.user;
    const missing = await missingPermission(deps.permissions, user, req, app.prefix, RETARUS_PERMISSIONS);
    if (missing) return fail(reply, 403, `This account lacks the ${missing} permission`);
    req.user = user;
  });

  const scopeOf = (u: { id: number; role: 'admin' | 'agent' | 'user' }) => ({ userId: u.id, role: u.role });

  app.post(
    '/jobs',
    {
      config: {
        doc: {
          summary: 'Create an SMS job',
          body: jobRequestSchema,
          examples: SEED_EXAMPLES.retarus!['POST /jobs'],
          responses: {
            '201': 'Job successfully created: {"jobId": …}',
            '400': 'Invalid JobRequest-data (qos, encoding, ..)',
            '401': 'Authentication failed',
            '409': 'Duplicate job (duplicate detection)',
            '422': 'Invalid JobRequest-data (invalid chars, no messages, ..)',
            '429': 'Too many requests in the last 10 seconds (Retry-After)',
          },
          answer: ANSWERS.created,
          answerExamples: SEED_ANSWERS.retarus!['POST /jobs'],
        },
      },
    },
    async (req, reply) => {
      const user = req.user!;
      const now = deps.clock.now();
      // The seed's 429 is the job submission's ("too many requests in the last 10 seconds"): Retarus counts
      // sends, so polling reports and lists never uses up an account's submissions.
      const wait = window.take(user.id, now);
      if (wait > 0) {
        reply.header('Retry-After', String(Math.ceil(wait / 1000)));
        return fail(reply, 429, `Too many requests in the last 10 seconds; retry in ${Math.ceil(wait / 1000)} s`);
      }
      const job = toNewJob(req.body, user, now);
      const { dedupeKey } = job;
      // With duplicate detection, the check and the create are one step per user (see PerKey); without, no check to race.
      const id = dedupeKey
        ? await submissions.run(user.id, async () => {
            if (await deps.jobs.hasDuplicate(user.id, dedupeKey, now - deps.duplicateWindowMs)) {
              throw new SwitchpostError('conflict', 'Duplicate job: the same texts to the same recipients were sent within the detection window');
            }
            return deps.jobs.create(job, now);
          })
        : await deps.jobs.create(job, now);
      req.log.info({ jobId: id, externalId: job.externalId, userId: user.id, recipients: job.recipients.length }, 'job created');
      deps.onJobCreated(id, user.id, job.channel, job.recipients.length);
      return reply.code(201).send({ jobId: job.externalId });
    },
  );

  app.get(
    '/jobs',
    {
      config: {
        doc: {
          summary: 'The ids of the jobs in a time range',
          queryNames: {
            fromTs: 'ISO 8601 date-time; default toTs less 30 days',
            toTs: 'ISO 8601 date-time; default now',
            limit: '1 to 1000, default 100',
            offset: 'default 0',
            jobIdsOnly: 'true',
            open: 'true: only jobs not finished; false: only finished',
          },
          responses: { '200': '[{"jobId": …}]', '400': 'an invalid parameter', '401': 'Authentication failed' },
          answer: ANSWERS.jobIds,
          answerExamples: SEED_ANSWERS.retarus!['GET /jobs'],
        },
      },
    },
    async (req) => {
      const user = req.user!;
      const q = req.query as Record<string, string | undefined>;
      const now = deps.clock.now();
      const time = (k: string): number | undefined => {
        const v = q[k];
        if (v === undefined || v === '') return undefined;
        const t = DateTime.fromISO(v, { setZone: true });
        if (!t.isValid) throw new ValidationError(k, `${k}: expected an ISO 8601 date-time`);
        return t.toMillis();
      };
      const to = time('toTs') ?? now;
      const from = time('fromTs') ?? to - 30 * DAY;
      if (to <= from) throw new ValidationError('toTs', 'toTs: must be after fromTs');
      if (to - from > 30 * DAY) throw new ValidationError('fromTs', 'fromTs: at most 30 days before toTs');
      const limit = wholeNumber(q.limit, 'limit', { min: 1, max: 1000, dflt: 100 });
      const offset = wholeNumber(q.offset, 'offset', { min: 0, max: 1_000_000_000, dflt: 0 });
      // Booleans in any case (TRUE, True): clients generated from the seed's schema send them so.
      const flag = (k: string): string | undefined => q[k]?.toLowerCase();
      const jobIdsOnly = flag('jobIdsOnly');
      if (jobIdsOnly !== undefined && jobIdsOnly !== '' && jobIdsOnly !== 'true') throw new ValidationError('jobIdsOnly', 'jobIdsOnly: must be true');
      const openFlag = flag('open');
      const open = openFlag === undefined || openFlag === '' ? null : openFlag === 'true' ? true : openFlag === 'false' ? false : undefined;
      if (open === undefined) throw new ValidationError('open', 'open: expected true, false or nothing');
      const ids = await deps.jobs.externalIds(scopeOf(user), 'retarus', Math.max(from, now - HISTORY_MS), to, open, limit, offset);
      return ids.map((jobId) => ({ jobId }));
    },
  );

  const visibleJob = async (user: { id: number; role: 'admin' | 'agent' | 'user' }, externalId: string | undefined) => {
    if (!externalId) throw new ValidationError('jobId', 'No job-id given');
    const job = await deps.jobs.byExternalId('retarus', externalId);
    // The seed lists no 404 for either report: a job id that names no job the caller may see (unknown,
    // older than the 3 months kept, someone else's) is an invalid request parameter, 400.
    if (!job || job.created_at < deps.clock.now() - HISTORY_MS || !(await deps.users.canSee(scopeOf(user), job.user_id))) throw new ValidationError('jobId', 'Unknown job-id');
    return job;
  };

  // Both lists grow with the job (100,000 recipients and more): written a keyset page at a time, the
  // same JSON as the whole array, with the event loop free between pages.
  app.get(
    '/jobs/:jobId',
    {
      config: {
        doc: { summary: "A job's report", responses: { '200': 'the job report with its recipientIds', '400': 'Unknown job-id', '401': 'Authentication failed' }, answer: ANSWERS.jobReport, answerExamples: SEED_ANSWERS.retarus!['GET /jobs/:jobId'] },
      },
    },
    async (req, reply) => {
      const job = await visibleJob(req.user!, (req.params as { jobId: string }).jobId);
      const body = jsonStream((list) => jobReport(job, list(mapPages(deps.jobs.recipientPages(job.id), (r) => smsId(job, r.id)))));
      return reply.code(200).type(JSON_TYPE).send(body);
    },
  );

  app.get(
    '/sms',
    {
      config: {
        doc: {
          summary: 'A report for each recipient of a job',
          queryNames: { jobId: 'the job id' },
          responses: { '200': '[{smsId, dst, status, processStatus …}]', '400': 'Unknown job-id', '401': 'Authentication failed' },
          answer: ANSWERS.recipients,
          answerExamples: SEED_ANSWERS.retarus!['GET /sms'],
        },
      },
    },
    async (req, reply) => {
      const job = await visibleJob(req.user!, (req.query as { jobId?: string }).jobId);
      const body = jsonStream((list) => list(mapPages(deps.jobs.recipientPages(job.id), (r) => recipientReport(job, r))));
      return reply.code(200).type(JSON_TYPE).send(body);
    },
  );

  app.get('/version', { config: { doc: { summary: 'API version information', open: true, responses: { '200': 'the version info' }, answer: ANSWERS.version, answerExamples: SEED_ANSWERS.retarus!['GET /version'] } } }, async () => ({
    buildNumber: 1,
    buildTimestamp: '2026-11-22 00:00:00 +0000',
    majorVersion: 2015,
    minorVersion: 10,
    versionInfo: 'REST Interface',
    message: 'switchpost',
  }));
}
