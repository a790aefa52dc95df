/**
 * What the hosted media route learns from a handset, reported through this interface to whoever
 * wires it (main.ts): the spool will mark the recipient whose ref it is retrieved or delivered.
 */
import type { HostedKind } from './hosted-token.js';
import type { HandsetResponse } from './responses.js';

export interface HandsetEvents {
  /** A hosted URL was fetched whole: an M-Retrieve.conf (`mms`) or an SMS link's file (`file`). */
  fetched(e: { kind: HostedKind; ref: string; at: number; bytes: number }): void;
  /**
   * The handset answered: M-NotifyResp.ind (its X-Mms-Status: `retrieved` is delivered, `deferred`
   * means it will fetch later, `rejected` refused) or M-Acknowledge.ind (retrieved after a deferral).
   */
  answered(e: { ref: string; at: number; response: HandsetResponse }): void;
}
