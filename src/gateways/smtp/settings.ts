import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { nodesSetting } from '../../core/holders.js';
import type { ProviderEntry } from '../gateway.js';

/**
 * An SMTP relay provider's `settings`. host and port are the relay's submission service; username and
 * password, when given, its AUTH credentials. Certificates are verified unless `tls_verify` is false.
 */
export const smtpSettingsSchema = z.strictObject({
  /** How many nodes sharing a store may run this provider at once (core/holders.ts). */
  nodes: nodesSetting,
  /** What an e-mail the relay took costs (the reports' cost; core/costs.ts). */
  cost_per_message: z.number().min(0).max(1_000_000).default(0),
  /** starttls: plain connect, then STARTTLS, required (587); tls: TLS from the first byte (465); none: no TLS (a relay on loopback). */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  /** Check the relay's certificate against the system's CAs (or `tls_ca_file`) and its name. */
  tls_verify: z.boolean().default(true),
  /** PEM of the relay's CA; default: the system's CAs. */
  tls_ca_file: z.string().nullable().default(null),
  /** The name the certificate must carry, when it is not `host`. */
  tls_servername: z.string().min(1).nullable().default(null),
  /** AUTH mechanism; null: the best the relay offers (PLAIN or LOGIN). */
  auth_method: z.enum(['PLAIN', 'LOGIN']).nullable().default(null),
  /** Connections held open to the relay; each carries one message at a time. */
  max_connections: z.number().int().min(1).max(100).default(5),
  /**
   * Worker threads carrying the connections (each its own nodemailer pool with its share of
   * `max_connections`): a message's MIME build, DKIM signing and bytes on the wire are off the main
   * thread. More than one helps only with spare cores.
   */
  threads: z.number().int().min(1).max(16).default(1),
  /** Messages sent over one connection before it is replaced. */
  max_messages: z.number().int().min(1).max(100_000).default(100),
  /** EHLO name; null: the host's name. */
  helo_name: z.string().min(1).nullable().default(null),
  /** Connect, greeting and inactivity timeouts. */
  timeout_ms: z.number().int().min(100).default(30_000),
  /** How often a relay that is down is probed. */
  probe_ms: z.number().int().min(100).default(5000),
  /**
   * A DSN request (RFC 3461) with each message, where the relay offers DSN: NOTIFY for each recipient
   * (e.g. FAILURE, DELAY) and RET (HDRS: only the headers come back). null: the relay's default.
   */
  dsn: z
    .strictObject({
      notify: z
        .array(z.enum(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']))
        .min(1)
        .refine((n) => !n.includes('NEVER') || n.length === 1, 'NEVER goes alone'),
      ret: z.enum(['HDRS', 'FULL']).default('HDRS'),
    })
    .nullable()
    .default(null),
});
export type SmtpSettings = z.infer<typeof smtpSettingsSchema>;

export interface SmtpEndpoint {
  name: string;
  host: string;
  port: number;
  username: string | null;
  password: string | null;
}

const DEFAULT_PORT: Record<SmtpSettings['security'], number> = { starttls: 587, tls: 465, none: 25 };

/** The provider's columns and settings, checked; throws one message naming the setting. */
export function smtpConfig(p: ProviderEntry): { endpoint: SmtpEndpoint; settings: SmtpSettings } {
  const parsed = smtpSettingsSchema.safeParse(p.settings);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`provider ${p.name}: settings.${i.path.join('.')}: ${i.message}`);
  }
  if (!p.host) throw new Error(`provider ${p.name}: host is required for smtp (the relay)`);
  const s = parsed.data;
  return { endpoint: { name: p.name, host: p.host, port: p.port ?? DEFAULT_PORT[s.security], username: p.username, password: p.password }, settings: s };
}

/**
 * How to reach and log in to the relay, as nodemailer takes it: the gateway's pool and the doctor's
 * one-off check connect the same way.
 */
export function relayConnection(e: SmtpEndpoint, s: SmtpSettings) {
  return {
    host: e.host,
    port: e.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    ...(e.username ? { auth: { user: e.username, pass: e.password ?? '' } } : {}),
    ...(s.auth_method ? { authMethod: s.auth_method } : {}),
    ...(s.helo_name ? { name: s.helo_name } : {}),
    tls: {
      rejectUnauthorized: s.tls_verify,
      ...(s.tls_ca_file ? { ca: readFileSync(s.tls_ca_file) } : {}),
      ...(s.tls_servername ? { servername: s.tls_servername } : {}),
    },
  };
}
