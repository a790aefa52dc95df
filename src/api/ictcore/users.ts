import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId, TRUE, user as userAnswer } from './answers.js';
import { z } from 'zod';
import type { Ctx } from './context.js';
import { UserCodeTaken, type UserFilter, type UserPatch, type UserRow } from '../../store/users.js';
import { flag, idParam, listFilter, parseBody, requiredText, seconds, text, invalid, found } from './fields.js';
import { isValidZone } from '../../core/windows.js';
import { COUNTRY_EXPECTED, countryCode } from '../../core/countries.js';
import { alpha2OfNumeric, numericOfAlpha2 } from '../../core/country-numbers.js';
import { ictcoreIdOfZone, zoneOfIctcoreId } from './timezones.js';
import { isPermission, ROLE_IDS, roleId, type Permission } from '../../core/permissions.js';
import { ictcorePermissionId, permissionsOf } from './permission-ids.js';
import { SwitchpostError } from '../../core/errors.js';
import { JSON_TYPE, jsonStream } from '../json-stream.js';
import { viewPages } from './crud.js';
import { ictDoc } from './route-docs.js';

/**
 * A country as ICTCore numbers it (its country_id: the ISO 3166-1 numeric code, 586 for Pakistan) or by
 * its alpha-2 code; either must name a country whose numbers the daemon can read (core/countries.ts).
 */
const country = z.union([z.number(), z.string()]).transform((v, c) => {
  const given = String(v).trim();
  const alpha2 = /^\d+$/.test(given) ? alpha2OfNumeric(Number(given)) : given;
  const code = alpha2 === null ? null : countryCode(alpha2);
  if (code === null) {
    c.addIssue({ code: 'custom', message: /^\d+$/.test(given) ? `${given.slice(0, 10)} is no ISO 3166 numeric country code with a numbering plan (e.g. 586, Pakistan)` : `${COUNTRY_EXPECTED}, or ICTCore's numeric id (e.g. 586)` });
    return z.NEVER;
  }
  return code;
});
/** A time zone as ICTCore numbers it (its timezone_id: the offset in seconds) or an IANA name. */
const timezone = z.union([z.number(), z.string()]).transform((v, c) => {
  const given = String(v).trim();
  if (/^-?\d+$/.test(given)) {
    const z2 = zoneOfIctcoreId(Number(given));
    if ('zone' in z2) return z2.zone;
    c.addIssue({ code: 'custom', message: z2.problem });
    return z.NEVER;
  }
  if (!isValidZone(given)) {
    c.addIssue({ code: 'custom', message: "an IANA time zone such as Asia/Karachi, or ICTCore's id (the offset in seconds, e.g. 18000)" });
    return z.NEVER;
  }
  return given;
});
const fields = {
  username: requiredText(64).pipe(z.string().regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits, _ . @ - only')),
  passwd: z.string().min(8, 'at least 8 characters').max(200),
  first_name: text(100),
  last_name: text(100),
  phone: text(32),
  email: z.string().email('not an e-mail address').max(254).nullable().optional(),
  address: text(500),
  company: text(200),
  country_id: country.optional(),
  timezone_id: timezone.optional(),
  active: flag.optional(),
};
// ICTCore's User takes the plain password as `password` (User::set_password; `passwd` is its stored hash
// column); the face took it as `passwd` before. Either, one value.
const withPassword = <T extends { passwd?: string | undefined; password?: string | undefined }>(b: T, c: z.RefinementCtx): Omit<T, 'password'> => {
  const { password, ...rest } = b;
  if (password !== undefined && b.passwd !== undefined && password !== b.passwd) c.addIssue({ code: 'custom', path: ['password'], message: 'give password or passwd, not two different ones' });
  return { ...rest, passwd: b.passwd ?? password } as Omit<T, 'password'>;
};
const userBody = z
  .object({ ...fields, passwd: fields.passwd.optional(), password: fields.passwd.optional() })
  .transform(withPassword)
  .superRefine((b, c) => {
    if (b.passwd === undefined) c.addIssue({ code: 'custom', path: ['password'], message: 'is required' });
  })
  .transform((b) => ({ ...b, passwd: b.passwd! }));
const userPatch = z.object({ ...fields, username: fields.username.optional(), passwd: fields.passwd.optional(), password: fields.passwd.optional() }).transform(withPassword);
const passwordBody = z.object({ password: fields.passwd });

/** Users, their password, role and permission exceptions (ICTCore's User), on the same users every face uses. */
export function userRoutes(app: FastifyInstance, ctx: Ctx): void {
  const { users, permissions } = ctx.deps;
  const present = async (u: UserRow) => {
    const exceptions = await permissions.exceptions(u.id);
    const profile = JSON.parse(u.profile) as Record<string, unknown>;
    return {
      user_id: u.id,
      username: u.user_code,
      first_name: u.first_name,
      last_name: u.last_name,
      phone: u.phone,
      email: u.email,
      address: (profile.address as string | undefined) ?? null,
      company: (profile.company as string | undefined) ?? null,
      // ICTCore's numbers (its client reads them so), and the code and zone they stand for.
      country_id: numericOfAlpha2(u.country) ?? u.country,
      country: u.country,
      timezone_id: ictcoreIdOfZone(u.timezone) ?? u.timezone,
      timezone: u.timezone,
      active: u.active,
      role_id: roleId(u.role),
      role: u.role,
      permissions: [...exceptions].map(([p, granted]) => ({ permission_id: isPermission(p) ? ictcorePermissionId(p) : null, name: p, granted })),
      created_by: u.agent_id,
      date_created: seconds(u.created_at),
    };
  };
  /** A user the requester may see (an admin: all; an agent: itself and its users; a user: itself). */
  const load = async (req: FastifyRequest, param = 'id'): Promise<UserRow> => {
    const id = idParam((req.params as Record<string, string>)[param], 'user');
    const u = await users.byId(id);
    if (!u || !(await users.canSee(ctx.scope(req), id))) throw new SwitchpostError('not_found', `user ${id} not found`);
    return u;
  };
  const takenError = (code: string) => invalid('username', `"${code}" is taken`);
  const taken = async (code: string, except: number | null) => {
    const other = await users.byCode(code);
    if (other && other.id !== except) throw takenError(code);
  };
  /** A clash the store caught (another request, process or the CLI added the code meanwhile): the same 412. */
  const codeTaken = async <T>(code: string, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (err) {
      throw err instanceof UserCodeTaken ? takenError(code) : err;
    }
  };

  app.post('/users', ictDoc('Create a user', { body: userBody, answer: newId }), async (req) => {
    const me = await ctx.authorize(req, 'user_create');
    const b = parseBody(userBody, req.body);
    // Hashed first, then checked; a code taken between the check and the insert is UserCodeTaken (codeTaken).
    const passwordHash = await ctx.deps.logins.hash(b.passwd, me.id);
    await taken(b.username, null);
    return codeTaken(b.username, () =>
      users.add(
        {
          user_code: b.username,
          password: b.passwd,
          password_hash: passwordHash,
          role: 'user',
          // An agent's users are its own (a reseller's customers).
          agent_id: me.role === 'agent' ? me.id : null,
          first_name: b.first_name ?? null,
          last_name: b.last_name ?? null,
          phone: b.phone ?? null,
          email: b.email ?? null,
          profile: { address: b.address ?? null, company: b.company ?? null },
          timezone: b.timezone_id ?? ctx.deps.defaultTimezone,
          country: b.country_id ?? ctx.deps.defaultCountry,
        },
        ctx.deps.clock.now(),
      ),
    );
  });
  app.get('/users', ictDoc('List users', { answer: z.array(userAnswer) }), async (req, reply) => {
    await ctx.authorize(req, 'user_list');
    const f: UserFilter = listFilter(req.query, { user_id: 'id', username: 'user_code', first_name: 'first_name', last_name: 'last_name', email: 'email', phone: 'phone', active: 'active', role: 'role' });
    // Up to 100,000, filtered in SQL as the whole list was in memory: a page at a time, the same JSON.
    const pages = users.pages(ctx.scope(req), f, 100_000);
    return reply
      .code(200)
      .type(JSON_TYPE)
      .send(jsonStream((list) => list(viewPages(pages, present))));
  });
  app.get('/users/:id', ictDoc('A user', { answer: userAnswer }), async (req) => {
    await ctx.authorize(req, 'user_read');
    return present(await load(req));
  });
  app.put('/users/:id', ictDoc('Change a user', { body: userPatch, answer: userAnswer }), async (req) => {
    const me = await ctx.authorize(req, 'user_update');
    const u = await load(req);
    const b = parseBody(userPatch, req.body);
    // Hashed first, then checked; a code taken between the check and the update is UserCodeTaken (codeTaken).
    const passwordHash = b.passwd !== undefined ? await ctx.deps.logins.hash(b.passwd, me.id) : undefined;
    if (b.username !== undefined) await taken(b.username, u.id);
    if (b.active === false && u.id === ctx.user(req).id) throw invalid('active', 'you cannot disable yourself');
    const password: UserPatch = b.passwd !== undefined ? { password: b.passwd, password_hash: passwordHash! } : {};
    await codeTaken(b.username ?? u.user_code, () =>
      users.update(
        u.id,
        {
          ...password,
          ...(b.username !== undefined ? { user_code: b.username } : {}),
          ...(b.first_name !== undefined ? { first_name: b.first_name } : {}),
          ...(b.last_name !== undefined ? { last_name: b.last_name } : {}),
          ...(b.phone !== undefined ? { phone: b.phone } : {}),
          ...(b.email !== undefined ? { email: b.email } : {}),
          ...(b.timezone_id !== undefined ? { timezone: b.timezone_id } : {}),
          ...(b.country_id !== undefined ? { country: b.country_id } : {}),
          ...(b.active !== undefined ? { active: b.active } : {}),
          ...(b.address !== undefined || b.company !== undefined ? { profile: { ...(b.address !== undefined ? { address: b.address } : {}), ...(b.company !== undefined ? { company: b.company } : {}) } } : {}),
        },
        ctx.deps.clock.now(),
      ),
    );
    // Only what a login or a held credential depends on; a new first name keeps the cached logins.
    if (b.passwd !== undefined || b.active !== undefined || (b.username !== undefined && b.username.toLowerCase() !== u.user_code.toLowerCase())) ctx.deps.credentialsChanged();
    return present(found(await users.byId(u.id), `user ${u.id}`));
  });
  const remove = async (req: FastifyRequest) => {
    const me = await ctx.authorize(req, 'user_delete');
    const u = await load(req);
    if (u.id === me.id) throw new SwitchpostError('locked', 'you cannot delete yourself');
    // Checked and deleted in one store call: a job created for the user meanwhile keeps it.
    const { deleted, owns } = await users.delete(u.id);
    if (owns) throw new SwitchpostError('locked', `user ${u.id} owns ${owns}; disable it with PUT {"active": 0} instead`);
    if (!deleted) throw new SwitchpostError('not_found', `user ${u.id} not found`);
    await permissions.clear(u.id); // its exceptions, and their cache: ids can come back
    ctx.deps.credentialsChanged();
    return true;
  };
  app.delete('/users/:id', ictDoc('Delete a user', { answer: TRUE }), remove);
  app.get('/users/:id/delete', ictDoc('Delete a user (GET)', { answer: TRUE }), remove);

  app.put('/users/:id/password', ictDoc("Change a user's password", { body: passwordBody, answer: userAnswer }), async (req) => {
    const me = await ctx.authorize(req, 'user_update');
    const u = await load(req);
    const { password } = parseBody(passwordBody, req.body);
    await users.update(u.id, { password, password_hash: await ctx.deps.logins.hash(password, me.id) }, ctx.deps.clock.now());
    ctx.deps.credentialsChanged();
    return present(found(await users.byId(u.id), `user ${u.id}`));
  });

  const roleOf = (req: FastifyRequest) => {
    const id = idParam((req.params as { role_id: string }).role_id, 'role');
    const role = ROLE_IDS[id];
    if (!role)
      throw new SwitchpostError(
        'not_found',
        `role ${id} not found (${Object.entries(ROLE_IDS)
          .map(([i, r]) => `${i} ${r}`)
          .join(', ')})`,
      );
    return role;
  };
  app.put('/users/:id/roles/:role_id', ictDoc('Give a user a role', { answer: userAnswer }), async (req) => {
    const me = await ctx.authorize(req, 'user_role');
    const u = await load(req);
    const role = roleOf(req);
    if (u.id === me.id) throw new SwitchpostError('locked', 'you cannot change your own role');
    await users.update(u.id, { role }, ctx.deps.clock.now());
    ctx.deps.credentialsChanged(); // open streams were scoped to the old role
    return present(found(await users.byId(u.id), `user ${u.id}`));
  });
  app.delete('/users/:id/roles/:role_id', ictDoc('Take a role from a user', { answer: userAnswer }), async (req) => {
    const me = await ctx.authorize(req, 'user_role');
    const u = await load(req);
    const role = roleOf(req);
    if (u.id === me.id) throw new SwitchpostError('locked', 'you cannot change your own role');
    if (u.role !== role) throw new SwitchpostError('not_found', `user ${u.id} does not have role ${role}`);
    // Without its role a user is a plain user.
    await users.update(u.id, { role: 'user' }, ctx.deps.clock.now());
    ctx.deps.credentialsChanged();
    return present(found(await users.byId(u.id), `user ${u.id}`));
  });

  // An ICTCore id or name (permission-ids.ts): a parent stands for its children, as ICTCore's authorize.
  const permissionOf = (req: FastifyRequest): Permission[] => {
    const raw = String((req.params as { permission_id: string }).permission_id);
    const ps = permissionsOf(raw);
    if (!ps) throw new SwitchpostError('not_found', `permission ${raw.slice(0, 40)} not found`);
    if (ps.length === 0) throw new SwitchpostError('not_found', `permission ${raw.slice(0, 40)} is ICTCore's, but nothing on this server is checked by it`);
    return ps;
  };
  app.put('/users/:id/permissions/:permission_id', ictDoc('Give a user a permission beyond its role', { answer: userAnswer }), async (req) => {
    await ctx.authorize(req, 'user_permission');
    const u = await load(req);
    for (const p of permissionOf(req)) await permissions.set(u.id, p, true);
    return present(u);
  });
  app.delete('/users/:id/permissions/:permission_id', ictDoc('Take a permission from a user', { answer: userAnswer }), async (req) => {
    await ctx.authorize(req, 'user_permission');
    const u = await load(req);
    for (const p of permissionOf(req)) await permissions.set(u.id, p, false);
    return true;
  });
}
