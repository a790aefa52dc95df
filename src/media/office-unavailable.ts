import type { Catalogued } from '../core/errors.js';

/**
 * Why LibreOffice could not be started: the network namespace it must run in cannot be made, a
 * program it needs is missing, or it did not come up in time.
 */
export type OfficeUnavailableCode = 'no_namespace' | 'not_installed' | 'start_failed' | 'start_timeout';

/**
 * The office converter cannot run on this host now. The server's environment is failing, not the
 * client's document: the faces answer 503 with Retry-After (catalogue code `unavailable`, see src/api/refusal.ts), the operator
 * reads the cause (sysctls, packages) in the log and from `switchpost convert fax`.
 */
export class OfficeUnavailable extends Error implements Catalogued {
  override name = 'OfficeUnavailable';
  readonly errorCode = 'unavailable';
  constructor(
    readonly code: OfficeUnavailableCode,
    message: string,
  ) {
    super(message);
  }

  /** The answer for a client: no host details (those are for the operator's log). */
  get publicMessage(): string {
    return 'office documents cannot be converted now (the converter is unavailable on this server); nothing was stored, try again later';
  }
}
