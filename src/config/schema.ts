import { isEmailAddress } from '../core/email-address.js';
import { CORS_ORIGIN } from '../core/cors.js';
import { hostname } from 'node:os';
import { z } from 'zod';
import { isProxyEntry } from '../net/trust-proxy.js';
import { DRIVER_RULES, DRIVERS } from '../gateways/drivers.js';
import { basePathProblems, ICTCORE_BASE_PATHS } from './base-paths.js';

/** Services a provider can carry; a job's channel needs one of them. */
export const SERVICES = ['sms', 'mms', 'voice', 'fax', 'email'] as const;
export { DRIVERS };

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24-hour)');
const ictcorePath = z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'a path such as / or /api');
const range = z.tuple([z.number().int().min(0), z.number().int().min(0)]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max');
/** A domain name of LDH labels. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export const providerConfigSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only (1-64)'),
    driver: z.enum(DRIVERS),
    services: z.array(z.enum(SERVICES)).min(1),
    host: z.string().nullable().default(null),
    port: z.number().int().min(1).max(65535).nullable().default(null),
    username: z.string().nullable().default(null),
    password: z.string().nullable().default(null),
    dialstring: z.string().nullable().default(null),
    prefix: z.string().nullable().default(null),
    weight: z.number().int().min(0).max(1000).default(1),
    /** Messages (or call attempts) per second; 0 = unlimited. Bounded: the rate limit keeps a slot per message of its burst. */
    throughput: z.number().min(0).max(100_000, 'at most 100000 per second (0 = unlimited)').default(0),
    /** Attempts in flight at once; 0 = unlimited (the spool's in-flight window still applies). */
    concurrency: z.number().int().min(0).default(0),
    settings: z.record(z.string(), z.unknown()).default({}),
    active: z.boolean().default(true),
  })
  .superRefine((p, ctx) => {
    // Driver settings are checked here (by the driver's own schema), so a bad one stops start-up with its key named.
    const driver = DRIVER_RULES[p.driver];
    if (!driver.settings) return;
    const parsed = driver.settings.safeParse(p.settings);
    if (!parsed.success) for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['settings', ...i.path.map(String)], message: i.message });
    if (!p.host && driver.requires.host) ctx.addIssue({ code: 'custom', path: ['host'], message: driver.requires.host });
    if (!p.username && driver.requires.username) ctx.addIssue({ code: 'custom', path: ['username'], message: driver.requires.username });
  });
export type ProviderConfig = z.infer<typeof providerConfigSchema>;

export const configSchema = z
  .strictObject({
    data_dir: z.string().min(1).default('./data'),
    default_country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code such as AU')
      .default('AU'),
    default_timezone: z.string().min(1).default('UTC'),
    http: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        public_url: z.url().nullable().default(null),
        body_limit_mb: z.number().min(1).max(200).default(30),
        /**
         * The proxies whose X-Forwarded-For is believed: false (none), or their addresses / CIDRs. Not
         * true: that trusts every hop, and the client writes the left-most one itself.
         */
        trust_proxy: z
          .union([z.literal(false), z.array(z.string().refine(isProxyEntry, 'expected an IP address or CIDR such as 10.0.0.0/8 (or loopback, linklocal, uniquelocal)'))], {
            error: (iss) =>
              iss.input === true
                ? 'true would trust every hop, so any client could choose the address it is counted as; list the proxies in front instead, e.g. ["127.0.0.1"] or ["10.0.0.0/8"] (false: none)'
                : 'expected false or a list of the proxies\' addresses or CIDRs, e.g. ["127.0.0.1"]',
          })
          .default(false),
        tls: z
          .strictObject({
            cert_file: z.string().nullable().default(null),
            key_file: z.string().nullable().default(null),
          })
          .prefault({})
          .refine((t) => (t.cert_file === null) === (t.key_file === null), 'set both cert_file and key_file, or neither'),
      })
      .prefault({}),
    node: z
      .strictObject({
        /**
         * This daemon's name among the nodes sharing a store (issue 15): recorded on each attempt it
         * makes, on every log line and in /health. Null: the host name. A short token either way, so it
         * fits a column and a log field; a host name that is not one needs node.id set.
         */
        id: z
          .string()
          .nullable()
          .default(null)
          .transform((id) => id ?? hostname())
          .pipe(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a short name: letters, digits, . _ - only (1-64), such as "node-1" (by default the host name, which must then fit too)')),
        /** How often the node writes its heartbeat (the store's nodes table), in seconds. */
        heartbeat_seconds: z.number().int().min(1).max(300).default(5),
        /** A node whose heartbeat is older than this is dead: a live node takes back its leases (at-least-once). */
        timeout_seconds: z.number().int().min(3).max(3600).default(30),
        /**
         * A dead node's calls (attempts FreeSWITCH knows by id) wait this long for it to come back and find
         * them; after it they are requeued by a live node (a call may then be placed again).
         */
        calls_grace_seconds: z.number().int().min(60).default(3600),
      })
      .prefault({})
      .refine((n) => n.timeout_seconds >= 3 * n.heartbeat_seconds, { path: ['timeout_seconds'], message: 'node.timeout_seconds must be at least 3 × node.heartbeat_seconds, or a node a little late would be taken for dead' })
      .refine((n) => n.calls_grace_seconds > n.timeout_seconds, { path: ['calls_grace_seconds'], message: 'node.calls_grace_seconds must be longer than node.timeout_seconds' }),
    metrics: z
      .strictObject({
        /** GET /metrics (Prometheus text) on the HTTP port; false: not served (404). */
        enabled: z.boolean().default(true),
        /** The clients (addresses or CIDRs, as http.trust_proxy takes them) that may scrape; others get 403. */
        allow: z.array(z.string().refine(isProxyEntry, 'expected an IP address or CIDR such as 10.0.0.0/8 (or loopback)')).default(['127.0.0.1', '::1']),
        /** When set, a scrape also needs "Authorization: Bearer <token>" (401 without it). */
        token: z.string().min(16, 'use at least 16 characters').nullable().default(null),
      })
      .prefault({}),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
    store: z
      .strictObject({
        /**
         * sqlite: the embedded store, a file in data_dir (switchpost.db). postgres: the database of
         * store.url, which several daemons (each its own node.id) may share; its role must own the database.
         * data_dir is still needed either way (media, keys, logs).
         */
        driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** postgres://user:password@host:5432/db for store.driver postgres; unused by sqlite. */
        url: z.string().nullable().default(null),
        /** full: every commit survives power loss; normal: survives a process crash only. */
        synchronous: z.enum(['full', 'normal']).default('full'),
        /** Free space in the data directory below which storage counts as full: /health says so, start-up refuses. */
        min_free_mb: z.number().min(0).default(16),
      })
      .prefault({})
      .refine((s) => s.driver !== 'postgres' || (s.url !== null && /^postgres(ql)?:\/\//.test(s.url)), 'store.driver postgres needs store.url, a postgres:// URL'),
    spool: z
      .strictObject({
        batch_size: z.number().int().min(1).max(10_000).default(1000),
        poll_ms: z.number().int().min(5).max(60_000).default(100),
        /**
         * On a shared store (postgres), where the nodes wake each other with NOTIFY: how long an idle
         * dispatcher sleeps at most (until its next due row; never past node.heartbeat_seconds).
         */
        idle_poll_ms: z.number().int().min(5).max(60_000).default(1000),
        max_in_flight: z.number().int().min(1).max(100_000).default(2000),
        lease_seconds: z.number().int().min(5).default(120),
        /** A provider's rate limit lets this much of a second's throughput go at once. */
        burst_seconds: z.number().min(0).max(10).default(0.1),
        receipt_timeout_hours: z.number().min(0).default(48),
        day_start: hhmm.default('08:00'),
        retry: z
          .strictObject({
            tries: z.number().int().min(1).max(100).default(3),
            backoff_seconds: z.number().min(0).default(60),
            backoff_max_seconds: z.number().min(0).default(3600),
          })
          .prefault({}),
      })
      .prefault({}),
    shutdown: z.strictObject({ grace_seconds: z.number().min(0).max(300).default(10) }).prefault({}),
    callbacks: z
      .strictObject({
        secret: z.string().min(16, 'use at least 16 characters').nullable().default(null),
        timeout_ms: z.number().int().min(100).default(10_000),
        max_tries: z.number().int().min(1).default(12),
        backoff_seconds: z.number().min(0).default(10),
        concurrency: z.number().int().min(1).max(256).default(16),
        /** Host names, IPs or CIDRs that callbacks may reach although private or loopback. */
        allow_private: z.array(z.string()).default([]),
      })
      .prefault({}),
    media: z
      .strictObject({
        /** Largest audio file a job may bring (url or base64). */
        max_audio_mb: z.number().min(0.1).max(100).default(10),
        max_audio_seconds: z.number().int().min(1).max(3600).default(300),
        /** Largest fax document a job may bring (url or base64), and all of its documents together. */
        max_fax_mb: z.number().min(0.1).max(500).default(20),
        /** All of an e-mail job's attachments together (url or base64), fetched once per job. */
        max_email_attachments_mb: z.number().min(0.1).max(100).default(20),
        /** Largest media file an MMS job may bring (url or base64), before it is fitted to the providers' size limit. */
        max_mms_input_mb: z.number().min(0.1).max(200).default(20),
        fetch_timeout_ms: z.number().int().min(100).default(15_000),
        /** Host names, IPs or CIDRs that audio URLs may reach although private or loopback. */
        allow_private: z.array(z.string()).default([]),
      })
      .prefault({}),
    agent_providers: z
      .strictObject({
        /**
         * Host names, IPs or CIDRs that a provider made by an agent (reseller) or user may use although
         * private or loopback. Other names are refused for them (a name can re-resolve to an internal address).
         */
        allow_hosts: z.array(z.string()).default([]),
      })
      .prefault({}),
    freeswitch: z
      .strictObject({
        /** FreeSWITCH's configuration directory: providers' trunk files (settings.trunk.gateway_dir) are written only inside it. */
        config_dir: z.string().regex(/^\//, 'an absolute directory path').default('/etc/freeswitch'),
      })
      .prefault({}),
    two_factor: z
      .strictObject({
        /** How long a sent code stays usable (the seed: 30 minutes by default, up to 5 hours). */
        code_ttl_minutes: z.number().int().min(1).max(300).default(30),
        /** Failed validations per client_ref within the window before 429. */
        max_failures: z.number().int().min(1).max(100).default(5),
        failure_window_minutes: z.number().int().min(1).max(1440).default(15),
      })
      .prefault({}),
    email: z
      .strictObject({
        /** The daemon's own domain for VERP return paths (bounce+<recipient>-<attempt>-<tag>@domain); null: the From address is the envelope sender. */
        bounce_domain: z
          .string()
          .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'a domain name such as bounces.example.com')
          .nullable()
          .default(null),
        /** The return paths' local part before "+". */
        bounce_prefix: z
          .string()
          .regex(/^[a-z0-9][a-z0-9._-]{0,30}$/, 'letters, digits, . _ - (1-31), lower case')
          .default('bounce'),
        /**
         * The From of the daemon's own e-mails (2FA codes by e-mail, reply and report e-mails of the v1 API);
         * null: none are sent (2FA by e-mail answers 501, reply and report e-mails are not made).
         */
        system_from: z
          .string()
          .refine((s) => isEmailAddress(s), 'one mailbox such as noreply@example.com')
          .nullable()
          .default(null),
        /** The display name beside system_from. */
        system_from_name: z.string().max(100).nullable().default(null),
        /** DKIM signing keys, one per sending domain (the From address's domain, matched exactly); mail from other domains goes unsigned. */
        dkim: z
          .array(
            z.strictObject({
              domain: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'a domain name such as example.com'),
              selector: z.string().regex(/^[a-z0-9]([a-z0-9_-]{0,62})(\.[a-z0-9]([a-z0-9_-]{0,62}))*$/i, 'a DNS label such as mail2026'),
              /** PEM private key (RSA or Ed25519), read at start. */
              key_file: z.string().min(1),
            }),
          )
          .refine((keys) => new Set(keys.map((k) => k.domain.toLowerCase())).size === keys.length, 'one key per domain')
          .default([]),
        /** Bodies larger than this are buffered under data_dir/tmp/dkim while signed, not in memory. */
        dkim_cache_threshold_kb: z.number().int().min(1).max(102_400).default(1024),
        /** The SMTP listener that takes the DSNs sent to the return paths (needs bounce_domain). */
        listener: z
          .strictObject({
            enabled: z.boolean().default(false),
            host: z.string().min(1).default('127.0.0.1'),
            /** 25 where the bounce domain's MX points here; a high port behind a relay that forwards the domain. */
            port: z.number().int().min(0).max(65535).default(2525),
            /** PEM key and certificate for STARTTLS; without them STARTTLS is not offered. */
            tls_key_file: z.string().min(1).nullable().default(null),
            tls_cert_file: z.string().min(1).nullable().default(null),
            /** Largest message taken, announced by SIZE and refused with 552 (a DSN is a few KB; e-mail to fax carries documents: raise it). */
            max_message_kb: z.number().int().min(16).max(51_200).default(256),
            /** Recipients taken in one message. */
            max_recipients: z.number().int().min(1).max(100).default(10),
            /** E-mail to fax: mail to <number>@ and FAX=+<number>@ these domains is faxed for the user it authenticates as (issue 17). */
            fax_domains: z
              .array(
                z
                  .string()
                  .regex(DOMAIN, 'a domain name such as fax.example.com')
                  .transform((d) => d.toLowerCase()),
              )
              .default([]),
            /** ICTCore's receiveemail: mail to an account's address on these domains is stored as the account's inbound transmission. */
            receive_domains: z
              .array(
                z
                  .string()
                  .regex(DOMAIN, 'a domain name such as mail.example.com')
                  .transform((d) => d.toLowerCase()),
              )
              .default([]),
            /** Offer SMTP AUTH before STARTTLS (passwords in clear): only for a listener on loopback. */
            allow_insecure_auth: z.boolean().default(false),
          })
          .refine((l) => !l.tls_key_file === !l.tls_cert_file, { message: 'tls_key_file and tls_cert_file go together', path: ['tls_cert_file'] })
          .refine((l) => new Set([...l.fax_domains, ...l.receive_domains]).size === l.fax_domains.length + l.receive_domains.length, { message: 'a domain is a fax domain or a receive domain, once', path: ['receive_domains'] })
          .prefault({}),
      })
      .refine((e) => !e.listener.enabled || e.bounce_domain !== null || e.listener.fax_domains.length + e.listener.receive_domains.length > 0, {
        message: 'the SMTP listener needs email.bounce_domain or a fax or receive domain',
        path: ['listener', 'enabled'],
      })
      .refine((e) => !e.bounce_domain || ![...e.listener.fax_domains, ...e.listener.receive_domains].includes(e.bounce_domain.toLowerCase()), {
        message: 'the bounce domain cannot also be a fax or receive domain',
        path: ['listener', 'fax_domains'],
      })
      .prefault({}),
    live: z
      .strictObject({
        /** How often open /stream connections are checked against their user's password, role and state (a change by the CLI). */
        recheck_ms: z.number().int().min(10).max(60_000).default(1000),
      })
      .prefault({}),
    login: z
      .strictObject({
        /** How long a failed login counts (from the first failure of a series). */
        window_minutes: z
          .number()
          .min(0.1)
          .max(24 * 60)
          .default(15),
        /** Failed logins of one user from one address in the window; more answer 429 with Retry-After. */
        max_failures_per_user_address: z.number().int().min(1).default(5),
        /** Failed logins from one address in the window, whatever the users. */
        max_failures_per_address: z.number().int().min(1).default(30),
        /** Failed logins of one user from any address; over it, the addresses that failed for it wait (others may still try). */
        max_failures_per_user: z.number().int().min(1).default(50),
        /** Password hashes checked at once; 0: one less than the cores, at most 2. */
        hash_concurrency: z.number().int().min(0).max(16).default(0),
        /** Logins waiting for a hash beyond which one more is answered 429 (Retry-After: 1) at once. */
        max_queued: z.number().int().min(0).default(64),
      })
      .prefault({}),
    retarus: z
      .strictObject({
        enabled: z.boolean().default(true),
        base_path: z
          .string()
          .regex(/^\/[A-Za-z0-9/_-]*$/, 'a path such as /rest/v1')
          .default('/rest/v1'),
        /** Requests per account in any 10 seconds before 429. */
        requests_per_10s: z.number().int().min(1).default(100),
        /** How far back duplicateDetection looks for the same content to the same recipients. */
        duplicate_window_hours: z.number().min(0).default(24),
      })
      .prefault({}),
    ictcore: z
      .strictObject({
        enabled: z.boolean().default(true),
        /**
         * Where the face lives: ICTCore's own path (`Alias /api` in its etc/http/ictcore.conf) and the
         * site root, one face at both (the same tokens, rows and schedules).
         */
        base_paths: z
          .array(ictcorePath)
          .min(1)
          .max(8)
          .default([...ICTCORE_BASE_PATHS]),
        /** The older single path: when set, the face is at this one path (instead of base_paths). */
        base_path: ictcorePath.nullable().default(null),
        /**
         * Origins whose web pages may call the face (CORS, as ICTCore's `[website] cors`, `*` by default
         * as there); [] turns CORS off. Credentials are allowed to origins listed by name only.
         */
        cors: z.array(z.string().regex(CORS_ORIGIN, 'an origin such as https://fax.example.com, or *')).max(64).default(['*']),
        /** Lifetime of a token from POST /authenticate (ICTCore's: one year). A password change ends it sooner. */
        token_hours: z
          .number()
          .min(0.01)
          .max(24 * 366)
          .default(24 * 365),
      })
      .prefault({}),
    ucontact: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** A session token lives this long after its last use. */
        session_hours: z
          .number()
          .min(0.01)
          .max(24 * 30)
          .default(12),
      })
      .prefault({}),
    sandbox: z
      .strictObject({
        enabled: z.boolean().default(true),
        accept_ms: range.default([5, 40]),
        receipt_ms: range.default([200, 2000]),
        delayed_receipt_ms: z.number().int().min(0).default(30_000),
        reply_ms: z.number().int().min(0).default(1500),
      })
      .prefault({}),
    providers: z.array(providerConfigSchema).default([]),
  })
  .superRefine((c, ctx) => {
    for (const problem of basePathProblems(c)) ctx.addIssue({ code: 'custom', path: ['ictcore', ...problem.path], message: problem.message });
    c.providers.forEach((p, i) => {
      const problem = DRIVER_RULES[p.driver].check?.(p.settings, { leaseSeconds: c.spool.lease_seconds });
      if (problem) ctx.addIssue({ code: 'custom', path: ['providers', i, 'settings', ...problem.path], message: problem.message });
    });
  });

export type Config = z.infer<typeof configSchema>;
