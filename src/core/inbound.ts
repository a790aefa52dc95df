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
  /** An MMS received (channel `mms`): its subject, the id the MMSC linked it by, and its media parts (type, bytes); the media itself is not kept yet. */
  mms?: { subject?: string; linked_id?: string; parts: { type: string; size: number }[] };
  /** A fax received on an inbound call (channel `fax`): what spandsp reported and where the document is. */
  fax?: InboundFax;
}

/**
 * A received fax as the freeswitch gateway reports it, from spandsp's channel variables after `rxfax`
 * (mod_spandsp: fax_success, fax_result_code, fax_result_text, fax_document_transferred_pages,
 * fax_document_total_pages, fax_remote_station_id, fax_image_resolution, fax_transfer_rate,
 * fax_t38_status). A failed or partial receive is reported too, with the pages that did arrive.
 */
export interface InboundFax {
  /** The call's Unique-ID. */
  call_uuid: string;
  /** The received pages as a PDF, relative to the data dir; null when no page arrived. */
  pdf: string | null;
  /** Pages received (fax_document_transferred_pages). */
  pages: number;
  /** Pages the sender announced, when spandsp knew (fax_document_total_pages). */
  total_pages?: number;
  /** spandsp's verdict: fax_success = 1. */
  success: boolean;
  result_code: number;
  result_text: string;
  remote_station_id?: string;
  /** e.g. "8031x7700" (fax_image_resolution). */
  resolution?: string;
  /** Bits per second (fax_transfer_rate). */
  transfer_rate?: number;
  /** fax_t38_status: "off", "negotiated", … */
  t38?: string;
  /** Seconds from answer to the result. */
  duration_s?: number;
}
