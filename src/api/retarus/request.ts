import { z } from 'zod';

/** Limits of one request: they keep a POST within the body limit and the 100k-recipient budget. */
export const MAX_MESSAGES = 1000;
export const MAX_RECIPIENTS = 1_000_000;
export const MAX_TEXT = 1600;

const interval = z.string().max(200);

export const optionsSchema = z.strictObject({
  src: z.string().max(20).optional(),
  encoding: z.string().max(20).optional(),
  billcode: z.string().max(255).optional(),
  statusRequested: z.boolean().optional(),
  flash: z.boolean().optional(),
  customerRef: z.string().max(255).optional(),
  validityMin: z
    .number()
    .int()
    .min(1)
    .max(7 * 1440)
    .optional(),
  maxParts: z.number().int().min(1).max(255).optional(),
  invalidCharacters: z.string().max(20).optional(),
  qos: z.string().max(20).optional(),
  jobPeriod: z.string().max(64).optional(),
  duplicateDetection: z.boolean().optional(),
  blackoutPeriods: z.array(interval).max(100).optional(),
});
export type RetarusOptions = z.infer<typeof optionsSchema>;

export const recipientSchema = z.strictObject({
  dst: z.string().min(1).max(64),
  customerRef: z.string().max(255).optional(),
  blackoutPeriods: z.array(interval).max(100).optional(),
});

export const messageSchema = z.strictObject({
  text: z.string().max(MAX_TEXT, `at most ${MAX_TEXT} characters`),
  recipients: z.array(recipientSchema).max(MAX_RECIPIENTS),
});

export type RetarusMessage = z.infer<typeof messageSchema>;

/**
 * The JobRequest as a whole, made of the schemas toNewJob parses its parts with (each part on its
 * own, so a refusal names its field): what the OpenAPI document says the body is.
 */
export const jobRequestSchema = z.strictObject({
  options: optionsSchema.optional(),
  messages: z.array(messageSchema).min(1).max(MAX_MESSAGES),
});
