import { z } from 'zod';
import { nodesSetting } from '../../core/holders.js';

/** A Kannel provider's `settings`; host and port are smsbox's sendsms interface, username/password its sendsms-user. */
export const kannelSettingsSchema = z.strictObject({
  /** How many nodes sharing a store may run this provider at once (core/holders.ts). */
  nodes: nodesSetting,
  /** What an SMS part costs (the reports' cost: parts × this; core/costs.ts). */
  cost_per_part: z.number().min(0).max(1_000_000).default(0),
  sendsms_path: z.string().startsWith('/').default('/cgi-bin/sendsms'),
  tls: z.boolean().default(false),
  /** Route through one smsc-id of Kannel's (the `smsc` parameter); null lets Kannel route. */
  smsc_id: z.string().nullable().default(null),
  /** The daemon as Kannel reaches it, for dlr-url; null: the daemon's own listening address. */
  callback_base_url: z.url().nullable().default(null),
  /** Shared secret in the sms-service get-url that forwards MO messages (see README); null: MO refused. */
  mo_secret: z.string().min(16, 'use at least 16 characters').nullable().default(null),
  /** Kannel may never answer a denied request: every sendsms call gets this long. */
  timeout_ms: z.number().int().min(100).default(10_000),
  /** sendsms requests in flight at once. */
  concurrency: z.number().int().min(1).max(512).default(32),
  /** How often a link that is down is probed. */
  probe_ms: z.number().int().min(100).default(5000),
  default_sender: z.string().max(20).nullable().default(null),
});
export type KannelSettings = z.infer<typeof kannelSettingsSchema>;

/** The provider's columns and settings, checked; throws one message naming the setting. */
export function kannelConfig(p: { name: string; host: string | null; port: number | null; username: string | null; password: string | null; settings: Record<string, unknown> }) {
  const parsed = kannelSettingsSchema.safeParse(p.settings);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`provider ${p.name}: settings.${i.path.join('.')}: ${i.message}`);
  }
  if (!p.host || !p.username) throw new Error(`provider ${p.name}: host and username (the sendsms-user) are required for kannel`);
  return { endpoint: { name: p.name, host: p.host, port: p.port ?? 13013, username: p.username, password: p.password ?? '' }, settings: parsed.data };
}
