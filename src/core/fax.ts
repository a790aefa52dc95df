/** The T.38 a freeswitch provider offers for faxes (its `settings.t38`). */
export type T38Mode = 'off' | 'request' | 'accept';

/** A loopback/ endpoint never answers a T.38 re-INVITE (txfax then waits for ever): audio there, T.38 requested elsewhere. */
export const defaultT38 = (dialstring: string): T38Mode => (dialstring.startsWith('loopback/') ? 'off' : 'request');

/** mod_spandsp's channel variables for a mode; `audio`: T.38 failed to this number before, so none. */
export function t38Variables(mode: T38Mode, audio: boolean): { fax_enable_t38: string; fax_enable_t38_request: string } {
  const m = audio ? 'off' : mode;
  return { fax_enable_t38: String(m !== 'off'), fax_enable_t38_request: String(m === 'request') };
}

/**
 * Whether T.38 is to blame for a failed fax, from mod_spandsp's `fax_t38_status` (off, requested,
 * negotiated, refused): requested and never answered, or negotiated and not one page went. Pages that
 * went over T.38 show it works; refused means the fax went on in audio, so audio failed, not T.38.
 */
export const t38Failed = (success: boolean, t38Status: string, pages: number): boolean => !success && (t38Status === 'requested' || (t38Status === 'negotiated' && pages === 0));

/** The outcome code a T.38 failure is stored under; the spool finds earlier T.38 failures to a number by it. */
export const T38_FAILURE_CODE = 'fax_t38_';

/**
 * The documents the fax converter takes (media/fax.ts: PDF, text, images, TIFF, and with LibreOffice
 * the office types of media/office.ts), by the MIME type a client sends: the extension each is read as.
 */
export const FAX_DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'text/plain': 'txt',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/tiff': 'tif',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};
