import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { dbPath } from './store/db.js';
import type { StoreDb } from './store/store-db.js';
import { lockStore, openMigratedStore, storeName, type StoreConnection } from './store/open.js';
import { UserStore } from './store/users.js';
import { ProviderStore, type Provider } from './store/providers.js';
import { systemClock, type Clock } from './core/clock.js';
import { randomPassword } from './core/passwords.js';
import type { Channel, Role } from './core/model.js';
import { EventBus } from './events/bus.js';
import { LiveStream } from './events/live.js';
import { AddressPolicy } from './net/address-policy.js';
import { SpoolHost } from './spool/engine-host.js';
import { ProviderHolds, slotsOf } from './spool/provider-holds.js';
import { remoteStores } from './store/face-stores.js';
import { PerKey } from './api/serial.js';
import type { Gateway, GatewaySink } from './gateways/gateway.js';
import type { InboundMessage } from './core/inbound.js';
import { driverOf, type DriverLimits } from './gateways/registry.js';
import { BounceDomain } from './gateways/smtp/bounce-listener.js';
import { SmtpFront } from './gateways/smtp/smtp-front.js';
import type { MailDomain } from './core/mail-front.js';
import { EmailToFax } from './api/mail/email-to-fax.js';
import { ReceiveEmail } from './api/mail/receive-email.js';
import { dmarcVerdict, type DNSResolver } from './api/mail/dmarc.js';
import { ipInList } from './net/ip-list.js';
import { loadDkimKeys } from './gateways/smtp/dkim.js';
import { defaultGatewayDir, gatewayDirProblem } from './gateways/freeswitch/trunk-dir.js';
import { providerHostProblem } from './net/provider-hosts.js';
import { TtsRenderer } from './media/tts.js';
import { convertAudio, joinAudio, prepareAudio } from './media/audio.js';
import { prepareFax } from './media/fax.js';
import { prepareAttachments } from './media/attachments.js';
import { MMS_DEFAULT_MAX_BYTES, prepareMmsMedia } from './media/mms.js';
import { readFaxDocuments } from './media/fax-documents.js';
import { OfficeConverter } from './media/office.js';
import { trustProxyOf } from './net/trust-proxy.js';
import { buildServer } from './api/server.js';
import { gatewayRoutes } from './api/gateway-routes.js';
import { hostedMediaRoutes } from './api/hosted-media.js';
import { HostedFiles } from './media/hosted.js';
import { hostedKey } from './core/mms/hosted-token.js';
import type { HandsetEvents } from './core/mms/handset-events.js';
import { answerOutcome, attemptOfRef, fetchOutcome } from './core/mms/push-outcomes.js';
import type { Outcome } from './core/outcomes.js';
import { BasicAuth } from './api/auth.js';
import { Logins } from './api/login-limiter.js';
import { streamCredentials, streamLogin } from './api/stream-auth.js';
import { welcorpFace } from './api/welcorp/index.js';
import { retarusFace } from './api/retarus/index.js';
import { ucontactFace } from './api/ucontact/index.js';
import { ictcoreFace } from './api/ictcore/index.js';
import { DAEMON_PATHS, ictcorePrefixes, prefixOf, UCONTACT_PREFIXES, WELCORP_PREFIX } from './config/base-paths.js';
import { Tokens } from './api/ictcore/token.js';
import { Schedules } from './spool/schedules.js';
import { loadOrCreateKey } from './store/secret-key.js';
import { metricsRegistry } from './metrics/registry.js';
import { SpoolMetrics } from './metrics/spool.js';
import { conversionMetrics } from './metrics/conversions.js';
import { storeLatencyMetrics } from './metrics/store.js';
import { countRequests, metricsRoute } from './metrics/http.js';
import { scrapeAccess } from './metrics/access.js';
import { faceOfRoute, type FacePrefix } from './metrics/faces.js';
import { assertWritable, StorageError, storageErrorOf, storageState } from './store/storage-error.js';
import { gatedLogger, LogLevelGate, type LogLevel } from './ops/log-level.js';
import { diffProviders, type ProviderDiff } from './ops/provider-diff.js';
import { StatusTracker } from './ops/status-tracker.js';
import { statusRoutes } from './ops/status-routes.js';

/** Channels whose whole flow (plan, gateway, reports) exists; others answer 501 on the faces. */
export const IMPLEMENTED_CHANNELS: ReadonlySet<Channel> = new Set<Channel>(['sms', 'sms2way', 'mms', 'tts', 'tts2way', 'voice', 'fax', 'email']);

/** The providers' slots' heartbeat across nodes (issue 15): renewed every 3 s, free to other nodes 15 s after the last. */
const HOLDS = { intervalMs: 3000, leaseMs: 15_000 };

/** The size an MMS's media is fitted within: the smallest `settings.max_bytes` of the active providers that carry MMS (300 KB where one names none). */
export function mmsMaxBytes(providers: readonly Pick<Provider, 'active' | 'services' | 'settings'>[]): number {
  // An smpp provider names its limit under settings.mms (its MMS path's).
  const limitOf = (s: Record<string, unknown>): unknown => s.max_bytes ?? (s.mms && typeof s.mms === 'object' ? (s.mms as Record<string, unknown>).max_bytes : undefined);
  const limits = providers
    .filter((p) => p.active && p.services.includes('mms'))
    .map((p) => limitOf(p.settings))
    .map((n) => (typeof n === 'number' && n > 0 ? n : MMS_DEFAULT_MAX_BYTES));
  return limits.length ? Math.min(...limits) : MMS_DEFAULT_MAX_BYTES;
}

export const dbFile = (config: Config): string => dbPath(config.data_dir);

/** The daemon's logger; its level (and its children's) is `gate`'s, changeable at run time (ops/log-level.ts). */
export function createLogger(config: Config, gate = new LogLevelGate(config.log.level)): Logger {
  return gatedLogger(gate, { base: { pid: process.pid, node: config.node.id }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Built-in sandbox plus the providers the config declares; applied at every start. */
export function syncProviders(db: StoreDb, config: Config): void {
  const providers = new ProviderStore(db);
  db.transaction(() => {
    providers.upsert(
      {
        name: 'sandbox',
        driver: 'sandbox',
        services: ['sms', 'mms', 'voice', 'fax', 'email'],
        host: null,
        port: null,
        username: null,
        password: null,
        dialstring: null,
        prefix: null,
        weight: 1,
        throughput: 0,
        concurrency: 0,
        settings: {},
        active: config.sandbox.enabled,
      },
      'builtin',
    );
    for (const p of config.providers) providers.upsert(p, 'config');
  })();
}

/** On a fresh database, make an admin with a random password, written 0600 into the data directory. */
function bootstrapAdmin(users: UserStore, config: Config, log: Logger): void {
  if (users.count() > 0) return;
  const password = randomPassword();
  users.add({ user_code: 'admin', password, role: 'admin', timezone: config.default_timezone, country: config.default_country });
  const file = join(config.data_dir, 'initial-admin-password');
  writeFileSync(file, password + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  log.warn({ user: 'admin', passwordFile: file }, 'created the first admin user; its password is in the file');
}

export interface Daemon {
  config: Config;
  /** The main thread's connection to the store (SQLite's file or PostgreSQL's facade, both synchronous). */
  db: StoreDb;
  app: FastifyInstance;
  bus: EventBus;
  /** The spool engine (its own thread): wake it, read its attempts in flight. */
  spool: { wake(): void; readonly inFlightCount: number };
  /** Every face's password checks; tests read its hashCounts (where the hashes ran). */
  logins: Logins;
  url: string;
  /** Where the SMTP listener (email.listener: bounces, e-mail to fax, receiveemail) listens; null when it is off. */
  bounces: { host: string; port: number } | null;
  /** Hand the spool a message received, as a gateway's sink does (`committed` once it is durable). */
  inbound(m: InboundMessage, committed?: () => void): void;
  /**
   * Hosted media (`/m/<token>`, issue 20): the files served, the key tokens are signed with, and what
   * handsets report (each also its attempt's outcome).
   */
  hosted: { files: HostedFiles; key: Buffer; listen(l: HandsetEvents): () => void };
  /** The daemon's logger (the operator's tools log reloads and signals to it). */
  log: Logger;
  /** The watchdog's store probe: a cheap read on the spool engine's thread (ops/watchdog.ts bounds it). */
  probeStore(): Promise<void>;
  /**
   * Apply a config file read anew (SIGHUP): the file's providers by their diff (only changed ones
   * restarted, rates retuned in place, new ones started, removed ones stopped and made inactive) and
   * the log level. Anything else in it takes a restart.
   */
  reload(next: Config): Promise<ProviderDiff>;
  /** The level of every log line from now on, both threads (until the next reload or restart). */
  setLogLevel(level: LogLevel): void;
  readonly logLevel: LogLevel;
  stop(): Promise<void>;
}

/**
 * Start the daemon. It keeps the system's time: the spool's engine runs on its own thread, where a
 * clock object given here could not follow, and a daemon on two times would schedule against itself.
 */
export async function startDaemon(config: Config, opts: { log?: Logger; /** The SMTP listener's DNS for SPF/DKIM/DMARC (tests: a stub). */ mailResolver?: DNSResolver } = {}): Promise<Daemon> {
  const clock: Clock = systemClock;
  // Every line names the node (several daemons may share a store): a given logger gets it as a binding.
  // A given logger keeps its own level; one made here follows setLogLevel (its gate).
  const gate = new LogLevelGate(config.log.level);
  const log = opts.log ? opts.log.child({ node: config.node.id }) : createLogger(config, gate);
  const minFree = config.store.min_free_mb * 1024 * 1024;
  // A data directory that cannot take writes stops start-up with its name, not a stack.
  assertWritable(config.data_dir, config.store.min_free_mb, config.store.driver === 'sqlite' ? [dbFile(config), `${dbFile(config)}-wal`, `${dbFile(config)}-shm`] : []);
  let db: StoreConnection | undefined;
  let lock: { release(): void };
  try {
    const opened = await openMigratedStore(config);
    db = opened.db;
    if (opened.applied.length) log.info({ migrations: opened.applied.map((m) => m.version), store: storeName(config) }, 'database migrated');
    // One daemon per SQLite file; on PostgreSQL one per node.id (open.ts).
    lock = lockStore(db, config, (err) => {
      log.fatal({ err }, `lost the store's connection, and with it node.id ${config.node.id}'s lock: exiting`);
      process.exit(70);
    });
  } catch (err) {
    db?.close();
    const storage = storageErrorOf(err);
    throw storage ? new StorageError(storage.code, `the data directory ${config.data_dir}`, err) : err;
  }

  const users = new UserStore(db);
  bootstrapAdmin(users, config, log);
  syncProviders(db, config);

  const bus = new EventBus((err) => log.error({ err }, 'event listener failed'));
  // The spool (claims, group commits, callbacks) runs on its own thread with its own connection: a disk
  // that stalls stalls it, not the sockets here.
  let engine: SpoolHost;
  try {
    engine = await SpoolHost.start(config, bus, log.child({ part: 'spool' }), opts.log ? log.level : gate.level);
  } catch (err) {
    lock.release();
    db.close();
    throw err;
  }
  // The daemon's metrics (issue 19): a registry of its own; the engine's counts come with its stats.
  const registry = metricsRegistry(config.node.id);
  const timed = conversionMetrics(registry);
  engine.onCallAnswered(storeLatencyMetrics(registry));
  const stores = remoteStores(engine.stores);
  const spoolMetrics = new SpoolMetrics(registry, {
    levels: () => stores.gauges.levels(),
    links: () => engine.allGateways().map((g) => ({ providerId: g.providerId, up: g.isUp(), liveCalls: g.liveCalls })),
    inFlight: () => engine.inFlightCount,
    channels: [...IMPLEMENTED_CHANNELS],
    now: () => clock.now(),
    onError: (err) => log.warn({ err }, 'metrics: the spool levels could not be read'),
  });
  // The status page's rates, last health and last errors (issue 19), gathered from here on.
  const status = new StatusTracker(bus, {
    node: config.node.id,
    pid: process.pid,
    startedAt: clock.now(),
    now: () => clock.now(),
    providers: async () => (await stores.providers.list()).map((p) => ({ id: p.id, name: p.name, driver: p.driver, services: p.services, active: p.active, throughput: p.throughput })),
    link: (id) => {
      const gw = engine.gateway(id);
      return gw ? { up: gw.isUp(), liveCalls: gw.liveCalls ?? null } : null;
    },
    levels: () => stores.gauges.levels(),
    openJobs: (limit) => stores.gauges.openJobs(limit),
    inFlight: () => engine.inFlightCount,
    channels: [...IMPLEMENTED_CHANNELS],
  });
  engine.onTally((t) => {
    spoolMetrics.add(t);
    status.add(t);
  });
  const wake = (): void => void engine.call('wake', {}).catch((err: unknown) => log.error({ err }, 'could not wake the spool'));
  // The engine's thread failing leaves nothing to send or record with: end the process, so that its
  // supervisor restarts it (a restart recovers every lease, as after a crash).
  engine.onFailure((err) => {
    log.fatal({ err }, 'the spool engine failed: exiting');
    process.exit(70);
  });
  // A start that fails past here leaves nothing running: what was started is stopped, in reverse.
  const undo: (() => Promise<unknown>)[] = [];
  try {
    const policy = new AddressPolicy(config.callbacks.allow_private);

    // Hosted media (issue 20): an MMS's M-Retrieve.conf and an SMS link's file, served at /m/<token>.
    const hostedFiles = new HostedFiles(join(config.data_dir, 'media', 'hosted'));
    const hostedMediaKey = hostedKey(loadOrCreateKey(join(config.data_dir, 'hosted-media.key')));
    const tts = new TtsRenderer(join(config.data_dir, 'media', 'tts'), undefined, (run) => timed('tts', run));
    const providerHosts = new AddressPolicy(config.agent_providers.allow_hosts);
    // The VERP tags' key lives beside the database, as the 2FA key does: a bounce names only attempts we made.
    const bounce = config.email.bounce_domain ? { domain: config.email.bounce_domain, prefix: config.email.bounce_prefix, key: loadOrCreateKey(join(config.data_dir, 'verp.key')) } : null;
    const dkim = loadDkimKeys(config.email.dkim, join(config.data_dir, 'tmp', 'dkim'), config.email.dkim_cache_threshold_kb * 1024);
    const limits: DriverLimits = { leaseSeconds: config.spool.lease_seconds, freeswitchDir: config.freeswitch.config_dir };
    /** Whether refusal() looks at the provider's owner: an API-made provider with a host and an owner. */
    const ownerChecked = (p: Provider): p is Provider & { owner_user_id: number } => p.source === 'db' && !!p.host && p.owner_user_id !== null;
    /**
     * What an API-made provider breaks of the rules its face checks (stored before they held, or by hand), or null.
     * `ownerRole` is its owner's role where ownerChecked(p): read by the caller, at start here, at a reload on the engine's thread.
     */
    const refusal = (p: Provider, ownerRole: Role | undefined): string | null => {
      if (p.source !== 'db') return null;
      if (p.host && p.owner_user_id !== null && ownerRole !== 'admin') {
        const why = providerHostProblem(providerHosts, p.host);
        if (why) return `host: ${why}`;
      }
      return driverOf(p.driver)?.refusal?.(p.settings, limits) ?? null;
    };
    const gatewayFor = (p: Provider, sink: GatewaySink, ownerRole: Role | undefined): Gateway | null => {
      const refused = refusal(p, ownerRole);
      if (refused) {
        log.error({ provider: p.name, why: refused }, 'provider refused: held as down');
        return null;
      }
      const driver = driverOf(p.driver);
      // Providers stored by the API or the CLI are checked against the daemon's settings here (the config's at load).
      const problem = driver?.check?.(p.settings, limits);
      if (problem) {
        log.error({ provider: p.name }, `provider ${p.name}: ${problem.message}; the provider is treated as down`);
        return null;
      }
      if (!driver?.create) {
        log.warn({ provider: p.name, driver: p.driver }, 'this driver is not available yet; the provider is treated as down');
        return null;
      }
      return driver.create(p, { ...limits, sink, dataDir: config.data_dir, log: log.child({ provider: p.name }), tts, sandbox: config.sandbox, bounce, dkim, hosted: { files: hostedFiles, key: hostedMediaKey } });
    };
    // Daemons sharing a store (issue 15): a provider's gateway runs on the nodes holding its slots only
    // (settings.nodes, default 1). On SQLite (one daemon) this node holds them all and nothing runs.
    // Its gateway started or stopped as its slot is taken or lost: from when the daemon has started them.
    let followSlot: (id: number) => void = () => undefined;
    const holds = new ProviderHolds(config.store.driver === 'postgres' ? stores.holders : null, config.node.id, clock, log.child({ part: 'holds' }), HOLDS, (id) => followSlot(id));
    undo.push(() => holds.stop());
    // A provider another node runs is not this node's to claim for (inactive here): its work is left to
    // that node's claims (node.services), never held here for want of a gateway.
    const asHeld = (p: Provider): Provider => (holds.holds(p.id) ? p : { ...p, active: false });
    const startProviders = new ProviderStore(db).list();
    for (const p of startProviders) holds.want(p.id, p.active ? slotsOf(p) : undefined);
    await holds.beat();
    const gateways: Gateway[] = [];
    for (const p of startProviders) {
      // Before the daemon listens: this thread's store may still be read synchronously.
      const gw = p.active && holds.holds(p.id) ? gatewayFor(p, engine, ownerChecked(p) ? users.byId(p.owner_user_id)?.role : undefined) : null;
      engine.setProvider(asHeld(p), gw);
      spoolMetrics.provider(p.id, p.name);
      status.provider(p.id, p.name);
      if (gw) gateways.push(gw);
    }

    // The faces' stores, served from the engine's thread. Every face uses the one PermissionStore there:
    // its per-user cache must be the one that is told of a change.
    const remoteUsers = stores.users;
    const sharedPermissions = stores.permissions;
    const lc = config.login;
    const logins = new Logins(
      remoteUsers,
      {
        windowMs: lc.window_minutes * 60_000,
        perUserAddress: lc.max_failures_per_user_address,
        perAddress: lc.max_failures_per_address,
        perUser: lc.max_failures_per_user,
        hashConcurrency: lc.hash_concurrency,
        maxQueued: lc.max_queued,
      },
      clock,
      log.child({ part: 'passwords' }),
    );
    // A change made in this process ends the user's open streams at once (others' within a second).
    const auth = new BasicAuth(remoteUsers, logins, 60_000, () => void live.recheck());
    const tokens = new Tokens(loadOrCreateKey(join(config.data_dir, 'ictcore-jwt.key')), remoteUsers, config.ictcore.token_hours * 3_600_000);
    const live = new LiveStream(bus, streamLogin(auth, tokens, trustProxyOf(config.http.trust_proxy)), async (userId) => (await remoteUsers.byId(userId))?.agent_id ?? null, streamCredentials(remoteUsers), undefined, config.live.recheck_ms);
    const app = buildServer(config, log, live);
    const faces: FacePrefix[] = [
      { prefix: WELCORP_PREFIX, face: 'welcorp' },
      ...(config.ucontact.enabled ? UCONTACT_PREFIXES.map((prefix) => ({ prefix, face: 'ucontact' })) : []),
      ...(config.retarus.enabled ? [{ prefix: prefixOf(config.retarus.base_path), face: 'retarus' }] : []),
      ...(config.ictcore.enabled ? ictcorePrefixes(config.ictcore).map((prefix) => ({ prefix, face: 'ictcore' })) : []),
    ];
    // Before any route: the hook counts every route registered after it.
    countRequests(app, registry, faceOfRoute(faces, DAEMON_PATHS));
    if (config.metrics.enabled) metricsRoute(app, registry, scrapeAccess(config.metrics.allow, config.metrics.token));
    // The status page and its JSON (admins only), the daemon's own routes.
    statusRoutes(app, { snapshot: () => status.snapshot(), auth, tokens, logins });
    undo.push(
      () => app.close(),
      () => logins.close(),
      async () => live.close(),
      async () => status.close(),
    );
    // Started on the first office document a fax job brings; stopped with the daemon.
    const office = new OfficeConverter({ workDir: join(config.data_dir, 'media', 'office') });
    undo.push(() => office.stop());
    app.get('/health', async () => {
      const storage = storageState(config.data_dir, minFree).state;
      return {
        status: storage === 'ok' && engine.alive ? 'ok' : 'degraded',
        pid: process.pid,
        node: config.node.id,
        storage,
        spool: engine.alive ? 'ok' : 'down',
        in_flight: engine.inFlightCount,
        providers: engine.allGateways().map((g) => ({ id: g.providerId, up: g.isUp() })),
      };
    });
    // ICTCore's tasks: armed from SQLite once the server listens (when that face is on), stopped first at stop.
    const schedules = new Schedules(stores.schedules, log.child({ part: 'schedules' }), () => clock.now());
    const onJobCreated = (jobId: number, userId: number, channel: Channel, total: number) => {
      bus.emit({ type: 'job.created', at: clock.now(), userId, jobId, channel, total });
      void engine.call('jobCreated', { jobId }).catch((err: unknown) => log.error({ err, jobId }, 'could not tell the spool of a new job'));
    };
    await app.register(welcorpFace, {
      prefix: WELCORP_PREFIX,
      auth,
      hashPassword: (password, by) => logins.hash(password, by),
      permissions: sharedPermissions,
      contacts: stores.contacts,
      groups: stores['contacts.groups'],
      jobs: stores.jobs,
      users: stores.users,
      companies: stores.companies,
      prepareFax: async (files, fine) => {
        const documents = await readFaxDocuments(files, { maxMb: config.media.max_fax_mb, fetchTimeoutMs: config.media.fetch_timeout_ms, policy: new AddressPolicy(config.media.allow_private) });
        return timed('fax', () => prepareFax(documents, join(config.data_dir, 'media', 'fax'), { fine, office }));
      },
      prepareAttachments: (files) =>
        prepareAttachments(files, join(config.data_dir, 'media', 'attachments'), { maxMb: config.media.max_email_attachments_mb, fetchTimeoutMs: config.media.fetch_timeout_ms, policy: new AddressPolicy(config.media.allow_private) }),
      prepareMms: async (files) => {
        // Fitted for the strictest provider that may carry it, read now: one changed at run time counts from the next job.
        const maxBytes = mmsMaxBytes(await stores.providers.list());
        const media = await timed('mms', () =>
          prepareMmsMedia(files, join(config.data_dir, 'media', 'mms'), { maxBytes, maxInputMb: config.media.max_mms_input_mb, fetchTimeoutMs: config.media.fetch_timeout_ms, policy: new AddressPolicy(config.media.allow_private) }),
        );
        return { media, maxBytes };
      },
      prepareAudio: (file) =>
        timed('audio', () =>
          prepareAudio(file, join(config.data_dir, 'media', 'audio'), {
            maxBytes: Math.round(config.media.max_audio_mb * 1024 * 1024),
            maxSeconds: config.media.max_audio_seconds,
            fetchTimeoutMs: config.media.fetch_timeout_ms,
            policy: new AddressPolicy(config.media.allow_private),
          }),
        ),
      verification: {
        codes: stores.verification,
        key: loadOrCreateKey(join(config.data_dir, 'verification.key')),
        codeTtlMs: config.two_factor.code_ttl_minutes * 60_000,
        maxFailures: config.two_factor.max_failures,
        failureWindowMs: config.two_factor.failure_window_minutes * 60_000,
        systemFrom: config.email.system_from ? { address: config.email.system_from, name: config.email.system_from_name } : null,
      },
      defaultTimezone: config.default_timezone,
      defaultCountry: config.default_country,
      channels: IMPLEMENTED_CHANNELS,
      publicUrl: config.http.public_url,
      callbackPolicy: policy,
      callbacks: stores.callbacks,
      clock,
      onJobCreated,
    });
    if (config.ucontact.enabled) {
      for (const prefix of UCONTACT_PREFIXES) {
        await app.register(ucontactFace, {
          prefix,
          jobs: stores.jobs,
          permissions: sharedPermissions,
          users: stores.users,
          sessions: stores.sessions,
          logins,
          clock,
          sessionMs: config.ucontact.session_hours * 3_600_000,
          inbound: (m, committed) => engine.inbound(m, committed),
          bus,
          onJobCreated,
          templates: stores['messages.template'],
          prepareAttachments: (files) =>
            prepareAttachments(files, join(config.data_dir, 'media', 'attachments'), { maxMb: config.media.max_email_attachments_mb, fetchTimeoutMs: config.media.fetch_timeout_ms, policy: new AddressPolicy(config.media.allow_private) }),
          filesDir: join(config.data_dir, 'media', 'ucontact-files'),
          maxAttachmentMb: config.media.max_email_attachments_mb,
        });
      }
    }
    // A provider created, changed or deleted through an API takes effect now: its old gateway stops (an
    // SMPP bind unbinds, an event socket closes), the new one starts (a FreeSWITCH trunk is rewritten).
    let baseUrl = '';
    // One at a time per provider: two reloads at once would each start a gateway, and one would be left running.
    const reloads = new PerKey<number>();
    // `slotChanged`: its slot was taken or lost (the heartbeat); nothing to do if its gateway follows already.
    const reloadProvider = (id: number, slotChanged = false): Promise<void> =>
      reloads.run(id, async () => {
        if (slotChanged && holds.holds(id) === !!engine.gateway(id)) return;
        const p = await stores.providers.byId(id);
        await engine.gateway(id)?.stop();
        holds.want(id, p?.active ? slotsOf(p) : undefined);
        // A provider now wanted here (added, or allowed on more nodes) starts once a slot is this node's.
        if (p?.active && !holds.holds(id)) await holds.beat();
        if (!p) {
          spoolMetrics.forget(id);
          return engine.removeProvider(id);
        }
        spoolMetrics.provider(p.id, p.name);
        status.provider(p.id, p.name);
        let gw: Gateway | null = null;
        try {
          // The owner is read in here: a store that fails holds the provider down, as a refusal would.
          const ownerRole = p.active && ownerChecked(p) ? (await stores.users.byId(p.owner_user_id))?.role : undefined;
          gw = p.active && holds.holds(id) ? gatewayFor(p, engine, ownerRole) : null;
        } catch (err) {
          // Stored, but held down until it is fixed: its work waits rather than failing.
          log.error({ provider: p.name, err: (err as Error).message }, 'provider cannot start');
        }
        engine.setProvider(asHeld(p), gw);
        if (gw) await gw.start({ baseUrl });
        wake();
      });
    if (config.ictcore.enabled) {
      await app.register(ictcoreFace, {
        prefixes: ictcorePrefixes(config.ictcore),
        cors: config.ictcore.cors,
        stores: {
          contacts: stores.contacts,
          contactRows: stores['contacts.contacts'],
          groupRows: stores['contacts.groups'],
          messages: { document: stores['messages.document'], recording: stores['messages.recording'], template: stores['messages.template'], text: stores['messages.text'] },
          programs: stores.programs,
          accounts: stores.accounts,
          accountRows: stores['accounts.rows'],
          campaigns: stores.campaigns,
          transmissions: stores.transmissions,
          providers: stores.providers,
        },
        schedules,
        users: remoteUsers,
        permissions: sharedPermissions,
        jobs: stores.jobs,
        tokens,
        logins,
        basic: auth,
        clock,
        dataDir: config.data_dir,
        defaultTimezone: config.default_timezone,
        defaultCountry: config.default_country,
        channels: IMPLEMENTED_CHANNELS,
        onJobCreated,
        wake,
        providerChanged: reloadProvider,
        providerHosts,
        trunkDirs: { fallback: (profile) => defaultGatewayDir(config.freeswitch.config_dir, profile), problem: (dir) => gatewayDirProblem(config.freeswitch.config_dir, dir) },
        credentialsChanged: () => auth.forget(),
        prepareFax: (files, fine) => timed('fax', () => prepareFax(files, join(config.data_dir, 'media', 'fax'), { fine, office })),
        convertAudio: (bytes) => timed('audio', () => convertAudio(bytes, join(config.data_dir, 'media', 'audio'), config.media.max_audio_seconds)),
        joinAudio: (wavs) => timed('audio_join', () => joinAudio(wavs, config.media.max_audio_seconds)),
      });
    }
    if (config.retarus.enabled) {
      await app.register(retarusFace, {
        prefix: config.retarus.base_path,
        auth,
        permissions: sharedPermissions,
        jobs: stores.jobs,
        users: stores.users,
        clock,
        requestsPer10s: config.retarus.requests_per_10s,
        duplicateWindowMs: config.retarus.duplicate_window_hours * 3_600_000,
        onJobCreated,
      });
    }
    gatewayRoutes(app, () => engine.allGateways().flatMap((g) => g.routes ?? []));
    // What handsets report of a WAP Push (its fetch, its M-NotifyResp.ind / M-Acknowledge.ind) is its
    // attempt's outcome (the ref names it: tokens are HMAC-signed, so only attempts we made); listeners hear it too.
    const handsetListeners = new Set<HandsetEvents>();
    const handsetReport = (ref: string, at: number, outcome: Outcome | null) => {
      const attemptId = attemptOfRef(ref);
      if (attemptId !== null && outcome) engine.report({ attemptId, at, outcome });
    };
    const handsetEvents: HandsetEvents = {
      fetched: (e) => {
        log.info(e, 'hosted media fetched');
        handsetReport(e.ref, e.at, fetchOutcome(e.kind));
        for (const l of handsetListeners) l.fetched(e);
      },
      answered: (e) => {
        log.info({ ref: e.ref, response: e.response }, 'handset answered an MMS notification');
        handsetReport(e.ref, e.at, answerOutcome(e.response));
        for (const l of handsetListeners) l.answered(e);
      },
    };
    hostedMediaRoutes(app, { key: hostedMediaKey, source: hostedFiles, events: handsetEvents });
    // An SMS link's files (a job's media, shared by its recipients) go once their newest link has expired;
    // a WAP Push's message at its expiry if its recipient's end did not remove it (a cancelled job, a crash).
    const sweepLinks = () => {
      try {
        const gone = [...hostedFiles.removeExpired('file', clock.now()), ...hostedFiles.removeExpired('mms', clock.now())];
        if (gone.length) log.info({ files: gone.length }, 'expired hosted media removed');
      } catch (err) {
        log.warn({ err }, 'expired hosted media could not be removed');
      }
    };
    sweepLinks();
    const linkSweeper = setInterval(sweepLinks, 10 * 60_000);
    linkSweeper.unref();
    undo.push(async () => clearInterval(linkSweeper));
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    const url = address.replace('0.0.0.0', '127.0.0.1');
    baseUrl = url;
    log.info({ url, dataDir: config.data_dir, tls: !!config.http.tls.cert_file }, `switchpost listening on ${url}`);

    // What a previous run left open (calls placed or up) is read before leases are recovered.
    const leftOpen = await Promise.all(gateways.map((gw) => engine.call('openWithPeer', { providerId: gw.providerId })));
    for (const gw of gateways) await gw.start({ baseUrl: url });
    gateways.forEach((gw, i) => leftOpen[i]!.length && gw.adopt?.(leftOpen[i]!));
    // Ringing calls of a previous run stay leased while their gateway finds out what became of them.
    await engine.call('start', { adopted: gateways.flatMap((gw, i) => (gw.adopt ? leftOpen[i]!.filter((a) => a.state === 'sending').map((a) => a.attemptId) : [])) });
    followSlot = (id) => void reloadProvider(id, true);
    // A slot taken or lost while they started.
    if (holds.shared) for (const p of startProviders) followSlot(p.id);
    holds.start();
    // One SMTP front for the daemon (email.listener), each recipient's domain routed to what takes it:
    // bounces (DSNs to the VERP return paths, reported as any gateway reports), e-mail to fax and
    // ICTCore's receiveemail. Started once the spool runs.
    const listen = config.email.listener;
    const mailDomains = new Map<string, MailDomain>();
    if (listen.enabled) {
      if (bounce) mailDomains.set(bounce.domain.toLowerCase(), new BounceDomain({ commitTimeoutMs: 10_000 }, bounce, engine, log.child({ part: 'bounces' })));
      const faxMail = new EmailToFax({
        users: stores.users,
        senders: stores.mailSenders,
        jobs: stores.jobs,
        domains: listen.fax_domains,
        prepareFax: (files) => timed('fax', () => prepareFax(files, join(config.data_dir, 'media', 'fax'), { office })),
        dmarc: (message, session) => dmarcVerdict(message, session, config.node.id, opts.mailResolver),
        ipAllowed: ipInList,
        onJobCreated,
        systemFrom: config.email.system_from ? { address: config.email.system_from, name: config.email.system_from_name } : null,
        log: log.child({ part: 'email-to-fax' }),
      });
      for (const d of listen.fax_domains) mailDomains.set(d, faxMail);
      const received = new ReceiveEmail({ senders: stores.mailSenders, inbound: (m, committed) => engine.inbound(m, committed), commitTimeoutMs: 10_000, maxTextChars: 100_000, log: log.child({ part: 'receive-email' }) });
      for (const d of listen.receive_domains) mailDomains.set(d, received);
    }
    const smtpFront =
      mailDomains.size > 0
        ? new SmtpFront(
            {
              host: listen.host,
              port: listen.port,
              name: bounce?.domain ?? listen.fax_domains[0] ?? listen.receive_domains[0] ?? config.node.id,
              tlsKeyFile: listen.tls_key_file,
              tlsCertFile: listen.tls_cert_file,
              maxBytes: listen.max_message_kb * 1024,
              maxRecipients: listen.max_recipients,
              allowInsecureAuth: listen.allow_insecure_auth,
            },
            mailDomains,
            // SMTP AUTH only where it means something: for e-mail to fax.
            listen.fax_domains.length > 0
              ? async (code, password, address) => {
                  const o = await logins.login(code, password, address);
                  return o.kind === 'ok' ? { id: o.user.id, code: o.user.user_code } : null;
                }
              : null,
            log.child({ part: 'smtp' }),
          )
        : null;
    if (smtpFront) {
      await smtpFront.start();
      undo.push(() => smtpFront.stop());
    }
    // Armed from the engine's thread; a failure leaves schedules unarmed, not the daemon down.
    if (config.ictcore.enabled) await schedules.start().catch((err: unknown) => log.error({ err }, 'could not arm the schedules'));

    // A reload (SIGHUP): the file's providers as they were at start or the last reload, against the new ones.
    let fileProviders = config.providers;
    let reloading: Promise<unknown> = Promise.resolve();
    // A logger the caller gave (tests) keeps the level it was given.
    const setLogLevel = (level: LogLevel) => {
      if (opts.log) return;
      gate.set(level);
      engine.setLogLevel(level);
    };
    const reload = (next: Config): Promise<ProviderDiff> => {
      const run = reloading.then(async () => {
        const diff = diffProviders(fileProviders, next.providers);
        setLogLevel(next.log.level);
        for (const p of [...diff.added, ...diff.restarted]) await reloadProvider(await stores.providers.upsert(p, 'config'));
        for (const p of diff.retuned) {
          const id = await stores.providers.upsert(p, 'config');
          const row = await stores.providers.byId(id);
          // The same gateway (its bind, its event socket) under the new rates: the pool reads them from the row.
          await reloads.run(id, async () => row && engine.setProvider(asHeld(row), engine.gateway(id)));
        }
        for (const name of diff.removed) {
          // Kept (its attempts name it) but inactive: its gateway stops, its work goes to the others.
          const row = await stores.providers.byName(name);
          if (row && row.source === 'config' && (await stores.providers.setActive(name, false))) await reloadProvider(row.id);
        }
        fileProviders = next.providers;
        if (diff.added.length || diff.retuned.length) wake();
        return diff;
      });
      reloading = run.catch(() => undefined);
      return run;
    };

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        log.info('stopping: no new work is taken');
        const grace = config.shutdown.grace_seconds * 1000;
        live.close();
        status.close();
        clearInterval(linkSweeper);
        schedules.stop();
        await app.close();
        await smtpFront?.stop();
        await logins.close();
        await office.stop();
        // The engine drains the gateways (through this thread) when its grace runs out.
        await engine.call('stopDispatch', { graceMs: grace }).catch((err: unknown) => log.error({ err }, 'stopping the spool failed'));
        for (const g of engine.allGateways()) await g.stop();
        // Its gateways stopped: their slots are given up for another node to take at once.
        await holds.stop();
        await engine.close().catch((err: unknown) => log.error({ err }, 'closing the spool failed'));
        lock.release();
        db.close();
        log.info('stopped');
      })());

    return {
      config,
      log,
      db,
      app,
      bus,
      spool: {
        wake,
        get inFlightCount() {
          return engine.inFlightCount;
        },
      },
      logins,
      url,
      bounces: smtpFront?.listening ?? null,
      inbound: (m, committed) => engine.inbound(m, committed),
      hosted: {
        files: hostedFiles,
        key: hostedMediaKey,
        listen: (l) => (handsetListeners.add(l), () => void handsetListeners.delete(l)),
      },
      probeStore: async () => void (await engine.call('probe', {})),
      reload,
      setLogLevel,
      get logLevel() {
        return gate.level;
      },
      stop,
    };
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    for (const g of engine.allGateways()) await g.stop().catch(() => undefined);
    await engine.close().catch(() => undefined);
    lock.release();
    db.close();
    throw err;
  }
}
