import { z } from 'zod';
import { CONTACT_LIMITS } from '../../core/contact.js';

/**
 * The ICTCore face's answers as JSON Schema for its OpenAPI document (the handlers build them as
 * plain objects: each module's `present`). ICTCore answers bare JSON values (an id, `true`, an
 * object, an array). Objects are loose: a program or message carries the fields of its type
 * (`dataOf`), and ICTCore's clients read the keys they know. test/api/ictcore-openapi.test.ts holds
 * these to the face's real answers.
 */

const id = z.int().min(1);
/** Unix seconds, as ICTCore keeps dates. */
const seconds = z.int().nullable();
const text = z.string().nullable();

/** The face's error answer: `{"error": {"code": <the HTTP status>, "message": "<its phrase>: …"}}`. */
export const errorAnswer = z.object({ error: z.object({ code: z.int().min(400).max(599), message: z.string() }) });

/** A new row's id (POST of a resource). */
export const newId = id.describe("the new resource's id");
/** What a delete, a start or a stop answers. */
export const TRUE = z.literal(true);

export const contact = z.looseObject({
  contact_id: id,
  ...Object.fromEntries(Object.keys(CONTACT_LIMITS).map((k) => [k, text])),
  created_by: id,
  date_created: seconds,
  last_updated: seconds,
});

export const group = z.looseObject({ group_id: id, name: z.string(), description: text, contact_total: z.int().min(0), created_by: id, date_created: seconds });

export const campaign = z.looseObject({
  campaign_id: id,
  program_id: id,
  group_id: id,
  account_id: z.int().nullable(),
  cpm: z.number(),
  try_allowed: z.int(),
  status: z.string(),
  contact_total: z.int().min(0),
  contact_done: z.int().min(0),
  created_by: id,
  date_created: seconds,
});

export const account = z.looseObject({
  account_id: id,
  type: z.string(),
  username: z.string(),
  first_name: text,
  last_name: text,
  phone: text,
  email: text,
  address: text,
  active: z.union([z.int(), z.boolean()]),
  user_id: z.int().nullable(),
  created_by: id,
  programs: z.array(id),
  date_created: seconds,
});

export const program = z.looseObject({ program_id: id, name: z.string(), type: z.string(), parent_id: z.int().nullable(), created_by: id, date_created: seconds });

/** A document, recording, template or text: `<kind>_id`, its name and type, the fields of its kind. */
export const message = (kind: string) => z.looseObject({ [`${kind}_id`]: id, name: z.string(), description: text, type: text, created_by: id, date_created: seconds });

/** POST /authenticate: the user with its token, in OAuth's words too. */
export const authenticated = z.looseObject({ user_id: id, username: z.string(), token: z.string(), access_token: z.string(), token_type: z.literal('Bearer') });

/** A contacts CSV import (groups.ts): what was stored, and the rows rejected with their lines. */
export const csvImport = z.object({ group_id: id, imported: z.int().min(0), rejected_total: z.int().min(0), rejected: z.array(z.object({ line: z.int().min(1), error: z.string() })) });

/** A CSV file (ICTCore's own format: no header, every field quoted). */
export const csvFile = z.string();

/** A transmission (transmissions.ts present); an inbound one adds what was received. */
export const transmission = z.looseObject({
  transmission_id: id,
  title: text,
  origin: text,
  service_flag: z.int(),
  account_id: z.int().nullable(),
  contact_id: z.int().nullable(),
  program_id: z.int().nullable(),
  campaign_id: z.int().nullable(),
  phone: text,
  direction: z.enum(['outbound', 'inbound']),
  status: z.enum(['pending', 'processing', 'completed', 'failed', 'invalid']),
  response: z.string(),
  try_allowed: z.int().nullable(),
  try_done: z.int().min(0),
  last_run: seconds,
  date_created: seconds,
});

/** GET /transmissions: each with its contact and account as objects too. */
export const listedTransmission = transmission.extend({
  contact: contact.nullable(),
  account: z.object({ account_id: id, username: z.string(), phone: text, email: text }).nullable(),
});

/** A spool: one attempt of a transmission. */
export const spool = z.looseObject({
  spool_id: id,
  transmission_id: id,
  time_spool: seconds,
  time_start: seconds,
  time_connect: seconds,
  time_end: seconds,
  status: z.enum(['initiated', 'completed', 'failed']),
  response: text,
  try: z.int().min(1),
  amount: z.number().nullable(),
  cost: z.number().nullable(),
  node: text,
});

/** A spool's results (results.ts): what the application did, its error, keypresses, pages… */
export const result = z.looseObject({ spool_result_id: z.int().nullable(), spool_id: id, type: z.string(), name: z.string(), data: z.unknown(), date_created: seconds });

/** POST …/send and …/retry: the spool that took it, or null when none did yet. */
export const sent = z.int().nullable();
/** A schedule's id (PUT …/schedule). */
export const scheduleId = id;
/** DELETE …/schedule: whether there was one to cancel (ICTCore answers true either way). */
export const cancelled = z.boolean();

/** A user (users.ts present): ICTCore's numbers for its country, zone and role beside what they stand for. */
export const user = z.looseObject({
  user_id: id,
  username: z.string(),
  first_name: text,
  last_name: text,
  phone: text,
  email: text,
  address: text,
  company: text,
  country_id: z.union([z.int(), z.string()]),
  country: z.string(),
  timezone_id: z.union([z.int(), z.string()]),
  timezone: z.string(),
  active: z.union([z.int(), z.boolean()]),
  role_id: z.int(),
  role: z.string(),
  permissions: z.array(z.object({ permission_id: z.int().nullable(), name: z.string(), granted: z.boolean() })),
  created_by: z.int().nullable(),
  date_created: seconds,
});

/** A provider (trunk): its secrets are written, never read back. */
export const provider = z.looseObject({
  provider_id: id,
  name: z.string(),
  type: z.string(),
  gateway_flag: z.int(),
  service_flag: z.int(),
  services: z.array(z.string()),
  host: text,
  port: z.int().nullable(),
  username: text,
  dialstring: text,
  prefix: text,
  settings: z.string(),
  weight: z.number(),
  throughput: z.number(),
  concurrency: z.number(),
  active: z.union([z.literal(0), z.literal(1)]),
  source: z.string(),
  created_by: z.int().nullable(),
});

export const role = z.object({ role_id: id, name: z.string() });
const permissionEntry = z.object({ permission_id: z.int(), name: z.string() });
export const roleDetail = role.extend({ description: z.string(), permissions: z.array(permissionEntry) });
export const permissions = z.array(permissionEntry.loose());

/** GET /statistics: counts by name (campaign_total, transmission_active, spool_failed…). */
export const statistics = z.record(z.string(), z.int().min(0));
/** An account's setting: its value, or null when it has none. */
export const setting = z.string().nullable();
/** A message's media as uploaded or converted (a PDF, a TIFF, a WAV…), its type in Content-Type. */
export const mediaFile = z.string().describe('the file');
