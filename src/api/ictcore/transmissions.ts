import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cancelled, listedTransmission, newId, result, scheduleId, sent, spool, transmission, TRUE } from './answers.js';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { Row } from '../../store/owned.js';
import type { Remote } from '../../store/remote.js';
import type { Schedules } from '../../spool/schedules.js';
import type { UserRow } from '../../store/users.js';
import { HELD_UNTIL, type NewJob } from '../../core/jobs.js';
import { parseContent, type Content } from '../../core/content.js';
import { isFinal, type Channel, type RecipientState } from '../../core/model.js';
import { contactProblem, contactRecipient } from '../../core/contact.js';
import { checkEmailAddress } from '../../core/email-address.js';
import { parseSchedule } from '../../core/schedule.js';
import type { TransmissionStore, AttemptRow, TransmissionFilter, TransmissionRow } from '../../store/transmissions.js';
import { makeProgram, programBody, programContent, programType, SERVICE_FLAG } from './programs.js';
import { presentContact } from './contacts.js';
import { ownedAccount } from './accounts.js';
import { filterValue, idParam, jsonString, parseBody, positiveInt, seconds, text, invalid, invalidAs } from './fields.js';
import { wholeNumber } from '../input.js';
import { JSON_TYPE, jsonStream, mapPages } from '../json-stream.js';
import { viewPages } from './crud.js';
import { ictcoreResults } from './results.js';
import { SwitchpostError } from '../../core/errors.js';
import { ictDoc } from './route-docs.js';

/** ICTCore's transmission statuses (seed 001: pending, processing, completed, failed, invalid). */
export function transmissionStatus(state: RecipientState): 'pending' | 'processing' | 'completed' | 'failed' | 'invalid' {
  if (state === 'queued') return 'pending';
  if (state === 'sending' || state === 'submitted') return 'processing';
  if (state === 'delivered' || state === 'sent') return 'completed';
  return state === 'invalid' ? 'invalid' : 'failed';
}
const STATES_OF: Record<string, RecipientState[]> = {
  pending: ['queued'],
  processing: ['sending', 'submitted'],
  completed: ['delivered', 'sent'],
  failed: ['undeliverable', 'expired', 'rejected', 'failed', 'opted_out', 'cancelled'],
  invalid: ['invalid'],
};

/** An attempt's status as ICTCore's spool has it: under way, ended well, or not (held and interrupted ones too). */
export function spoolStatus(a: Pick<AttemptRow, 'status'>): 'initiated' | 'completed' | 'failed' {
  // retrieved / deferred: an MMS by WAP Push fetched or put off by its handset, its answer still to come.
  if (a.status === 'sending' || a.status === 'submitted' || a.status === 'dialing' || a.status === 'retrieved' || a.status === 'deferred') return 'initiated';
  // "unknown": no receipt came before the timeout; the message counts as sent.
  if (a.status === 'delivered' || a.status === 'sent' || a.status === 'unknown') return 'completed';
  return 'failed';
}

/**
 * What an inbound transmission adds to ICTCore's fields (issue 17; the daemon makes them as messages
 * arrive): `phone` is who sent it, `destination` the number or address it came to, `message` its text;
 * a fax's `document` (its PDF, relative to the data directory; null when no page came) and `pages`.
 */
function inboundFields(o: Record<string, unknown>): Record<string, unknown> {
  const f: Record<string, unknown> = { destination: o.destination ?? null, message: o.text ?? '' };
  if (o.pages !== undefined) Object.assign(f, { document: o.document ?? null, pages: o.pages, total_pages: o.total_pages ?? null });
  return f;
}

/** A message received is a record: never sent, retried or copied as an outbound one. */
function refuseInbound(t: TransmissionRow, what: string): TransmissionRow {
  if ((JSON.parse(t.options) as Record<string, unknown>).direction === 'inbound') throw new SwitchpostError('locked', `transmission ${t.id} is inbound (a message received); it cannot be ${what}`);
  return t;
}

/** try_allowed of a transmission made without one: ICTCore's Transmission sets 1 (core/Transmission.php). */
export const DEFAULT_TRY_ALLOWED = 1;

/** ICTCore's own direction values (core/Transmission.php). */
const DIRECTIONS = ['outbound', 'inbound', 'internal'];

/**
 * A transmission list's query string as ICTCore's `Transmission::search()` reads it (core/Transmission.php):
 * ids, `phone`, `status`, `service_flag` (a bitmask: every flag it names), `direction`, `before` and
 * `after` (epoch seconds of date_created), `user_id`/`created_by`. Its other fields (title, origin,
 * response, email…) and unknown ones are ignored; a known one with a bad value is a 412 naming it.
 */
export function transmissionFilter(query: Record<string, unknown>): TransmissionFilter {
  const f: TransmissionFilter = {};
  const ids = { transmission_id: 'id', program_id: 'program_id', account_id: 'account_id', campaign_id: 'campaign_id', contact_id: 'contact_id', user_id: 'user_id', created_by: 'user_id' } as const;
  for (const [k, col] of Object.entries(ids)) if (query[k] !== undefined) f[col] = filterValue(k, query[k], 'whole');
  if (query.phone !== undefined) f.destination = filterValue('phone', query.phone);
  if (query.status !== undefined) {
    const status = filterValue('status', query.status);
    const states = STATES_OF[status];
    if (!states) throw invalid('status', `one of ${Object.keys(STATES_OF).join(', ')}`);
    f.states = states;
  }
  if (query.service_flag !== undefined) {
    const flags = Number(filterValue('service_flag', query.service_flag, 'whole'));
    f.channels = (Object.keys(SERVICE_FLAG) as Channel[]).filter((c) => (SERVICE_FLAG[c] & flags) === flags);
  }
  if (query.direction !== undefined) {
    const direction = filterValue('direction', query.direction);
    if (!DIRECTIONS.includes(direction)) throw invalid('direction', `one of ${DIRECTIONS.join(', ')}`);
    f.direction = direction;
  }
  if (query.after !== undefined) f.createdFrom = Number(filterValue('after', query.after, 'whole'));
  if (query.before !== undefined) f.createdTo = Number(filterValue('before', query.before, 'whole'));
  return f;
}

const transmissionBody = z.object({
  program_id: positiveInt.optional(),
  contact_id: positiveInt.optional(),
  phone: z
    .union([z.string(), z.number()])
    .transform((v) => String(v).trim())
    .optional(),
  email: z.string().optional(),
  account_id: positiveInt.nullable().optional(),
  title: text(200),
  origin: text(200),
  direction: z.enum(['outbound', 'inbound']).optional(),
  try_allowed: positiveInt.pipe(z.number().max(20)).optional(),
  service_flag: z.unknown().optional(),
});

const instantBody = z.object({ program_data: z.record(z.string(), z.unknown()).optional(), transmission_data: z.record(z.string(), z.unknown()).optional() });

export type TransmissionDeps = Pick<IctcoreStores, 'contactRows' | 'accountRows' | 'messages' | 'programs'> & { schedules: Schedules };

/**
 * Transmissions (each is a recipient of its own held job until sent), their spools and results.
 * Sending releases the held recipient to the spool and answers with the attempt that took it.
 */
export function transmissionRoutes(app: FastifyInstance, ctx: Ctx, actions: TransmissionActions, deps: TransmissionDeps): void {
  const store = actions.store;

  const present = (t: TransmissionRow, options = JSON.parse(t.options) as Record<string, unknown>) => {
    return {
      transmission_id: t.id,
      title: options.title ?? null,
      origin: options.origin ?? null,
      service_flag: SERVICE_FLAG[t.channel],
      account_id: t.account_id,
      contact_id: t.contact_id,
      program_id: t.program_id,
      campaign_id: t.campaign_id,
      phone: t.destination,
      direction: options.direction ?? 'outbound',
      status: transmissionStatus(t.state),
      response: t.reason ?? '',
      try_allowed: typeof options.tries === 'number' ? options.tries : null,
      try_done: t.tries,
      last_run: seconds(t.sent_at),
      date_created: seconds(t.created_at),
      ...(options.direction === 'inbound' ? inboundFields(options) : {}),
    };
  };
  const load = async (req: FastifyRequest, param = 'id') => {
    const id = idParam((req.params as Record<string, string>)[param], 'transmission');
    return ctx.own(req, await store.get(id), `transmission ${id}`);
  };

  /** A new held transmission of `program` for the body's contact (or a contact made from its phone). */
  const create = async (req: FastifyRequest, user: UserRow, program: Row, b: z.infer<typeof transmissionBody>): Promise<number> => {
    if (b.direction === 'inbound') throw new SwitchpostError('not_implemented', 'inbound transmissions are made by the daemon when messages arrive, not by the API');
    // Everything is checked before anything is stored: bad input changes nothing.
    const account = b.account_id ? await ownedAccount(ctx, req, deps.accountRows, b.account_id) : null;
    const { channel, content } = await programContent(ctx, deps.messages, program, user, account);
    const sender = channel === 'email' ? null : ((account?.phone as string | null | undefined) ?? null);
    // An e-mail goes to the contact's address (Email_send: `[transmission:destination:email]`), the rest to its number.
    const email = channel === 'email';
    let contact: Row;
    if (b.contact_id !== undefined) contact = await ctx.own(req, await deps.contactRows.get(b.contact_id), `contact ${b.contact_id}`);
    else if (b.phone || (email && b.email)) {
      const problem = contactProblem({ phone: b.phone || null, email: b.email ?? null }, true);
      if (problem) throw invalidAs(problem);
      // ICTCore makes a contact of a bare phone number (or, to mail, a bare address).
      const id = await deps.contactRows.insert(user.id, { phone: b.phone || null, email: b.email ?? null }, ctx.deps.clock.now());
      contact = (await deps.contactRows.get(id))!;
    } else throw invalid('contact_id', email ? 'give contact_id or email' : 'give contact_id or phone');
    const destination = email ? (contact.email as string | null) : (contact.phone as string | null);
    if (!destination) throw invalid('contact_id', `contact ${contact.id} has no ${email ? 'e-mail address' : 'phone number'}`);
    if (email && !checkEmailAddress(destination).ok) throw invalid('contact_id', `contact ${contact.id}'s e-mail address: ${(checkEmailAddress(destination) as { reason: string }).reason}`);
    return actions.createHeld(user, channel, content, contact, { programId: program.id, accountId: b.account_id ?? null, sender, destination, title: b.title ?? null, origin: b.origin ?? null, tries: b.try_allowed ?? null });
  };

  app.post('/transmissions', ictDoc('Create a transmission', { body: transmissionBody, answer: newId }), async (req) => {
    const user = await ctx.authorize(req, 'transmission_create');
    const b = parseBody(transmissionBody, req.body);
    if (b.program_id === undefined) throw invalid('program_id', 'is required');
    const program = await ctx.own(req, await deps.programs.get(b.program_id), `program ${b.program_id}`);
    return create(req, user, program, b);
  });
  app.put('/programs/:id/transmissions', ictDoc('Create a transmission of a program', { body: transmissionBody, answer: newId }), async (req) => {
    const user = await ctx.authorize(req, 'transmission_create');
    const program = await ctx.own(req, await deps.programs.get(idParam((req.params as { id: string }).id, 'program')), 'program');
    return create(req, user, program, parseBody(transmissionBody, req.body));
  });
  // One call, as ProgramApi::transmission: {program_data, transmission_data} → a new program of the
  // type and a held transmission of it (Program::transmission_instant), answered by the transmission's id.
  app.post('/programs/:type/transmissions', ictDoc('Create a program and its transmission at once', { body: instantBody, answer: newId }), async (req) => {
    const type = programType(String((req.params as { type: string }).type));
    const user = await ctx.authorize(req, 'program_create');
    await ctx.authorize(req, 'transmission_create');
    const body = parseBody(instantBody, req.body);
    if (!body.transmission_data || Object.keys(body.transmission_data).length === 0) throw invalid('transmission_data', 'Transmission data is missing');
    const p = parseBody(programBody, body.program_data ?? {});
    const t = parseBody(transmissionBody, body.transmission_data);
    const accountOwned = async (r: FastifyRequest, id: number) => void (await ownedAccount(ctx, r, deps.accountRows, id));
    const made = await makeProgram(ctx, deps, accountOwned, req, type, p);
    try {
      return await create(req, user, (await deps.programs.get(made.id))!, t);
    } catch (err) {
      // Bad transmission data changes nothing: the program (and its inline text) made for it go again.
      await deps.programs.delete(made.id);
      if (made.made !== null) await deps.messages[made.made.kind].delete(made.made.id);
      throw err;
    }
  });
  app.get('/programs/:id/transmissions', ictDoc("A program's transmissions", { answer: z.array(transmission) }), async (req, reply) => {
    await ctx.authorize(req, 'transmission_list');
    const program = await ctx.own(req, await deps.programs.get(idParam((req.params as { id: string }).id, 'program')), 'program');
    // Grows with the program (a campaign's every transmission): a page at a time, cut at 100,000 as always.
    const pages = store.pages(ctx.scope(req), { program_id: String(program.id) }, 100_000);
    return reply
      .code(200)
      .type(JSON_TYPE)
      .send(jsonStream((list) => list(mapPages(pages, (t) => present(t)))));
  });

  app.get('/transmissions', ictDoc('List transmissions', { answer: z.array(listedTransmission) }), async (req, reply) => {
    await ctx.authorize(req, 'transmission_list');
    const { limit, offset, ...query } = (req.query ?? {}) as Record<string, string>;
    const filter = transmissionFilter(query);
    // ICTCore's lenience kept: 0 is the default, a larger limit is capped; a non-integer is refused.
    const n = Math.min(wholeNumber(limit, 'limit', { min: 0, max: Number.MAX_SAFE_INTEGER, dflt: 10_000 }) || 10_000, 100_000);
    const skip = wholeNumber(offset, 'offset', { min: 0, max: Number.MAX_SAFE_INTEGER, dflt: 0 });
    // ICTCore's list carries each transmission's contact and account as objects too. A campaign's
    // transmissions share one job, and often contacts and an account: each is read once a call (the
    // read's promise is kept, so rows of one page that share a contact wait on the same read).
    const once = <K, V>(load: (k: K) => Promise<V>) => {
      const seen = new Map<K, Promise<V>>();
      return (k: K): Promise<V> => seen.get(k) ?? seen.set(k, load(k)).get(k)!;
    };
    const jobOptions = new Map<number, Record<string, unknown>>();
    const optionsOf = (t: TransmissionRow) => jobOptions.get(t.job_id) ?? jobOptions.set(t.job_id, JSON.parse(t.options) as Record<string, unknown>).get(t.job_id)!;
    const contactOf = once(async (id: number) => {
      const c = await deps.contactRows.get(id);
      return c ? presentContact(c) : null;
    });
    const accountOf = once(async (id: number) => {
      const a = await deps.accountRows.get(id);
      return a ? { account_id: a.id, username: a.username, phone: a.phone ?? null, email: a.email ?? null } : null;
    });
    // Up to 100,000 with their contacts: a page at a time, the same JSON as the whole array.
    const pages = store.pages(ctx.scope(req), filter, n, skip);
    const entry = async (t: TransmissionRow) => ({
      ...present(t, optionsOf(t)),
      contact: t.contact_id !== null ? await contactOf(t.contact_id) : null,
      account: t.account_id !== null ? await accountOf(t.account_id) : null,
    });
    return reply
      .code(200)
      .type(JSON_TYPE)
      .send(jsonStream((list) => list(viewPages(pages, entry))));
  });
  app.get('/transmissions/:id', ictDoc('A transmission', { answer: transmission }), async (req) => {
    await ctx.authorize(req, 'transmission_read');
    return present(await load(req));
  });
  const remove = async (req: FastifyRequest) => {
    await ctx.authorize(req, 'transmission_delete');
    const t = await load(req);
    const r = await store.remove(t.id, ctx.deps.clock.now());
    if (r === 'busy') throw new SwitchpostError('locked', `transmission ${t.id} is being sent; delete it once it has finished`);
    await deps.schedules.cancel('transmission', t.id);
    return true;
  };
  app.delete('/transmissions/:id', ictDoc('Delete a transmission', { answer: TRUE }), remove);
  app.get('/transmissions/:id/delete', ictDoc('Delete a transmission (GET)', { answer: TRUE }), remove);

  const send = async (req: FastifyRequest) => {
    await ctx.authorize(req, 'transmission_send');
    const t = refuseInbound(await load(req), 'sent');
    if (!ctx.deps.channels.has(t.channel)) throw new SwitchpostError('not_implemented', `the ${t.channel} channel is not available on this server yet`);
    return actions.send(t.id, true);
  };
  app.post('/transmissions/:id/send', ictDoc('Send a transmission now', { answer: sent }), send);
  app.post('/transmissions/:id/retry', ictDoc('Send a transmission again', { answer: sent }), send);

  app.put('/transmissions/:id/schedule', ictDoc('Schedule a transmission', { answer: scheduleId }), async (req) => {
    const user = await ctx.authorize(req, 'transmission_send', 'task_create');
    const t = refuseInbound(await load(req), 'scheduled');
    const spec = parseSchedule((req.body ?? {}) as Record<string, unknown>, ctx.deps.clock.now(), user.timezone);
    if (typeof spec === 'string') throw invalidAs(spec);
    return deps.schedules.add(user, 'transmission', t.id, 'send', spec);
  });
  app.delete('/transmissions/:id/schedule', ictDoc("Cancel a transmission's schedule", { answer: cancelled }), async (req) => {
    await ctx.authorize(req, 'transmission_update', 'task_delete');
    const t = await load(req);
    return (await deps.schedules.cancel('transmission', t.id)) >= 0;
  });

  app.get('/transmissions/:id/clone', ictDoc('Clone a transmission', { answer: newId }), async (req) => {
    const user = await ctx.authorize(req, 'transmission_read', 'transmission_create');
    return actions.clone(user, refuseInbound(await load(req), 'cloned'));
  });

  app.get('/transmissions/:id/status', ictDoc("A transmission's status", { answer: transmission.shape.status }), async (req, reply) => {
    await ctx.authorize(req, 'transmission_read');
    return jsonString(reply, transmissionStatus((await load(req)).state));
  });
  const presentSpool = (a: AttemptRow) => ({
    spool_id: a.id,
    transmission_id: a.recipient_id,
    time_spool: seconds(a.queued_at),
    time_start: seconds(a.started_at),
    time_connect: seconds(a.connected_at),
    time_end: seconds(a.ended_at),
    status: spoolStatus(a),
    response: a.response ?? a.status,
    try: a.try,
    amount: a.duration ?? a.parts ?? null,
    cost: a.cost,
    // Which daemon made it (node.id). ICTCore's own node_id is a number into its node table; ours is a name.
    node: a.node_id,
  });
  app.get('/transmissions/:id/detail', ictDoc("A transmission's spools (attempts)", { answer: z.array(spool) }), async (req) => {
    await ctx.authorize(req, 'transmission_read', 'spool_read');
    return (await store.attempts((await load(req)).id)).map(presentSpool);
  });

  /** A spool's results in ICTCore's words (results.ts), for the channel of its transmission. */
  const results = async (a: AttemptRow) => {
    const t = await store.get(a.recipient_id);
    return t ? ictcoreResults(t.channel, a, spoolStatus(a), await store.results(a.id)) : [];
  };
  app.get('/transmissions/:id/result', ictDoc("A transmission's results", { answer: z.array(result) }), async (req) => {
    await ctx.authorize(req, 'transmission_read', 'result_read');
    const attempts = await store.attempts((await load(req)).id);
    const last = attempts[attempts.length - 1];
    return last ? results(last) : [];
  });
  const loadSpool = async (req: FastifyRequest) => {
    const id = idParam((req.params as { id: string }).id, 'spool');
    return ctx.own(req, await store.attempt(id), `spool ${id}`);
  };
  app.get('/spools/:id/status', ictDoc("A spool's status", { answer: spool.shape.status }), async (req, reply) => {
    await ctx.authorize(req, 'spool_read');
    return jsonString(reply, spoolStatus(await loadSpool(req)));
  });
  app.get('/spools/:id/result', ictDoc("A spool's results", { answer: z.array(result) }), async (req) => {
    await ctx.authorize(req, 'spool_read', 'result_read');
    return results(await loadSpool(req));
  });
}

/** What sends: a held transmission made, released, retried, cloned — used by the routes and the schedules. */
export class TransmissionActions {
  constructor(
    private readonly ctx: Ctx,
    readonly store: Remote<TransmissionStore>,
  ) {}

  async createHeld(
    user: UserRow,
    channel: Channel,
    content: Content,
    contact: Row,
    o: { programId: number | null; accountId: number | null; sender: string | null; destination?: string; title: string | null; origin: string | null; tries: number | null; direction?: string },
  ): Promise<number> {
    const job: NewJob = {
      userId: user.id,
      face: 'ictcore',
      channel,
      name: o.title,
      content,
      options: { title: o.title, origin: o.origin, direction: o.direction ?? 'outbound' },
      // ICTCore's default when none is given: one try (core/Transmission.php, `$try_allowed = 1`).
      tries: o.tries ?? DEFAULT_TRY_ALLOWED,
      callbackUrl: null,
      sender: o.sender,
      scheduledAt: null,
      validUntil: null,
      replyUntil: null,
      cutoff: null,
      blackouts: [],
      recipients: [{ destination: o.destination ?? String(contact.phone), blackouts: null, ...contactRecipient(contact) }],
      programId: o.programId,
      accountId: o.accountId,
      held: true,
    };
    const jobId = await this.ctx.deps.jobs.create(job, this.ctx.deps.clock.now());
    this.ctx.deps.onJobCreated(jobId, user.id, channel, 1);
    return (await this.ctx.deps.jobs.recipients(jobId))[0]!.id;
  }

  /**
   * Release a held transmission, or queue a failed one again; with `wait`, answer the attempt (spool)
   * that took it once the spool has leased it (null if it is not due yet: a window, a schedule).
   */
  async send(id: number, wait: boolean): Promise<number | null> {
    const t = await this.store.get(id);
    if (!t) throw new SwitchpostError('not_found', `transmission ${id} not found`);
    refuseInbound(t, 'sent');
    const now = this.ctx.deps.clock.now();
    // Each store call checks the state it changes (held, or finished), so a state that moved since the read changes nothing.
    // ICTCore's Transmission::send() (core/Transmission.php): a completed or invalid transmission is
    // refused (423), so is one in process; a failed one is sent again (its retry).
    const outcome = t.state === 'queued' && t.due_at === HELD_UNTIL ? ((await this.store.release([id], [now])) === 1 ? 'requeued' : 'busy') : isFinal(t.state) ? await this.store.requeue(id, now) : 'busy';
    if (outcome === 'completed') throw new SwitchpostError('locked', `transmission ${id} completed, request denied`);
    if (outcome === 'documents_removed') throw new SwitchpostError('locked', `transmission ${id} cannot be sent again: its documents are no longer kept (maximum_document_retention_hours)`);
    if (outcome === 'invalid') throw new SwitchpostError('locked', `transmission ${id} is invalid, unable to process`);
    if (outcome === 'busy') throw new SwitchpostError('locked', `transmission ${id} is already being sent`);
    this.ctx.deps.wake();
    if (!wait) return null;
    const before = t.attempt_id;
    for (let i = 0; i < 200; i++) {
      const cur = await this.store.get(id);
      if (cur && cur.attempt_id !== null && cur.attempt_id !== before) return cur.attempt_id;
      await new Promise((r) => setTimeout(r, 10));
    }
    return null;
  }

  /** A copy of a transmission, held (ICTCore: send it with …/send). */
  async clone(user: UserRow, t: TransmissionRow): Promise<number> {
    const job = (await this.ctx.deps.jobs.get(t.job_id))!;
    // The contact as the transmission knew it: its merge fields, number and id.
    const fields = await this.ctx.deps.jobs.recipientFields(t.job_id, t.id);
    const contact = { ...(fields ? (JSON.parse(fields) as Record<string, unknown>) : {}), id: t.contact_id, user_id: t.user_id, phone: t.destination } as Row;
    const options = JSON.parse(job.options) as Record<string, unknown>;
    return this.createHeld(user, job.channel, parseContent(job.content), contact, {
      programId: t.program_id,
      accountId: t.account_id,
      sender: job.sender,
      title: (options.title as string | null) ?? null,
      origin: (options.origin as string | null) ?? null,
      tries: typeof options.tries === 'number' ? options.tries : null,
    });
  }
}
