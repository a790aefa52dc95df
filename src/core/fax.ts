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
