/** The shared domain model; every face maps onto these names. */

export type Role = 'admin' | 'agent' | 'user';

/** What a job sends. A channel needs a provider offering its service. */
export const CHANNELS = ['sms', 'sms2way', 'mms', 'tts', 'tts2way', 'voice', 'fax', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];
export type Service = 'sms' | 'mms' | 'voice' | 'fax' | 'email';

export const SERVICE_OF: Record<Channel, Service> = {
  sms: 'sms',
  sms2way: 'sms',
  mms: 'mms',
  tts: 'voice',
  tts2way: 'voice',
  voice: 'voice',
  fax: 'fax',
  email: 'email',
};

/**
 * A recipient's life: queued (waiting for due_at: schedule, window, retry) → sending (leased, handed to a
 * gateway) → submitted (accepted by the peer, awaiting its receipt) → one final state.
 */
export const ACTIVE_STATES = ['queued', 'sending', 'submitted'] as const;
export const SUCCESS_STATES = ['delivered', 'sent'] as const;
export const FAILURE_STATES = ['undeliverable', 'expired', 'rejected', 'failed', 'invalid', 'opted_out', 'cancelled'] as const;
export type ActiveState = (typeof ACTIVE_STATES)[number];
export type SuccessState = (typeof SUCCESS_STATES)[number];
export type FailureState = (typeof FAILURE_STATES)[number];
export type FinalState = SuccessState | FailureState;
export type RecipientState = ActiveState | FinalState;

export const isFinal = (s: RecipientState): s is FinalState => !(ACTIVE_STATES as readonly string[]).includes(s);
export const isSuccess = (s: RecipientState): s is SuccessState => s === 'delivered' || s === 'sent';

export type JobStatus = 'submitted' | 'complete' | 'cancelled';

/** Merge data of one recipient, keys lower-cased. */
export type MergeFields = Record<string, string>;

/** A blackout: sending is not allowed from start (inclusive) to end (exclusive), epoch ms. */
export type Blackout = readonly [start: number, end: number];
