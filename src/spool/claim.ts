import type { DueRow } from '../store/spool.js';
import type { Gateway } from '../gateways/gateway.js';
import type { Provider } from '../store/providers.js';
import { nextAllowed } from '../core/windows.js';
import { validateNumber } from '../core/numbers.js';
import { checkEmailAddress } from '../core/email-address.js';
import type { Blackout, Service } from '../core/model.js';
import type { Content } from '../core/content.js';
import type { SpoolJob } from './job-cache.js';
import type { Pick } from './provider-pool.js';

/** A recipient that ends here, never reaching a gateway. */
export type ClaimFinal = 'invalid' | 'opted_out' | 'expired' | 'cancelled' | 'failed';

/** What the claim does with one due row: decided in memory, written afterwards with the batch. */
export type RowDecision =
  | { kind: 'reschedule'; row: DueRow; at: number; reason: string }
  | { kind: 'final'; row: DueRow; job: SpoolJob; state: ClaimFinal; reason: string }
  /** No provider can take its service for a while (a link down): held until then, remembered for the link's return. */
  | { kind: 'hold'; row: DueRow; service: Service; until: number; reason: string }
  /** Held back by a limit that clears in milliseconds (rate, concurrency): it stays due, nothing written. */
  | { kind: 'stay'; row: DueRow }
  | { kind: 'send'; row: DueRow; job: SpoolJob; content: Content; address: string; provider: Provider; gateway: Gateway; lastTry: boolean };

/** What the decisions read, all of it fetched for the batch before any is made. */
export interface ClaimFacts {
  now: number;
  job(id: number): SpoolJob | undefined;
  /** Each row's address: stored, or its destination checked now (null: the check's reason). */
  address(row: DueRow, job: SpoolJob): { ok: true; e164: string } | { ok: false; reason: string };
  optedOut(userId: number, address: string): boolean;
  /** The provider of a retry's last attempt (passed over when another can take it). */
  lastProvider(row: DueRow): number | null;
  pick(service: Service, avoid: number | null): Pick;
}

/** The row's address as the claim uses it: the stored one, or the destination checked now (an e-mail job's as a mailbox, others' as a number in the job's country). */
export const addressOf = (row: DueRow, job: SpoolJob): { ok: true; e164: string } | { ok: false; reason: string } => {
  if (row.address !== null) return { ok: true, e164: row.address };
  if (job.info.channel !== 'email') return validateNumber(row.destination, job.info.country);
  const checked = checkEmailAddress(row.destination);
  return checked.ok ? { ok: true, e164: checked.address } : checked;
};

/**
 * The claim's decisions for a batch, in row order: windows, the job's state and tries, the number, opt-outs,
 * then a provider by the pool (which counts its picks as it goes). A service no provider can take is decided
 * once for the batch: its later rows wait with it.
 */
export function decideClaim(rows: readonly DueRow[], facts: ClaimFacts): RowDecision[] {
  const { now } = facts;
  const blocked = new Map<Service, { retryAt: number; reason: string }>();
  const held = (row: DueRow, service: Service, b: { retryAt: number; reason: string }): RowDecision =>
    // A provider that is down holds its work for seconds; rate and concurrency limits clear in milliseconds.
    b.retryAt - now > 1000 ? { kind: 'hold', row, service, until: b.retryAt, reason: b.reason } : { kind: 'stay', row };
  return rows.map((row): RowDecision => {
    const job = facts.job(row.job_id);
    if (!job) return { kind: 'reschedule', row, at: now + 60_000, reason: 'its job is missing' };
    const final = (state: ClaimFinal, reason: string): RowDecision => ({ kind: 'final', row, job, state, reason });
    const content = job.content;
    if (!content) return final('failed', `its job cannot be sent: ${job.unreadable ?? 'no content'}`);
    if (job.status === 'cancelled') return final('cancelled', 'job cancelled');
    // Every try it is allowed was used (a last try requeued by a stop past its grace, a lease whose job was
    // unknown at start-up): it may have gone, so it is never sent as one try more.
    if (row.tries >= job.retry.tries) return final('failed', `no try left: its ${job.retry.tries} ${job.retry.tries === 1 ? 'try was' : 'tries were'} used (the last may have been sent)`);
    const rules = row.blackouts ? { ...job.rules, blackouts: [...(job.rules.blackouts ?? []), ...(JSON.parse(row.blackouts) as Blackout[])] } : job.rules;
    const allowed = nextAllowed(now, rules);
    if ('expired' in allowed) return final('expired', 'validity ended before it could be sent');
    if (allowed.at > now) return { kind: 'reschedule', row, at: allowed.at, reason: 'waiting for its sending window' };
    const waiting = blocked.get(job.service);
    if (waiting) return held(row, job.service, waiting);
    const address = facts.address(row, job);
    if (!address.ok) return final('invalid', address.reason);
    if (facts.optedOut(job.info.userId, address.e164)) return final('opted_out', 'the number opted out');
    const pick = facts.pick(job.service, facts.lastProvider(row));
    if (!pick.ok) {
      blocked.set(job.service, pick);
      return held(row, job.service, pick);
    }
    return { kind: 'send', row, job, content, address: address.e164, provider: pick.provider, gateway: pick.gateway, lastTry: row.tries + 1 >= job.retry.tries };
  });
}
