/** A message that came in through a provider (MO SMS, reply), or that a user injected through a face. */
export interface InboundMessage {
  /** null when it came through an API rather than a provider (uContact's ReceiveURLSMS). */
  providerId: number | null;
  /** Set when a user injected it through a face: it is that user's and can answer only that user's jobs. */
  userId?: number;
  channel: 'sms' | 'mms' | 'fax' | 'email';
  from: string;
  to: string | null;
  text: string;
  at: number;
  data?: Record<string, unknown>;
}
