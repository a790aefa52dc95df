import type { Content } from './content.js';
import type { Blackout, Channel, MergeFields, RecipientState } from './model.js';

/**
 * A face's own request fields, kept to echo back in its reports: opaque to the core and the spool, read
 * only by the face that wrote them.
 */
export type FaceFields = Readonly<Record<string, unknown>>;

/** A job as the core accepts it from any face, already validated. */
export interface NewJob {
  userId: number;
  face: string;
  channel: Channel;
  name: string | null;
  /** What it sends, checked by `checkContent` when the job is stored. */
  content: Content;
  /** The face's request fields to echo back. */
  options: FaceFields;
  /** Tries per recipient (ICTCore's try_allowed), else the daemon's retry policy. */
  tries?: number | null;
  /** A reply that is this word (case and surrounding space aside) opts its number out (seed 000's optout_code). */
  optoutCode?: string | null;
  callbackUrl: string | null;
  sender: string | null;
  scheduledAt: number | null;
  validUntil: number | null;
  replyUntil: number | null;
  cutoff: string | null;
  blackouts: Blackout[];
  recipients: NewRecipient[];
  /** A face's own id for the job (Retarus "J.…"). */
  externalId?: string;
  /** Digest of content and recipients, for duplicate detection. */
  dedupeKey?: string;
  /** ICTCore: the program, account and campaign the job comes from. */
  programId?: number | null;
  accountId?: number | null;
  campaignId?: number | null;
  /** Stored but not sent until asked (ICTCore's transmission before POST …/send). */
  held?: boolean;
}

/**
 * A job with nothing but what it must say: no schedule, validity, reply window, cutoff, blackouts,
 * callback or sender unless given (the CLI's test SMS, fixtures). Faces spell out every field.
 */
export function plainJob(job: Pick<NewJob, 'userId' | 'face' | 'channel' | 'content' | 'recipients'> & Partial<NewJob>): NewJob {
  return { name: null, options: {}, callbackUrl: null, sender: null, scheduledAt: null, validUntil: null, replyUntil: null, cutoff: null, blackouts: [], ...job };
}

/** due_at of a recipient that waits to be sent on request: later than any real time. */
export const HELD_UNTIL = 9_000_000_000_000_000;

export interface NewRecipient {
  /** The destination as the client gave it; the spool validates it to E.164. */
  destination: string;
  name: string | null;
  reference: string | null;
  fields: MergeFields | null;
  blackouts: Blackout[] | null;
  /** Lower goes first among prioritised recipients (uContact); undefined/null: by due time only. */
  priority?: number | null;
  /** The address-book contact it was made from (ICTCore). */
  contactId?: number | null;
  /** When it may go, if not with the job (a campaign spreads its recipients by calls per minute). */
  dueAt?: number;
}

/** What the spool and the callback formatters know of a job while it runs. */
export interface JobInfo {
  id: number;
  userId: number;
  face: string;
  channel: Channel;
  name: string | null;
  sender: string | null;
  callbackUrl: string | null;
  options: FaceFields;
  tries: number | null;
  optoutCode: string | null;
  replyUntil: number | null;
  timezone: string;
  country: string;
}

/** A recipient as reported in events and callbacks. */
export interface RecipientView {
  id: number;
  jobId: number;
  destination: string;
  address: string | null;
  name: string | null;
  reference: string | null;
  state: RecipientState;
  reason: string | null;
  cost: number | null;
  duration: number | null;
  keypress: string | null;
  voicemail: boolean | null;
}

/** An attempt a previous run left open with a peer id (a call placed or up). */
export interface OpenAttempt {
  attemptId: number;
  recipientId: number;
  destination: string;
  peerId: string;
  state: 'sending' | 'submitted';
}
