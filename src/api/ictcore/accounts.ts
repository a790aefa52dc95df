import type { FastifyInstance, FastifyRequest } from 'fastify';
import { account as accountAnswer, newId, setting, TRUE } from './answers.js';
import { z } from 'zod';
import type { Ctx, IctcoreStores } from './context.js';
import type { Row } from '../../store/owned.js';
import { accountOwner } from '../../store/accounts.js';
import { crudRoutes } from './crud.js';
import { flag, idParam, isUniqueClash, jsonString, parseBody, requiredText, seconds, text, invalid, found } from './fields.js';
import { plausibleNumber } from '../../core/numbers.js';
import { SwitchpostError } from '../../core/errors.js';
import { ictDoc } from './route-docs.js';

const phone = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim() || null)
  .refine((v) => v === null || plausibleNumber(v) === null, 'not a phone number')
  .nullable()
  .optional();
/** ICTCore's account types (core/Account.php and its Account/ kinds). */
export const ACCOUNT_TYPES = ['account', 'did', 'extension', 'eaddress'] as const;
const fields = {
  type: z.enum(ACCOUNT_TYPES).optional(),
  username: text(64),
  passwd: z.string().min(6, 'at least 6 characters').max(200).optional(),
  passwd_pin: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^\d{4,12}$/, '4 to 12 digits'))
    .optional(),
  first_name: text(100),
  last_name: text(100),
  phone,
  email: z.string().email('not an e-mail address').max(254).nullable().optional(),
  address: text(500),
  active: flag.optional(),
};
const accountBody = z.object({ ...fields, username: requiredText(64) });
const accountPatch = z.object(fields);
/** An account setting's new value: any scalar, kept as its text. */
const settingBody = z.object({
  value: z
    .union([z.string().max(10_000), z.number(), z.boolean()])
    .transform(String)
    .nullable(),
});

/** Body → columns: flags as 1/0; passwords still plain here (beforeWrite hashes them, off the event loop). */
const toColumns = (b: z.infer<typeof accountPatch>): Record<string, string | number | null> => {
  const { passwd, passwd_pin, active, ...rest } = b;
  return {
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    ...(passwd !== undefined ? { passwd } : {}),
    ...(passwd_pin !== undefined ? { passwd_pin } : {}),
    ...(active !== undefined ? { active: active ? 1 : 0 } : {}),
  } as Record<string, string | number | null>;
};

/** The account `req`'s user may use (its own, or one it made and set free), else 404. */
export const ownedAccount = async (ctx: Ctx, req: FastifyRequest, rows: IctcoreStores['accountRows'], id: number): Promise<Row> => ctx.own(req, await rows.get(id), `account ${id}`, accountOwner);

/** What accounts need of programs: ownership of one, a new one of a type for an account, and reading one. */
export interface AccountPrograms {
  owned: (req: FastifyRequest, id: number) => Promise<void>;
  install: (req: FastifyRequest, accountId: number, type: string) => Promise<number>;
  get: (id: number) => Promise<Row | undefined>;
}

export function accountRoutes(app: FastifyInstance, ctx: Ctx, stores: Pick<IctcoreStores, 'accounts' | 'accountRows'>, programs: AccountPrograms): void {
  const programOwned = programs.owned;
  const { accounts: store, accountRows: rows } = stores;
  const present = async (r: Row) => ({
    account_id: r.id,
    type: r.type,
    username: r.username,
    first_name: r.first_name ?? null,
    last_name: r.last_name ?? null,
    phone: r.phone ?? null,
    email: r.email ?? null,
    address: r.address ?? null,
    active: r.active,
    user_id: r.user_id ?? null,
    created_by: r.created_by,
    programs: await store.programs(r.id),
    date_created: seconds(r.created_at as number),
  });
  const load = async (req: FastifyRequest) => {
    const id = idParam((req.params as { id: string }).id, 'account');
    return ctx.own(req, await rows.get(id), `account ${id}`, accountOwner);
  };
  const usernameError = (username: string) => invalid('username', `"${username}" is taken`);
  const checkUsername = async (values: Record<string, unknown>, existing: Row | null) => {
    if (typeof values.username === 'string' && (await store.usernameTaken(values.username, existing?.id ?? null))) throw usernameError(values.username);
  };

  crudRoutes(app, ctx, {
    path: '/accounts',
    what: 'account',
    perm: 'account',
    store: rows,
    create: accountBody.transform(toColumns),
    update: accountPatch.transform(toColumns),
    filters: { account_id: 'id', type: 'type', username: 'username', phone: 'phone', email: 'email', active: 'active', user_id: 'user_id' },
    present,
    answer: accountAnswer,
    beforeWrite: async (req, values, existing) => {
      const { passwd, passwd_pin, ...columns } = values;
      const by = ctx.user(req).id;
      if (passwd != null) columns.password_hash = await ctx.deps.logins.hash(String(passwd), by);
      if (passwd_pin != null) columns.pin_hash = await ctx.deps.logins.hash(String(passwd_pin), by);
      // After the hashes. The check and the write are two calls to the engine's thread: a username taken
      // between them is refused by the unique index, answered the same (clash).
      await checkUsername(values, existing);
      return existing ? columns : { ...columns, created_by: ctx.user(req).id };
    },
    clash: (err, values) => (typeof values.username === 'string' && isUniqueClash(err, 'accounts.username') ? usernameError(values.username) : null),
    remove: (id) => store.delete(id),
    ownerOf: accountOwner,
  });

  app.put('/accounts/:id/programs/:program_id', ictDoc('Subscribe an account to a program (a type: a new program of it, answered by its id)', { answer: z.union([accountAnswer, newId]) }), async (req) => {
    await ctx.authorize(req, 'account_update');
    const account = await load(req);
    const param = (req.params as { program_id: string }).program_id;
    if (!/^\d+$/.test(param)) {
      // By type (AccountApi::subscribe → Account::install_program): a new program of that type for this
      // account, answered by its id — receivesms, receivefax… (a send type needs its message: 412).
      await ctx.authorize(req, 'program_create');
      const id = await programs.install(req, account.id, param);
      await store.subscribe(account.id, id);
      return id;
    }
    const programId = idParam((req.params as { program_id: string }).program_id, 'program');
    await programOwned(req, programId);
    await store.subscribe(account.id, programId);
    return present(account);
  });
  const unsubscribe = async (req: FastifyRequest) => {
    await ctx.authorize(req, 'account_update');
    const account = await load(req);
    const param = (req.params as { program_id: string }).program_id;
    if (!/^\d+$/.test(param)) {
      // By name (Account::remove_program): the account's programs of that name (or type; `all`: every one). Always true.
      const name = param.toLowerCase();
      for (const id of await store.programs(account.id)) {
        const p = await programs.get(id);
        if (name === 'all' || (p && (String(p.name).toLowerCase() === name || String(p.type) === name))) await store.unsubscribe(account.id, id);
      }
      return true;
    }
    const programId = idParam((req.params as { program_id: string }).program_id, 'program');
    if ((await store.unsubscribe(account.id, programId)) === 0) throw new SwitchpostError('not_found', `account ${account.id} is not subscribed to program ${programId}`);
    return present(account);
  };
  app.delete('/accounts/:id/programs/:program_id', ictDoc('Unsubscribe an account from a program (a name or type: true)', { answer: z.union([accountAnswer, TRUE]) }), unsubscribe);
  app.delete('/accounts/:id/programs', ictDoc('Unsubscribe an account from all its programs', { answer: accountAnswer }), async (req) => {
    await ctx.authorize(req, 'account_update');
    const account = await load(req);
    await store.unsubscribe(account.id);
    return present(account);
  });

  app.put('/accounts/:id/users/:user_id', ictDoc('Give an account to a user', { answer: accountAnswer }), async (req) => {
    await ctx.authorize(req, 'account_update');
    const account = await load(req);
    const userId = idParam((req.params as { user_id: string }).user_id, 'user');
    const target = await ctx.deps.users.byId(userId);
    if (!target || !(await ctx.deps.users.canSee(ctx.scope(req), userId))) throw new SwitchpostError('not_found', `user ${userId} not found`);
    await rows.update(account.id, { user_id: userId }, ctx.deps.clock.now());
    return present(found(await rows.get(account.id), `account ${account.id}`));
  });
  app.delete('/accounts/:id/users', ictDoc('Set an account free of its user', { answer: accountAnswer }), async (req) => {
    await ctx.authorize(req, 'account_update');
    const account = await load(req);
    await rows.update(account.id, { user_id: null }, ctx.deps.clock.now());
    return present(found(await rows.get(account.id), `account ${account.id}`));
  });

  const settingName = (req: FastifyRequest) => {
    const name = String((req.params as { name: string }).name);
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) throw invalid('name', 'letters, digits, _ . : - (up to 64)');
    return name;
  };
  app.get('/accounts/:id/settings/:name', ictDoc("An account's setting", { answer: setting }), async (req, reply) => {
    await ctx.authorize(req, 'account_read');
    const account = await load(req);
    const value = await store.setting(account.id, settingName(req));
    if (value === undefined) throw new SwitchpostError('not_found', `account ${account.id} has no setting "${settingName(req)}"`);
    return value === null ? null : jsonString(reply, value);
  });
  app.put('/accounts/:id/settings/:name', ictDoc("Set an account's setting", { body: settingBody, answer: TRUE }), async (req) => {
    await ctx.authorize(req, 'account_update');
    const account = await load(req);
    const { value } = parseBody(settingBody, req.body);
    await store.setSetting(account.id, settingName(req), value);
    return true;
  });
  app.delete('/accounts/:id/settings/:name', ictDoc("Remove an account's setting", { answer: TRUE }), async (req) => {
    await ctx.authorize(req, 'account_update');
    const account = await load(req);
    if (!(await store.deleteSetting(account.id, settingName(req)))) throw new SwitchpostError('not_found', `account ${account.id} has no setting "${settingName(req)}"`);
    return true;
  });
}
