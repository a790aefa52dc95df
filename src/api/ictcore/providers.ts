import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId, provider as providerAnswer, TRUE } from './answers.js';
import { z } from 'zod';
import type { Ctx } from './context.js';
import type { Provider } from '../../store/providers.js';
import { DRIVERS, providerConfigSchema, type ProviderConfig } from '../../config/schema.js';
import type { Service } from '../../core/model.js';
import { flag, idParam, listFilter, parseBody, invalid, unlessTaken, found } from './fields.js';
import type { UserRow } from '../../store/users.js';
import { providerHostProblem } from '../../net/provider-hosts.js';
import { SwitchpostError } from '../../core/errors.js';
import { ictDoc } from './route-docs.js';

/** ICTCore's gateway flags (Freeswitch 8, Kannel 2, Sendmail 4) and ours for the drivers it lacks. */
const GATEWAY_FLAG: Record<(typeof DRIVERS)[number], number> = { kannel: 2, smtp: 4, freeswitch: 8, smpp: 16, sandbox: 32, mm7: 64 };
/** ICTCore's service flags: bits of voice 1, fax 2, sms 4, email 8. */
const SERVICE_BITS: [number, Service][] = [
  [1, 'voice'],
  [2, 'fax'],
  [4, 'sms'],
  [8, 'email'],
];

/**
 * ICTCore's weight: "a provider with a lighter weight is used more often". The pool picks in
 * proportion to its own weight, so an ICTCore weight w (1–100) becomes 1000 / w there, and back.
 */
const poolWeight = (w: number) => Math.max(1, Math.round(1000 / w));
const ictcoreWeight = (p: Provider) => (p.weight > 0 ? Math.round(1000 / p.weight) : 0);

const num = z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number);

/**
 * ICTCore's provider types (core/Provider/*.php: `$type` and its default `$service_flag`) → the driver
 * that does their work here. Its `http` (an HTTP SMSC inside its Kannel) and `emailcmd` (a local mail
 * command) have none: a `kannel` or `smtp` provider does that here.
 */
const ICTCORE_TYPES: Record<string, { driver: (typeof DRIVERS)[number]; serviceFlag: number } | string> = {
  sip: { driver: 'freeswitch', serviceFlag: 3 },
  smpp: { driver: 'smpp', serviceFlag: 4 },
  smtp: { driver: 'smtp', serviceFlag: 8 },
  http: 'an HTTP SMSC is configured in Kannel here: give type kannel, with the smsc in settings',
  emailcmd: 'e-mail leaves through a relay here: give type smtp',
};
const providerType = z
  .string()
  .transform((t) => t.trim().toLowerCase())
  .superRefine((t, c) => {
    const known = ICTCORE_TYPES[t];
    if (typeof known === 'string') c.addIssue({ code: 'custom', message: known });
    else if (!known && !(DRIVERS as readonly string[]).includes(t)) c.addIssue({ code: 'custom', message: `one of ${[...DRIVERS, 'sip'].join(', ')}` });
  });
const providerBody = z.object({
  name: z.string(),
  type: providerType.optional(),
  gateway_flag: num.optional(),
  service_flag: num.optional(),
  services: z.array(z.string()).optional(),
  node_id: z.unknown().optional(),
  host: z.string().nullable().optional(),
  port: num.nullable().optional(),
  username: z.string().nullable().optional(),
  password: z.string().nullable().optional(),
  dialstring: z.string().nullable().optional(),
  prefix: z.union([z.string(), z.number()]).transform(String).nullable().optional(),
  settings: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .nullable()
    .optional(),
  register: flag.optional(),
  weight: num.pipe(z.number().int().min(1, 'from 1 (used most) to 100').max(100, 'from 1 (used most) to 100')).optional(),
  throughput: z.number().min(0).optional(),
  concurrency: num.optional(),
  active: flag.optional(),
});
/** A change to a provider: any of its fields. */
const providerPatch = providerBody.partial();
type Body = z.infer<typeof providerBody>;

/** An ICTCore provider body (over what the provider was) → the daemon's provider, validated like the config file's. */
function toConfig(b: Partial<Body>, base: Provider | null): ProviderConfig {
  const ictcore = b.type !== undefined ? ICTCORE_TYPES[b.type] : undefined;
  const named = typeof ictcore === 'object' ? ictcore.driver : (b.type as ProviderConfig['driver'] | undefined);
  const driver = named ?? (b.gateway_flag !== undefined ? (Object.entries(GATEWAY_FLAG).find(([, f]) => f === b.gateway_flag)?.[0] as ProviderConfig['driver'] | undefined) : undefined) ?? base?.driver;
  if (!driver)
    throw invalid(
      'gateway_flag',
      `one of ${Object.entries(GATEWAY_FLAG)
        .map(([d, f]) => `${f} (${d})`)
        .join(', ')}, or type`,
    );
  let settings: Record<string, unknown> = base ? { ...base.settings } : {};
  if (b.settings !== undefined && b.settings !== null) {
    try {
      settings = typeof b.settings === 'string' ? (b.settings.trim() ? (JSON.parse(b.settings) as Record<string, unknown>) : {}) : b.settings;
    } catch {
      throw invalid('settings', 'expected a JSON object');
    }
    if (typeof settings !== 'object' || Array.isArray(settings)) throw invalid('settings', 'expected a JSON object');
  }
  const driverSettings = settings;
  if (b.register !== undefined && driver === 'freeswitch' && typeof driverSettings.trunk === 'object' && driverSettings.trunk) (driverSettings.trunk as Record<string, unknown>).register = b.register;
  // An ICTCore type without a service_flag takes its own (Sip: voice and fax, Smpp: sms, Smtp: email).
  const flag = b.service_flag ?? (b.services === undefined && !base && typeof ictcore === 'object' ? ictcore.serviceFlag : undefined);
  const services = b.services ?? (flag !== undefined ? SERVICE_BITS.filter(([bit]) => (flag & bit) !== 0).map(([, s]) => s) : base?.services);
  const weight = b.weight !== undefined ? b.weight : base ? ictcoreWeight(base) : 1;
  const parsed = providerConfigSchema.safeParse({
    name: b.name ?? base?.name,
    driver,
    services: services ?? [],
    host: b.host !== undefined ? b.host : (base?.host ?? null),
    port: b.port !== undefined ? b.port : (base?.port ?? null),
    username: b.username !== undefined ? b.username : (base?.username ?? null),
    password: b.password !== undefined ? b.password : (base?.password ?? null),
    dialstring: b.dialstring !== undefined ? b.dialstring : (base?.dialstring ?? null),
    prefix: b.prefix !== undefined ? b.prefix : (base?.prefix ?? null),
    weight: poolWeight(weight),
    throughput: b.throughput ?? base?.throughput ?? 0,
    concurrency: b.concurrency ?? base?.concurrency ?? 0,
    settings: driverSettings,
    active: b.active ?? base?.active ?? true,
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw invalid(i.path.join('.') || 'provider', i.message);
  }
  return parsed.data;
}

/**
 * Providers (trunks): the same ones the drivers use. A change is applied to the running daemon at once.
 * Resellers (agents) manage their own; providers from the config file are managed there.
 */
export function providerRoutes(app: FastifyInstance, ctx: Ctx): void {
  const store = ctx.deps.stores.providers;
  const present = (p: Provider) => ({
    provider_id: p.id,
    name: p.name,
    type: p.driver,
    gateway_flag: GATEWAY_FLAG[p.driver as keyof typeof GATEWAY_FLAG] ?? 0,
    service_flag: SERVICE_BITS.reduce((n, [bit, s]) => (p.services.includes(s) ? n | bit : n), 0),
    services: p.services,
    host: p.host,
    port: p.port,
    username: p.username,
    // Secrets are written, never read back.
    dialstring: p.dialstring,
    prefix: p.prefix,
    settings: JSON.stringify(p.settings),
    weight: ictcoreWeight(p),
    throughput: p.throughput,
    concurrency: p.concurrency,
    active: p.active ? 1 : 0,
    source: p.source,
    created_by: p.owner_user_id,
  });
  const visible = async (req: FastifyRequest, p: Provider | undefined): Promise<boolean> => {
    if (!p) return false;
    const u = ctx.user(req);
    if (u.role === 'admin') return true;
    return p.owner_user_id !== null && (await ctx.deps.users.canSee(ctx.scope(req), p.owner_user_id));
  };
  const load = async (req: FastifyRequest, forChange: boolean): Promise<Provider> => {
    const id = idParam((req.params as { id: string }).id, 'provider');
    const p = await store.byId(id);
    if (!p || !(await visible(req, p))) throw new SwitchpostError('not_found', `provider ${id} not found`);
    if (forChange && p.source !== 'db') throw new SwitchpostError('locked', `provider ${p.name} is declared in the configuration file; change it there`);
    return p;
  };
  /**
   * Where a provider may make the daemon connect and write: a reseller's (anyone but an administrator)
   * only to allowed addresses, its trunk file only where the administrator put it; anyone's trunk file
   * only inside FreeSWITCH's directory.
   */
  const confine = async (user: UserRow, config: ProviderConfig, base: Provider | null) => {
    const refuse = (field: string, why: string) => invalid(field, why);
    // Its owner's role decides, as at start-up (main.ts): an administrator editing a reseller's provider keeps it to the reseller's hosts.
    const ownerRole = base ? (base.owner_user_id === null ? 'admin' : ((await ctx.deps.users.byId(base.owner_user_id))?.role ?? 'user')) : user.role;
    if (ownerRole !== 'admin' && config.host !== null) {
      const why = providerHostProblem(ctx.deps.providerHosts, config.host);
      if (why) throw refuse('host', why);
    }
    // A file the daemon reads: the administrator's to name, like a trunk's directory.
    const caFile = config.driver === 'smpp' || config.driver === 'smtp' || config.driver === 'mm7' ? config.settings.tls_ca_file : undefined;
    if (user.role !== 'admin' && caFile !== undefined && caFile !== null && caFile !== base?.settings.tls_ca_file) throw refuse('settings.tls_ca_file', 'only an administrator sets it');
    const trunk = config.driver === 'freeswitch' ? (config.settings.trunk as { gateway_dir?: unknown; profile?: unknown } | null | undefined) : null;
    if (!trunk || trunk.gateway_dir === undefined) return;
    const dir = String(trunk.gateway_dir);
    const stored = (base?.settings.trunk as { gateway_dir?: unknown } | null | undefined)?.gateway_dir;
    const fallback = ctx.deps.trunkDirs.fallback(typeof trunk.profile === 'string' ? trunk.profile : 'external');
    if (user.role !== 'admin' && dir !== stored) throw refuse('settings.trunk.gateway_dir', `only an administrator sets it; leave it out for ${fallback}`);
    const why = ctx.deps.trunkDirs.problem(dir);
    if (why) throw refuse('settings.trunk.gateway_dir', why);
  };
  const takenError = (name: string) => invalid('name', `"${name}" is taken`);
  const nameTaken = async (name: string, except: number | null) => {
    const other = await store.byName(name);
    if (other && other.id !== except) throw takenError(name);
  };

  app.post('/providers', ictDoc('Add a provider (trunk)', { body: providerBody, answer: newId }), async (req) => {
    const user = await ctx.authorize(req, 'provider_create');
    const config = toConfig(parseBody(providerBody, req.body), null);
    await confine(user, config, null);
    await nameTaken(config.name, null);
    // A name taken after the check (a separate call) is refused by the unique index: the same 412.
    const id = await unlessTaken(
      'providers.name',
      () => store.insert(config, user.id, ctx.deps.clock.now()),
      () => takenError(config.name),
    );
    await ctx.deps.providerChanged(id);
    return id;
  });
  app.get('/providers', ictDoc('List providers', { answer: z.array(providerAnswer) }), async (req) => {
    await ctx.authorize(req, 'provider_list');
    const f = listFilter(req.query, { provider_id: 'id', name: 'name', type: 'driver', host: 'host', active: 'active' });
    const all = await store.list();
    const seen = await Promise.all(all.map((p) => visible(req, p)));
    return all
      .filter((_, i) => seen[i])
      .filter((p) => Object.entries(f).every(([k, v]) => String(k === 'active' ? (p.active ? 1 : 0) : p[k as keyof Provider]) === v))
      .map(present);
  });
  app.get('/providers/:id', ictDoc('A provider', { answer: providerAnswer }), async (req) => {
    await ctx.authorize(req, 'provider_read');
    return present(await load(req, false));
  });
  app.put('/providers/:id', ictDoc('Change a provider', { body: providerPatch, answer: providerAnswer }), async (req) => {
    const user = await ctx.authorize(req, 'provider_update');
    const p = await load(req, true);
    const config = toConfig(parseBody(providerPatch, req.body), p);
    await confine(user, config, p);
    await nameTaken(config.name, p.id);
    await unlessTaken(
      'providers.name',
      () => store.update(p.id, config, ctx.deps.clock.now()),
      () => takenError(config.name),
    );
    await ctx.deps.providerChanged(p.id);
    return present(found(await store.byId(p.id), `provider ${p.id}`));
  });
  const remove = async (req: FastifyRequest) => {
    await ctx.authorize(req, 'provider_delete');
    const p = await load(req, true);
    await store.delete(p.id);
    await ctx.deps.providerChanged(p.id);
    return true;
  };
  app.delete('/providers/:id', ictDoc('Delete a provider', { answer: TRUE }), remove);
  app.get('/providers/:id/delete', ictDoc('Delete a provider (GET)', { answer: TRUE }), remove);
}
