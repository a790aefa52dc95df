import type { CurrentRow } from '../store/spool.js';
import type { EventBus, SpoolEvent } from '../events/bus.js';
import type { RecipientView } from '../core/jobs.js';
import type { RecipientState } from '../core/model.js';
import type { SpoolJob } from './job-cache.js';

/** How a recipient's change is told outside: its recipient.updated event, its view for callbacks. */

/** Queue a recipient.updated event, unless nobody listens (with no stream client, a 100k job would build 200k for nothing). */
export function queueUpdated(bus: EventBus, events: SpoolEvent[], job: SpoolJob, recipientId: number, destination: string, state: RecipientState, reason: string | null, now: number): void {
  if (bus.wants('recipient.updated')) events.push({ type: 'recipient.updated', at: now, userId: job.info.userId, jobId: job.info.id, recipientId, destination, state, reason });
}

/** The recipient as a callback formatter sees it. */
export function viewOf(cur: CurrentRow, state: RecipientState, reason: string | null): RecipientView {
  return {
    id: cur.id,
    jobId: cur.job_id,
    destination: cur.destination,
    address: cur.address,
    name: cur.name,
    reference: cur.reference,
    state,
    reason,
    cost: cur.cost,
    duration: cur.duration,
    keypress: cur.keypress,
    voicemail: cur.voicemail === null ? null : cur.voicemail === 1,
  };
}
