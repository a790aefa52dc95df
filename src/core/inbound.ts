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
  /** An e-mail's Subject (channel `email`). */
  subject?: string;
  /**
   * An MMS received (channel `mms`): its subject, the id the MMSC linked it by, and its media parts: type,
   * bytes, and, when kept, the sha256 and the file under the data dir (`media/mms-in/<sha256>`).
   */
  mms?: { subject?: string; linked_id?: string; parts: { type: string; size: number; declared?: string; sha256?: string; file?: string }[] };
  /** A fax received on an inbound call (channel `fax`): what spandsp reported and where the document is. */
  fax?: InboundFax;
}

/**
 * A received fax as the freeswitch gateway reports it, from mod_spandsp's result after `rxfax`: the
 * CUSTOM spandsp::rxfaxresult event and the channel variables its phase E handler sets (fax_success,
 * fax_result_code, fax_result_text, fax_document_transferred_pages, fax_document_total_pages,
 * fax_remote_station_id, fax_image_resolution, fax_transfer_rate, fax_t38_status; checked in
 * mod_spandsp_fax.c). A failed or partial receive is reported too, with the pages that did arrive; so is
 * a call that never got a result (success false, result_code -1, result_text saying why).
 */
export interface InboundFax {
  /** The call's Unique-ID. */
  call_uuid: string;
  /** The received pages as a PDF, relative to the data dir (media/fax-in/<our id>.pdf); null when no page arrived. */
  pdf: string | null;
  /** Pages received: those in the PDF (spandsp's fax_document_transferred_pages counts the same). */
  pages: number;
  /**
   * fax_document_total_pages. On receive spandsp counts the pages it wrote to the file (t4_rx's
   * pages_in_file), not a total the sender announced: T.30 announces none, so this is never more than `pages`.
   */
  total_pages?: number;
  /** spandsp's verdict: fax_success = 1 (T.30 ended with T30_ERR_OK). */
  success: boolean;
  /** spandsp's T.30 completion code (0 OK, 49 the call dropped prematurely…); -1 when spandsp gave none. */
  result_code: number;
  result_text: string;
  /** The sender's fax ident (TSI) as it sent it, printable ASCII only. */
  remote_station_id?: string;
  /** fax_image_resolution, "<x>x<y>" in pixels per metre as spandsp counts it: "8031x3850" is 204×98 dpi, "8031x7700" 204×196. */
  resolution?: string;
  /** Bits per second (fax_transfer_rate). */
  transfer_rate?: number;
  /** fax_t38_status: "off", "requested", "negotiated", "refused". */
  t38?: string;
  /** Seconds from answer to the result. */
  duration_s?: number;
}
