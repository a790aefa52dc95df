import { z } from 'zod';

/**
 * The Retarus face's answers as JSON Schema for its OpenAPI document (the handlers build them as
 * plain objects: present.ts). Keys the seed marks optional are optional here, as the face leaves them
 * out (a job without a billcode, a recipient not yet sent). test/api/retarus-openapi.test.ts holds
 * these to the face's real answers and to the seed's examples.
 */

/** ISO 8601 with its offset, in the owner's zone ("2018-09-24T12:17:44.653+02:00"). */
const ts = z.string();

/** The face's error answer: `{"message": "…"}`. */
export const errorAnswer = z.object({ message: z.string() });

const jobId = z.object({ jobId: z.string() });

/** A job's report (present.ts jobReport). */
const jobReport = z.object({
  jobId: z.string(),
  src: z.string().optional(),
  encoding: z.string(),
  billcode: z.string().optional(),
  statusRequested: z.boolean(),
  flash: z.boolean(),
  validityMin: z.int().optional(),
  customerRef: z.string().optional(),
  qos: z.string(),
  receiptTs: ts,
  finishedTs: ts.optional(),
  recipientIds: z.array(z.string()),
});

/** A recipient's report (present.ts recipientReport): processStatus always, the rest once known. */
const recipientReport = z.object({
  smsId: z.string(),
  dst: z.string(),
  processStatus: z.enum(['OPEN', 'DONE']),
  status: z
    .string()
    .regex(/^(SUC|ERR)_[A-Z]{3}$/)
    .optional(),
  customerRef: z.string().optional(),
  reason: z.string().optional(),
  sentTs: ts.optional(),
  finishedTs: ts.optional(),
});

const version = z.object({ buildNumber: z.int(), buildTimestamp: z.string(), majorVersion: z.int(), minorVersion: z.int(), versionInfo: z.string(), message: z.string() });

export const ANSWERS = {
  created: jobId,
  jobIds: z.array(jobId),
  jobReport,
  recipients: z.array(recipientReport),
  version,
} as const;
