import { z } from 'zod';
import { nodesSetting } from '../../core/holders.js';

/** The namespace of 3GPP TS 23.140 Release 6's MM7 schema (REL-6-MM7-1-4, MM7 version 6.8.0), which most MMSCs take. */
export const MM7_REL6_NAMESPACE = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';

/** The default size limit of an MMS, the one every operator takes (300 KB); media/mms.ts fits to it. */
export const MM7_DEFAULT_MAX_BYTES = 300 * 1024;

/**
 * An mm7 provider's `settings`; host and port are the MMSC's MM7 interface, username/password the Basic
 * auth it asks of us (none: no Authorization header).
 */
export const mm7SettingsSchema = z.strictObject({
  /** How many nodes sharing a store may run this provider at once (core/holders.ts). */
  nodes: nodesSetting,
  /** What an MMS the MMSC took costs (the reports' cost; core/costs.ts). */
  cost_per_message: z.number().min(0).max(1_000_000).default(0),
  /** The MMSC's MM7 path. */
  path: z.string().startsWith('/').default('/'),
  tls: z.boolean().default(false),
  /** A PEM file of the CA(s) that sign the MMSC's certificate, beside the system's; null: the system's only. */
  tls_ca_file: z.string().min(1).nullable().default(null),
  /** MM7's version as the MMSC speaks it (MM7Version) and its schema's namespace: MMSCs differ (5.3.0 … 6.8.0). */
  version: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, 'a version such as 6.8.0')
    .default('6.8.0'),
  namespace: z.url().default(MM7_REL6_NAMESPACE),
  /** SenderIdentification: the VASP's id and the service's (VAS) id the operator gave. */
  vasp_id: z.string().min(1).max(64),
  vas_id: z.string().min(1).max(64).nullable().default(null),
  /** The sender address when a job names none (its short code or number). */
  sender_address: z.string().min(1).max(64).nullable().default(null),
  /** How SenderAddress is written: a ShortCode or a Number; null: a number with + or more than 8 digits is a Number. */
  sender_type: z.enum(['ShortCode', 'Number']).nullable().default(null),
  /** Recipients' numbers as the MMSC takes them: international digits without "+" (most MMSCs) or with it. */
  number_format: z.enum(['digits', 'plus']).default('digits'),
  /** How media parts travel: as they are (HTTP is 8-bit clean) or base64, for an MMSC that wants it. */
  transfer_encoding: z.enum(['binary', 'base64']).default('binary'),
  /** The MMSC's size limit for one message: media is fitted within the smallest of the MMS providers'. */
  max_bytes: z
    .number()
    .int()
    .min(16 * 1024)
    .max(10 * 1024 * 1024)
    .default(MM7_DEFAULT_MAX_BYTES),
  /** Ask for a DeliveryReportReq (the recipient's outcome); false: a SubmitRsp of 1000 is the end (sent). */
  delivery_report: z.boolean().default(true),
  /** ExpiryDate: how long the MMSC keeps trying; null: its own default. */
  expiry_hours: z
    .number()
    .min(1)
    .max(24 * 14)
    .nullable()
    .default(null),
  /** The Basic auth the MMSC must present on its DeliveryReportReq and DeliverReq (see README); null: none asked. */
  inbound_username: z.string().min(1).nullable().default(null),
  inbound_password: z.string().min(12, 'use at least 12 characters').nullable().default(null),
  /** Each SubmitReq gets this long. */
  timeout_ms: z.number().int().min(100).default(30_000),
  /** SubmitReqs in flight at once. */
  concurrency: z.number().int().min(1).max(512).default(16),
  /** How often an MMSC that could not be reached is probed. */
  probe_ms: z.number().int().min(100).default(5000),
});
export type Mm7Settings = z.infer<typeof mm7SettingsSchema>;

export interface Mm7Endpoint {
  name: string;
  host: string;
  port: number;
  username: string | null;
  password: string | null;
}

/** The provider's columns and settings, checked; throws one message naming the setting. */
export function mm7Config(p: { name: string; host: string | null; port: number | null; username: string | null; password: string | null; settings: Record<string, unknown> }): { endpoint: Mm7Endpoint; settings: Mm7Settings } {
  const parsed = mm7SettingsSchema.safeParse(p.settings);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`provider ${p.name}: settings.${i.path.join('.')}: ${i.message}`);
  }
  if (!p.host) throw new Error(`provider ${p.name}: host (the MMSC) is required for mm7`);
  if ((parsed.data.inbound_username === null) !== (parsed.data.inbound_password === null)) throw new Error(`provider ${p.name}: settings.inbound_username and settings.inbound_password go together`);
  return { endpoint: { name: p.name, host: p.host, port: p.port ?? (parsed.data.tls ? 443 : 80), username: p.username, password: p.password }, settings: parsed.data };
}

/** The MMSC's MM7 URL. */
export const mm7Url = (e: Mm7Endpoint, s: Mm7Settings): URL => new URL(`${s.tls ? 'https' : 'http'}://${e.host}:${e.port}${s.path}`);

/** A request's headers to the MMSC: SOAP 1.1's empty SOAPAction, and the provider's Basic auth when it has a username. */
export function mm7Headers(e: Mm7Endpoint, contentType: string): Record<string, string> {
  const h: Record<string, string> = { 'content-type': contentType, soapaction: '""' };
  if (e.username !== null) h.authorization = `Basic ${Buffer.from(`${e.username}:${e.password ?? ''}`).toString('base64')}`;
  return h;
}
