import { z } from 'zod';

/**
 * The uContact face's answers as JSON Schema for its OpenAPI document: mostly the seed's plain texts
 * (`OK`, `1`, `ERROR`), JSON where the seed or uContact's own API gives JSON (a session, SendSMSv2's
 * id, sendEmail's guid). test/api/ucontact-openapi.test.ts holds these to the face's real answers and
 * to the seed's examples.
 */

export const TEXT = 'text/plain';

/** The face's refusal (errors.ts ucontactRefuse): the text ERROR, the reason in the X-Error header. */
export const errorAnswer = z.literal('ERROR');
/** getUserToken's refusal: `0`, as uContact's API has it. */
export const zeroAnswer = z.literal('0');
/** SendSMSv2's and sendEmail's refusal, whose bodies the seed leaves undocumented. */
export const jsonError = z.object({ error: z.string() });

export const ANSWERS = {
  ok: z.literal('OK'),
  one: z.literal('1'),
  session: z.object({ token: z.string(), expires_in: z.int().min(1) }),
  /** uContact's getUserToken: the user, the session's lifetime in seconds, the token (sent back as `Authorization: Basic <token>`). */
  userToken: z.tuple([z.string(), z.int().min(1), z.string()]),
  smsId: z.object({ id: z.string() }),
  guid: z.object({ guid: z.string() }),
} as const;
