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
  data?: InboundDetails;
}

/** What the link said of an inbound message beyond its text, stored with it (snake_case, as kept). */
export interface InboundDetails {
  /** The path it came by when not the provider's own protocol (Kannel's get-url). */
  via?: string;
  /** SMS parts it was reassembled from, and their data_coding. */
  parts?: number;
  data_coding?: number;
  /** 8-bit data that is not text: kept as received. */
  binary?: boolean;
  /** Given up waiting for its other parts: the parts (1-based) that never came. */
  incomplete?: boolean;
  missing?: number[];
}
