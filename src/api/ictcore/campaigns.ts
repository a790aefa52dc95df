import type { FastifyInstance, FastifyRequest } from 'fastify';
import { campaign as campaignAnswer, scheduleId, TRUE } from './answers.js';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { UserRow } from '../../store/users.js';
import type { Schedules } from '../../spool/schedules.js';
import type { OwnedRows, Row } from '../../store/owned.js';
import type { Remote } from '../../store/remote.js';
import { pacedDueAt } from '../../spool/pacing.js';
import { ownedAccount } from './accounts.js';
import { parseSchedule } from '../../core/schedule.js';
import { crudRoutes } from './crud.js';
import { idParam, positiveInt, seconds, invalid, invalidAs } from './fields.js';
import { programContent } from './programs.js';
import { SwitchpostError } from '../../core/errors.js';
import { PerKey } from '../serial.js';
import { ictDoc } from './route-docs.js';

const MAX_CPM = 60_000;
const body = {
  program_id: positiveInt,
  group_id: positiveInt,
  account_id: positiveInt.nullable().optional(),
  cpm: positiveInt.pipe(z.number().max(MAX_CPM)).optional(),
  try_allowed: positiveInt.pipe(z.number().max(20)).optional(),
};
const campaignBody = z.object(body);
const campaignPatch = z.object({ ...body, program_id: body.program_id.optional(), group_id: body.group_id.optional() });

export type CampaignDeps = Pick<IctcoreStores, 'contacts' | 'groupRows' | 'accountRows' | 'messages' | 'programs' | 'transmissions'> & { schedules: Schedules };

/**
 * Campaigns: a program sent to a group. Each start is one job over the group's contacts, their due
 * times spread by `cpm` (transmissions a minute), `try_allowed` tries each. Stop holds what has not
 * gone; start again resumes it, spread from then. A completed campaign is not started again (423).
 */
export class CampaignRuns {
  private readonly serial = new PerKey<number>();

  constructor(
    readonly rows: Remote<OwnedRows>,
    private readonly ctx: Ctx,
    private readonly deps: CampaignDeps,
  ) {}

  /** The status, with a finished run read as completed. */
  async status(c: Row): Promise<string> {
    if (c.status === 'running' && c.job_id !== null) {
      const job = await this.ctx.deps.jobs.get(c.job_id as number);
      if (!job || job.status !== 'submitted') return 'completed';
    }
    return String(c.status);
  }

  /**
   * Start or stop a campaign, one at a time per campaign, each reading the campaign afresh: a second
   * start (a retry, a double click, a schedule) sees the first's run instead of making another.
   */
  start(c: Row): Promise<true> {
    return this.serial.run(c.id, async () => this.startNow((await this.rows.get(c.id)) ?? c));
  }

  stop(c: Row): Promise<true> {
    return this.serial.run(c.id, async () => this.stopNow((await this.rows.get(c.id)) ?? c));
  }

  private async startNow(c: Row): Promise<true> {
    const now = this.ctx.deps.clock.now();
    const dueAt = pacedDueAt(c.cpm as number, now);
    if (c.job_id !== null) {
      const held = await this.deps.transmissions.heldOf(c.job_id as number);
      if (held.length) {
        // Due times as values: the store is on the engine's thread.
        await this.deps.transmissions.release(
          held,
          held.map((_, i) => dueAt(i)),
        );
        await this.rows.update(c.id, { status: 'running' }, now);
        this.ctx.deps.wake();
        return true;
      }
      // Nothing held, but its last sends are still out (or it runs): not a new run yet.
      if ((await this.ctx.deps.jobs.get(c.job_id as number))?.status === 'submitted') throw new SwitchpostError('locked', `campaign ${c.id} is already running`);
      // Its run has finished. ICTCore does not run a completed campaign again (bin/campaign: "Campaign
      // already completed", 423); one paused with nothing left to send ends completed, as its daemon
      // does when it finds no pending transmission.
      if (c.status === 'completed' || (await this.status(c)) === 'completed') throw new SwitchpostError('locked', `campaign ${c.id} already completed; create a new campaign to send it again`);
      await this.rows.update(c.id, { status: 'completed' }, now);
      return true;
    }
    const owner = (await this.ctx.deps.users.byId(c.user_id))!;
    const program = await this.deps.programs.get(c.program_id as number);
    if (!program) throw invalid('program_id', `program ${c.program_id} no longer exists`);
    const account = c.account_id ? await this.deps.accountRows.get(c.account_id as number) : undefined;
    const { channel, content } = await programContent(this.ctx, this.deps.messages, program, owner, account ?? null);
    // A sendemail campaign mails the group's contacts that have an address; the others call or text their numbers.
    const email = channel === 'email';
    const recipients = (await this.deps.contacts.recipientsOf(c.group_id as number, email ? { channel, preferred: null } : null)).map((r, i) => ({ ...r, dueAt: dueAt(i) }));
    if (recipients.length === 0) throw invalid('group_id', `group ${c.group_id} has no contacts with ${email ? 'an e-mail address' : 'a phone number'}`);
    const jobId = await this.ctx.deps.jobs.create(
      {
        userId: owner.id,
        face: 'ictcore',
        channel,
        name: `campaign ${c.id}`,
        content,
        options: { title: `campaign ${c.id}`, origin: 'campaign', direction: 'outbound' },
        tries: c.try_allowed as number,
        callbackUrl: null,
        sender: email ? null : ((account?.phone as string | undefined) ?? null),
        scheduledAt: null,
        validUntil: null,
        replyUntil: null,
        cutoff: null,
        blackouts: [],
        recipients,
        programId: program.id,
        accountId: (c.account_id as number | null) ?? null,
        campaignId: c.id,
      },
      now,
    );
    await this.rows.update(c.id, { status: 'running', job_id: jobId }, now);
    this.ctx.deps.onJobCreated(jobId, owner.id, channel, recipients.length);
    return true;
  }

  private async stopNow(c: Row): Promise<true> {
    if (c.job_id !== null && (await this.status(c)) === 'running') await this.deps.transmissions.hold(c.job_id as number);
    // Read again after the hold, as it always was: the run may have finished meanwhile.
    await this.rows.update(c.id, { status: (await this.status(c)) === 'completed' ? 'completed' : 'paused' }, this.ctx.deps.clock.now());
    return true;
  }
}

export function campaignRoutes(app: FastifyInstance, ctx: Ctx, runs: CampaignRuns, deps: CampaignDeps): void {
  const present = async (r: Row) => {
    const job = r.job_id !== null ? await ctx.deps.jobs.get(r.job_id as number) : undefined;
    return {
      campaign_id: r.id,
      program_id: r.program_id,
      group_id: r.group_id,
      account_id: r.account_id ?? null,
      cpm: r.cpm,
      try_allowed: r.try_allowed,
      status: await runs.status(r),
      contact_total: await deps.contacts.groupSize(r.group_id as number),
      contact_done: job ? job.total - job.remaining : 0,
      created_by: r.user_id,
      date_created: seconds(r.created_at as number),
    };
  };
  /** The program, group and account a campaign names must be the user's own. */
  const checkRefs = async (req: FastifyRequest, v: Record<string, unknown>) => {
    if (v.program_id !== undefined) await ctx.own(req, await deps.programs.get(v.program_id as number), `program ${v.program_id}`);
    if (v.group_id !== undefined) await ctx.own(req, await deps.groupRows.get(v.group_id as number), `group ${v.group_id}`);
    if (v.account_id) await ownedAccount(ctx, req, deps.accountRows, v.account_id as number);
  };
  crudRoutes(app, ctx, {
    path: '/campaigns',
    what: 'campaign',
    perm: 'campaign',
    store: runs.rows,
    create: campaignBody.transform((b) => ({ ...b, account_id: b.account_id ?? null, cpm: b.cpm ?? 60, try_allowed: b.try_allowed ?? 1, status: 'new' })),
    update: campaignPatch.transform((b) => Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as Record<string, number | null>),
    filters: { campaign_id: 'id', program_id: 'program_id', group_id: 'group_id', account_id: 'account_id', status: 'status' },
    present,
    answer: campaignAnswer,
    beforeWrite: async (req, values) => (await checkRefs(req, values), values),
    beforeDelete: async (_req, row) => {
      if ((await runs.status(row)) === 'running') throw new SwitchpostError('locked', `campaign ${row.id} is running; stop it first`);
      await deps.schedules.cancel('campaign', row.id);
    },
  });
  const load = async (req: FastifyRequest) => {
    const id = idParam((req.params as { id: string }).id, 'campaign');
    return ctx.own(req, await runs.rows.get(id), `campaign ${id}`);
  };
  for (const method of ['PUT', 'GET'] as const) {
    app.route({
      method,
      url: '/campaigns/:id/start',
      ...ictDoc(`Start a campaign (${method})`, { responses: { '200': 'true', '423': 'a completed campaign' }, answer: TRUE }),
      handler: async (req) => (await ctx.authorize(req, 'campaign_start'), runs.start(await load(req))),
    });
    app.route({ method, url: '/campaigns/:id/stop', ...ictDoc(`Stop a campaign (${method})`, { responses: { '200': 'true' }, answer: TRUE }), handler: async (req) => (await ctx.authorize(req, 'campaign_stop'), runs.stop(await load(req))) });
  }
  for (const action of ['start', 'stop'] as const) {
    const handler = async (req: FastifyRequest) => {
      const user: UserRow = await ctx.authorize(req, 'task_create', action === 'start' ? 'campaign_start' : 'campaign_stop');
      const c = await load(req);
      const spec = parseSchedule((req.body ?? {}) as Record<string, unknown>, ctx.deps.clock.now(), user.timezone);
      if (typeof spec === 'string') throw invalidAs(spec);
      return deps.schedules.add(user, 'campaign', c.id, action, spec);
    };
    const doc = ictDoc(`Schedule a campaign's ${action}`, { responses: { '200': "the schedule's id", '412': 'Data validation failed, for <field>: …' }, answer: scheduleId });
    app.post(`/campaigns/:id/${action}/schedule`, doc, handler);
    app.put(`/campaigns/:id/${action}/schedule`, doc, handler);
  }
  app.delete('/campaigns/:id/schedule', ictDoc("Cancel a campaign's schedules", { answer: TRUE }), async (req) => {
    await ctx.authorize(req, 'task_delete');
    await deps.schedules.cancel('campaign', (await load(req)).id);
    return true;
  });
}
