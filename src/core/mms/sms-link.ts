/**
 * The SMS-with-a-link path of an MMS (issue 20): the text as an SMS, with a short, signed, expiring
 * link (`/m/<token>`, kind `file`) to each media part. A part's hosted file is the job's, shared by its
 * recipients (`j<job>p<n>`): the token, not the file, is per recipient and carries the expiry.
 */
import type { MmsMessage } from '../mms.js';
import type { Outcome } from '../outcomes.js';
import { hostedUrl, signHostedToken } from './hosted-token.js';

/** The hosted ref of a job's n-th media part (from 1) for its links. */
export const linkRef = (jobId: number, part: number): string => `j${jobId}p${part}`;

/** Each media part's link for one recipient, valid until `expiresAt`. */
export function mediaLinks(jobId: number, parts: number, baseUrl: string, key: Buffer, expiresAt: Date): string[] {
  return Array.from({ length: parts }, (_, i) => hostedUrl(baseUrl, signHostedToken({ kind: 'file', ref: linkRef(jobId, i + 1), expiresAt }, key)));
}

/** The SMS: the subject on its own line when there is one, the text, then each link on its own line. */
export function linkText(m: Pick<MmsMessage, 'subject' | 'text'>, links: readonly string[]): string {
  return [m.subject, m.text, ...links].filter((s) => s !== '').join('\n');
}

/**
 * Whether a WAP Push's failure falls back to the link, where the provider allows it: a refusal the
 * SMSC or the encoder made (the same SMS may go as text), not an invalid number (no SMS reaches it
 * either) and not a retryable failure (its retry is a WAP Push again).
 */
export const fallsBack = (o: Outcome): o is Extract<Outcome, { kind: 'failed' }> => o.kind === 'failed' && !o.retryable && o.state !== 'invalid';
