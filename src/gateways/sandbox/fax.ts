import { readFile } from 'node:fs/promises';
import type { FaxDelivery } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';
import { tiffPages } from '../../media/fax.js';
import { faxOutcome, type FaxResult } from '../freeswitch/hangup.js';
import type { SandboxLine } from './line.js';

/** What the sandbox does with a fax, by the destination's last three digits (README.md). */
export type FaxBehaviour = 'delivered' | 'partial' | 't38_failure';

const BY_SUFFIX: Record<string, FaxBehaviour> = {
  '021': 'delivered',
  '022': 'partial',
  '023': 't38_failure',
};

export const faxBehaviour = (destination: string): FaxBehaviour => BY_SUFFIX[destination.slice(-3)] ?? 'delivered';

/** A TIFF's pages; 0 for one that cannot be read. */
const pagesOf = (tiff: Buffer): number => {
  try {
    return tiffPages(tiff);
  } catch {
    return 0;
  }
};

/** Seconds a page takes on the line (billsec of the simulated call). */
export const FAX_SECONDS_PER_PAGE = 20;

/**
 * spandsp's result for this try, as txfax would set it: `total` the document's pages, `startPage` where
 * this try began (a retry of a partial fax), `audio` whether T.38 is off for this number after a failure.
 * A partial fax drops after half its pages (spandsp's 49, "The call dropped prematurely"), and is
 * resumed by its retry; a T.38 failure is spandsp's 20 over a negotiated T.38 with no page sent, and its
 * retry, in audio, goes. A one-page partial fax drops before its page once, then goes.
 */
export function faxResult(behaviour: FaxBehaviour, total: number, startPage: number, audio: boolean, triedBefore: boolean): FaxResult {
  const rest = total - startPage;
  const went = (t38: string): FaxResult => ({ success: true, code: '0', text: 'OK', pages: rest, total, t38 });
  if (behaviour === 'partial' && startPage === 0 && !triedBefore) {
    return { success: false, code: '49', text: 'The call dropped prematurely', pages: Math.floor(total / 2), total, t38: 'negotiated' };
  }
  if (behaviour === 't38_failure') {
    return audio ? went('off') : { success: false, code: '20', text: 'Received no response to DCS or TCF', pages: 0, total, t38: 'negotiated' };
  }
  return went(audio ? 'off' : 'negotiated');
}

/**
 * Faxes as the FreeSWITCH gateway reports them (its faxOutcome): dialled, answered, then delivered with
 * the pages or failed with spandsp's result, so the spool resumes a partial fax after its pages and sends
 * after a T.38 failure in audio (both from the attempts' history: Delivery.fax).
 */
export class SandboxFax {
  /** Recipients whose partial fax dropped once (a one-page fax leaves no pages in the history). */
  private readonly dropped = new Set<number>();

  constructor(private readonly line: SandboxLine) {}

  send(d: FaxDelivery): void {
    const report = (o: Outcome) => this.line.report(d.attemptId, o);
    // Through later(): nothing is reported once the sandbox has stopped.
    void readFile(d.fax.file).then(
      (tiff) => this.line.later(0, () => this.call(d, pagesOf(tiff), report)),
      (err: Error) => this.line.later(0, () => report({ kind: 'failed', retryable: true, reason: `could not place the call: ${err.message}` })),
    );
  }

  private call(d: FaxDelivery, total: number, report: (o: Outcome) => void): void {
    if (total === 0) return report({ kind: 'failed', retryable: false, state: 'rejected', reason: 'fax failed: the document has no pages', code: 'fax' });
    const behaviour = faxBehaviour(d.destination);
    const peerId = this.line.peerId();
    report({ kind: 'dialing', peerId });
    this.line.later(this.line.ringMs(), () => {
      report({ kind: 'accepted', peerId, awaitReceipt: true });
      this.line.later(this.line.ringMs(), () => {
        const r = faxResult(behaviour, total, d.fax.startPage, d.fax.audio, this.dropped.has(d.recipientId));
        if (behaviour === 'partial' && !r.success) this.dropped.add(d.recipientId);
        report(faxOutcome(r, Math.max(1, r.pages) * FAX_SECONDS_PER_PAGE, d.fax.startPage));
      });
    });
  }
}
