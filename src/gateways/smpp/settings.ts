import { z } from 'zod';
import { nodesSetting } from '../../core/holders.js';
import type { ProviderEntry } from '../gateway.js';

const ms = (def: number) => z.number().int().min(1).default(def);

/** An SMPP provider's `settings` (host, port, system_id = username, password and throughput are the provider's columns). */
export const smppSettingsSchema = z.strictObject({
  /** How many nodes sharing a store may run this provider at once (core/holders.ts). */
  nodes: nodesSetting,
  /** What an SMS part costs (the reports' cost: parts the SMSC took × this; core/costs.ts). */
  cost_per_part: z.number().min(0).max(1_000_000).default(0),
  system_type: z.string().max(12).default(''),
  /** transceiver: one bind carries both ways; transmitter_receiver: a transmitter and a receiver bind each. */
  bind: z.enum(['transceiver', 'transmitter_receiver']).default('transceiver'),
  /** How many binds (or transmitter + receiver pairs) to hold open. */
  binds: z.number().int().min(1).max(32).default(1),
  tls: z.boolean().default(false),
  /** PEM file of the CA that signed the SMSC's certificate (default: the system's CAs). The certificate is always verified. */
  tls_ca_file: z.string().nullable().default(null),
  /** Outstanding PDUs per bind awaiting their response. */
  window: z.number().int().min(1).max(1000).default(10),
  enquire_link_ms: ms(30_000),
  /** No PDU received for this long: the link is dead; reconnect. */
  inactivity_ms: ms(90_000),
  /** Every request PDU (bind, submit_sm, enquire_link, unbind) gets an answer within this or the link is reset. */
  response_timeout_ms: ms(10_000),
  reconnect_min_ms: ms(1000),
  reconnect_max_ms: ms(60_000),
  /** No longer used: throttling now slows the provider's learned pace (kept so stored settings still load). */
  throttle_pause_ms: ms(1000),
  /** How many times one PDU answered ESME_RTHROTTLED or ESME_RMSGQFUL is sent again before its try fails (retryably). */
  max_throttle_resends: z.number().int().min(0).max(1000).default(10),
  /** auto: GSM 03.38 when the text fits, else latin1 when allowed below, else UCS-2. */
  encoding: z.enum(['auto', 'gsm7', 'latin1', 'ucs2']).default('auto'),
  /** Whether this SMSC takes data_coding 3 (Latin-1) for texts GSM 03.38 cannot carry. */
  latin1: z.boolean().default(false),
  /** How message ids compare: as hex or decimal numbers, or as text. Separately for submit_sm_resp and receipts. */
  message_id: z.strictObject({ submit: z.enum(['hex', 'dec', 'text']).default('text'), receipt: z.enum(['hex', 'dec', 'text']).default('text') }).prefault({}),
  /** registered_delivery: 1 asks for a receipt on success and failure; 0 asks for none (final as "sent"). */
  registered_delivery: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  /** Force the sender's TON/NPI instead of deriving them (alphanumeric 5/0, short code 3/0, international 1/1). */
  source_ton: z.number().int().min(0).max(6).nullable().default(null),
  source_npi: z.number().int().min(0).max(18).nullable().default(null),
  /** Sender used when the job has none. */
  default_sender: z.string().max(20).nullable().default(null),
  /** How long the parts of an MO message are awaited before it is delivered incomplete. */
  mo_reassembly_ms: ms(60_000),
  /**
   * MMS over this provider (issue 20; the provider's services must name `mms`): `wap_push` hosts each
   * recipient's M-Retrieve.conf and pushes the M-Notification.ind as binary SMS; `sms_link` sends the
   * text and a signed link to the media as an SMS. null: the provider carries no MMS.
   */
  mms: z
    .strictObject({
      path: z.enum(['wap_push', 'sms_link']),
      /** After a WAP Push fails (refused, or expired unfetched), the next try sends the SMS with a link. */
      fallback: z.enum(['sms_link']).nullable().default(null),
      /** How long the handset may fetch the message (the notification's X-Mms-Expiry, the URL's and the link's life). */
      expiry_seconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400)
        .default(3 * 86_400),
      /** The base URL handsets reach the daemon at (`…/m/<token>`); null: the daemon's own URL. */
      public_url: z
        .string()
        .regex(/^https?:\/\/[\x21-\x7e]+$/, 'an absolute http(s) URL')
        .nullable()
        .default(null),
      /** X-Mms-MMS-Version of the notification and the message. */
      version: z.enum(['1.2', '1.3']).default('1.2'),
      /** The M-Retrieve.conf's body: multipart.related with a SMIL slide, or multipart.mixed. */
      presentation: z.enum(['related', 'mixed']).default('related'),
      /** The message size limit media is fitted within (as an MMSC's max_bytes). */
      max_bytes: z.number().int().min(1024).default(307_200),
    })
    .nullable()
    .default(null),
});
export type SmppSettings = z.infer<typeof smppSettingsSchema>;

/** Whether a provider's stored settings send an expired or refused WAP Push as the SMS with a link (the spool's sweep asks). */
export function linkFallback(settings: Readonly<Record<string, unknown>> | null): boolean {
  const mms = settings?.mms;
  return typeof mms === 'object' && mms !== null && (mms as Record<string, unknown>).path === 'wap_push' && (mms as Record<string, unknown>).fallback === 'sms_link';
}

export interface SmppEndpoint {
  host: string;
  port: number;
  systemId: string;
  password: string;
  throughput: number;
}

/** The provider's columns and settings, checked; throws one message naming the setting. */
export function smppConfig(p: ProviderEntry): { endpoint: SmppEndpoint; settings: SmppSettings } {
  if (!p.host) throw new Error(`provider ${p.name}: host is required for smpp`);
  if (!p.username) throw new Error(`provider ${p.name}: username (system_id) is required for smpp`);
  const parsed = smppSettingsSchema.safeParse(p.settings);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`provider ${p.name}: settings.${i.path.join('.')}: ${i.message}`);
  }
  return {
    endpoint: { host: p.host, port: p.port ?? (parsed.data.tls ? 3550 : 2775), systemId: p.username, password: p.password ?? '', throughput: p.throughput },
    settings: parsed.data,
  };
}
