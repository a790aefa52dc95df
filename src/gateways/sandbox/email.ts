import type { Delivery, GatewaySink } from '../gateway.js';
import type { Outcome } from '../../core/outcomes.js';

/** What the sandbox does with an e-mail, by the address's local part (see README.md, "E-mail test addresses"). */
export type SandboxEmailBehaviour = 'delivered' | 'tempfail_once' | 'deferred' | 'undeliverable' | 'bounce';

const BY_LOCAL_PART: Record<string, SandboxEmailBehaviour> = {
  tempfail: 'tempfail_once',
  deferred: 'deferred',
  undeliverable: 'undeliverable',
  bounce: 'bounce',
};

export const sandboxEmailBehaviour = (address: string): SandboxEmailBehaviour => {
  const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
  return BY_LOCAL_PART[local] ?? 'delivered';
};

/**
 * The sandbox's e-mail: answers as an SMTP relay would for each test address (250 with a queue id, 451
 * once then 250, always 451, 550, or 250 and a DSN after it, as the bounce listener reports one), so
 * a v1 email job completes on a fresh install.
 */
export class SandboxEmail {
  private readonly deferredOnce = new Set<number>();
  private next = 1;

  constructor(
    private readonly sink: GatewaySink,
    private readonly runPrefix: string,
    /** When the bounce of a `bounce@` address comes (the sandbox's receipt delay): after its 250 is stored. */
    private readonly later: (fn: () => void) => void = () => undefined,
  ) {}

  accept(d: Delivery): void {
    const report = (outcome: Outcome) => this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
    const behaviour = sandboxEmailBehaviour(d.destination);
    if (behaviour === 'undeliverable') return report({ kind: 'failed', retryable: false, state: 'undeliverable', reason: `550 5.1.1 <${d.destination}>: Recipient address rejected: User unknown`, code: '550' });
    if (behaviour === 'deferred' || (behaviour === 'tempfail_once' && !this.deferredOnce.has(d.recipientId))) {
      this.deferredOnce.add(d.recipientId);
      return report({ kind: 'failed', retryable: true, reason: `451 4.7.1 <${d.destination}>: Recipient address rejected: Greylisted, try again later`, code: '451' });
    }
    report({ kind: 'accepted', peerId: `${this.runPrefix}E${(this.next++).toString(16).padStart(8, '0')}`, awaitReceipt: false });
    // The remote MTA took it from the relay, then refused it: its DSN, as the listener turns one into an outcome.
    if (behaviour === 'bounce') this.later(() => report({ kind: 'bounced', reason: `550 5.1.1 <${d.destination}>: Recipient address rejected: User unknown in virtual mailbox table`, code: '5.1.1' }));
  }
}
