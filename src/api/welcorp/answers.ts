import { z } from 'zod';

/**
 * The v1 face's answers as JSON Schema for its OpenAPI document (the handlers build them as plain
 * objects: present.ts, users.ts, paginate.ts). Objects are loose where the seed's own answers carry
 * keys this face does not make (the seed's user has `timezone_id`, `title`…) or the face adds keys
 * beyond the seed (a report's `sms_parts`, a user's `country`): a client reads the keys it knows.
 * test/api/welcorp-openapi.test.ts holds these to the face's real answers and to the seed's examples.
 */

const id = z.int().min(1);
const text = z.string().nullable();
/** "2023-08-29 22:15:57" (lists) or ISO 8601 with offset (details), in the owner's zone; null when it did not happen. */
const date = z.string().nullable();
/** A cost; null for a user whose hide_costs_in_reports is set. */
const cost = z.number().nullable();

/** `{"status": 200, "data": …}`. */
const ok = <T extends z.ZodType>(data: T) => z.object({ status: z.literal(200), data });

/** The face's error answer: `{"status": <the HTTP status>, "errors": "…"}` (2FA's validation: a list of messages). */
export const errorAnswer = z.object({ status: z.int().min(400).max(599), errors: z.union([z.string(), z.array(z.string())]) });

/** Laravel's LengthAwarePaginator JSON (paginate.ts) with the face's `status` beside it. */
const page = <T extends z.ZodType>(item: T) =>
  z.object({
    current_page: z.int().min(1),
    data: z.array(item),
    first_page_url: z.string(),
    from: z.int().nullable(),
    last_page: z.int().min(1),
    last_page_url: z.string(),
    links: z.array(z.object({ url: z.string().nullable(), label: z.string(), active: z.boolean() })),
    next_page_url: z.string().nullable(),
    path: z.string(),
    per_page: z.int().min(1),
    prev_page_url: z.string().nullable(),
    to: z.int().nullable(),
    total: z.int().min(0),
    status: z.literal(200),
  });

/** A job in the list (present.ts jobSummary). */
const jobSummary = z.object({
  job_id: id,
  user_id: id,
  user_code: z.string(),
  job_type: z.string(),
  job_name: text,
  start_date: date,
  send_date: date,
  complete_date: date,
  scheduled_date: date,
  total_recipients: z.int().min(0),
  failed_recipients: z.int().min(0),
  sent_recipients: z.int().min(0),
  total_amount: cost,
  job_status: z.string(),
  details_url: z.string(),
});

/** A recipient's report in a job's detail (present.ts report). */
const report = z.looseObject({
  report_id: id,
  reference: text,
  recipient: text,
  destination: z.string(),
  status: z.string(),
  duration: z.number().nullable(),
  message_cost: cost,
  stage: z.string(),
  notes: text,
  send_date_time: date,
  sms_parts: z.int().nullable().optional(),
  sms_encoding: text.optional(),
  callback_status: text.optional(),
  callback_error: text.optional(),
});

/** A job's detail (present.ts jobDetail): the request's own fields echoed, then what the job is now. */
const jobDetail = z.looseObject({
  job_id: id,
  user_id: id,
  cost,
  user_code: z.string(),
  job_type: z.string(),
  job_name: text,
  start_date: date,
  send_date: date,
  complete_date: date,
  scheduled_date: date,
  dedupe: z.union([z.int(), z.boolean()]),
  total_recipients: z.int().min(0),
  failed_recipients: z.int().min(0),
  sent_recipients: z.int().min(0),
  total_amount: cost,
  total_duration: z.number().min(0),
  job_status: z.string(),
  manual_sender_id: text,
  message: text,
  callback_url: text,
  cutoff_hour: text,
  recipients: z.array(z.looseObject({ destination: z.string(), reference: text, recipient: text })),
  user_list_ids: z.union([z.null(), z.string(), z.int(), z.array(z.int())]),
  reports: z.array(report),
});

/** A user (users.ts present): its settings beside its identity, and its company. */
const user = z.looseObject({
  user_id: id,
  company_id: z.int().nullable(),
  agent_id: z.int().nullable(),
  user_code: z.string(),
  first_name: text,
  last_name: text,
  email: text,
  phone: text,
  fax: text,
  mobile: text,
  user_live: z.boolean(),
  user_added: z.string(),
  timezone: z.string().optional(),
  country: z.string().optional(),
  company: z.looseObject({ company_id: id, name: z.string() }).nullable(),
});

export const ANSWERS = {
  created: ok(id).describe('the new job id'),
  jobs: page(jobSummary),
  job: ok(jobDetail),
  /** An admin or agent gets a page of the users it sees; a user, itself. */
  users: z.union([page(user), ok(user)]),
  user: ok(user),
  saved: ok(id).describe('the user id'),
  codeSent: ok(z.literal('message sent')),
  codeChecked: ok(z.enum(['valid', 'invalid'])),
} as const;
