import type { CallDelivery } from '../gateway.js';
import type { CallPlan } from '../../core/call-plan.js';
import type { Outcome } from '../../core/outcomes.js';
import { hangupOutcome } from '../freeswitch/hangup.js';
import type { SandboxLine } from './line.js';

/** What the sandbox does with a call, by the destination's last three digits (README.md). */
export type CallBehaviour = 'answered' | 'busy' | 'no_answer' | 'press_1' | 'press_2' | 'press_3' | 'voicemail';

const BY_SUFFIX: Record<string, CallBehaviour> = {
  '011': 'answered',
  '012': 'busy',
  '013': 'no_answer',
  '014': 'press_1',
  '015': 'press_2',
  '016': 'press_3',
  '017': 'voicemail',
};

export const callBehaviour = (destination: string): CallBehaviour => BY_SUFFIX[destination.slice(-3)] ?? 'answered';

/** The simulated call's seconds (billsec), fixed so that reports can be checked. */
export const CALL_SECONDS = {
  /** An answered call heard to the end. */
  answered: 30,
  /** A 2-way call hung up after its key, when the key has no response. */
  keyPressed: 12,
  /** Added by a key's response message. */
  response: 8,
  /** Added by a key's redirect: the bridged call. */
  redirect: 60,
  /** An answering machine: the voicemail message left after the beep. */
  voicemail: 25,
} as const;

/** What an answered call produced: its seconds, the key pressed (2-way calls only) and voicemail. */
export function answeredCall(behaviour: CallBehaviour, plan: CallPlan): { billsec: number; keypress: string | null; voicemail: boolean } {
  if (behaviour === 'voicemail') return { billsec: CALL_SECONDS.voicemail, keypress: null, voicemail: true };
  const key = behaviour === 'press_1' ? '1' : behaviour === 'press_2' ? '2' : behaviour === 'press_3' ? '3' : null;
  // A 1-way call collects no key: heard to the end like any other.
  if (key === null || !plan.collect) return { billsec: CALL_SECONDS.answered, keypress: null, voicemail: false };
  const r = plan.responses[key];
  const billsec = CALL_SECONDS.keyPressed + (r?.message ? CALL_SECONDS.response : 0) + (r?.redirectTo ? CALL_SECONDS.redirect : 0);
  return { billsec, keypress: key, voicemail: false };
}

/**
 * A call as the FreeSWITCH gateway reports one, with its outcomes (hangup.ts): dialled (its id stored),
 * then either not answered (busy, no answer: retried by policy) or answered (accepted), and at its end
 * delivered with its seconds, key and voicemail.
 */
export function sandboxCall(line: SandboxLine, d: CallDelivery): void {
  const behaviour = callBehaviour(d.destination);
  const peerId = line.peerId();
  const report = (o: Outcome) => line.report(d.attemptId, o);
  report({ kind: 'dialing', peerId });
  line.later(line.ringMs(), () => {
    if (behaviour === 'busy') return report(hangupOutcome({ cause: 'USER_BUSY', answered: false, billsec: 0 }));
    if (behaviour === 'no_answer') return report(hangupOutcome({ cause: 'NO_ANSWER', answered: false, billsec: 0 }));
    report({ kind: 'accepted', peerId, awaitReceipt: true });
    const heard = answeredCall(behaviour, d.call);
    line.later(line.ringMs(), () => {
      const end = hangupOutcome({ cause: 'NORMAL_CLEARING', answered: true, billsec: heard.billsec });
      report(end.kind === 'receipt' ? { ...end, call: { duration: heard.billsec, keypress: heard.keypress, voicemail: heard.voicemail } } : end);
    });
  });
}
