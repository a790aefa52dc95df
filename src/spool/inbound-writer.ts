import type { Logger } from 'pino';
import type { SpoolStore } from '../store/spool.js';
import type { CallbackStore } from '../store/callbacks.js';
import type { ReplyStore } from '../store/replies.js';
import type { InboundMessage } from '../gateways/gateway.js';
import type { SpoolEvent } from '../events/bus.js';
import type { CallbackFormatters } from '../events/callbacks.js';
import { forwardsReply, isOptOut } from '../core/reply-match.js';
import type { JobCache } from './job-cache.js';
import { viewOf } from './recipient-updates.js';
import type { MailFollowUpWriter } from './mail-follow-ups.js';
import type { InboundRouter } from './inbound-router.js';

/**
 * Inbound messages inside the batch's transaction: a reply to a 2-way job is matched to the recipient
 * it answers (`ReplyStore.replyTarget`, by `core/reply-match`), recorded as its result, opts its number
 * out when it is the job's opt-out code and is forwarded as a callback; anything else (MO, a fax, an
 * e-mail) is routed by where it was sent to its owner's receive program (`inbound-router.ts`), or, owned
 * by nobody, stored unmatched and logged, its injector's or its provider's owner's.
 */
export class InboundWriter {
  /** The faces' reply e-mails, made in the reply's own savepoint (set by the recorder's wiring). */
  followUps: MailFollowUpWriter | null = null;
  /** Routes what answers no job to its number's or address's owner (set by the engine's wiring). */
  router: InboundRouter | null = null;

  constructor(
    private readonly spool: SpoolStore,
    private readonly replies: ReplyStore,
    private readonly jobs: JobCache,
    private readonly callbacks: CallbackStore,
    private readonly formatters: CallbackFormatters,
    private readonly log: Logger,
  ) {}

  /**
   * One inbound message, inside the batch's transaction. One that cannot be matched (a bug, a constraint)
   * must not roll back the batch and so hold up every receipt with it: its own writes are undone (a
   * savepoint) and it is kept unmatched, as received. A store that cannot take even that fails the batch.
   */
  write(m: InboundMessage, now: number, events: SpoolEvent[]): void {
    const mark = events.length;
    try {
      this.spool.tx(() => this.match(m, now, events));
    } catch (err) {
      events.length = mark;
      this.log.warn({ err, providerId: m.providerId, from: m.from }, 'inbound message could not be matched; stored unmatched');
      const userId = m.userId ?? null;
      this.replies.insertInbound({ providerId: m.providerId, userId, channel: m.channel, from: m.from, to: m.to, text: m.text, jobId: null, recipientId: null, at: m.at });
      events.push({ type: 'inbound.received', at: now, userId, from: m.from, to: m.to, text: m.text });
    }
  }

  private match(m: InboundMessage, now: number, events: SpoolEvent[]): void {
    const query = { from: m.from, to: m.to, providerId: m.providerId, userId: m.userId ?? null, at: m.at };
    const scope = this.replies.scope(query);
    // Unmatched, it is its injector's, or its provider's owner's when a reseller made that provider.
    const userId = scope.owner;
    // Only an SMS answers a 2-way SMS: a fax or an e-mail from that number is its own message.
    const target = m.channel === 'sms' || m.channel === 'mms' ? this.replies.replyTarget(query, scope) : undefined;
    const cur = target && this.spool.current(target.recipient_id);
    const job = target && this.jobs.get(target.job_id);
    if (!target || !cur || !job) {
      const route = this.router?.route(m, scope) ?? null;
      if (route) {
        const transmission = this.router!.receive(m, route, now, events);
        this.replies.insertInbound({ providerId: m.providerId, userId: route.userId, channel: m.channel, from: m.from, to: m.to, text: m.text, jobId: null, recipientId: null, at: m.at, data: { ...m.data, transmission } });
        return;
      }
      if (m.userId === undefined) this.log.info({ providerId: m.providerId, channel: m.channel, from: m.from, to: m.to }, 'inbound message to a number or address nobody owns: stored, given to no one');
      this.replies.insertInbound({ providerId: m.providerId, userId, channel: m.channel, from: m.from, to: m.to, text: m.text, jobId: null, recipientId: null, at: m.at, data: m.data });
      events.push({ type: 'inbound.received', at: now, userId, from: m.from, to: m.to, text: m.text });
      return;
    }
    const optOut = isOptOut(m.text, job.info.optoutCode);
    this.replies.insertInbound({ providerId: m.providerId, userId: job.info.userId, channel: m.channel, from: m.from, to: m.to, text: m.text, jobId: job.info.id, recipientId: cur.id, at: m.at, data: m.data });
    this.spool.insertResult(cur.attempt_id, cur.id, job.info.id, 'reply', m.text, { from: m.from, to: m.to, optOut }, m.at);
    if (optOut) this.replies.optOut(job.info.userId, target.destination, `reply to job ${job.info.id}`, now);
    const forwarded = forwardsReply(job.info.replyUntil, m.at);
    this.followUps?.replied({ job: job.info, recipient: { id: cur.id, destination: cur.destination, name: cur.name, reference: cur.reference }, from: m.from, to: m.to, text: m.text, at: m.at, forwarded }, now, events);
    const cb = forwarded && job.info.callbackUrl ? this.formatters.for(job.info.face)?.reply(job.info, viewOf(cur, cur.state, cur.reason), m.text, m.at) : null;
    if (cb) this.callbacks.enqueue(cb, { userId: job.info.userId, jobId: job.info.id, recipientId: cur.id }, now);
    events.push({ type: 'reply.received', at: now, userId: job.info.userId, jobId: job.info.id, recipientId: cur.id, from: m.from, text: m.text, optOut });
  }
}
