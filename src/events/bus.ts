import type { Channel, JobStatus, RecipientState } from '../core/model.js';

/** Everything the daemon tells the outside about work; each event names its owner for visibility. */
export type SpoolEvent =
  | { type: 'job.created'; at: number; userId: number; jobId: number; channel: Channel; total: number }
  | { type: 'recipient.updated'; at: number; userId: number; jobId: number; recipientId: number; destination: string; state: RecipientState; reason: string | null }
  | { type: 'job.finished'; at: number; userId: number; jobId: number; status: JobStatus; succeeded: number; failed: number }
  | { type: 'reply.received'; at: number; userId: number; jobId: number; recipientId: number; from: string; text: string; optOut: boolean }
  | { type: 'inbound.received'; at: number; userId: number | null; from: string; to: string | null; text: string; channel?: 'sms' | 'mms' | 'fax' | 'email'; transmissionId?: number }
  | { type: 'import.rejected'; at: number; userId: number; source: string; line: number; reason: string }
  | { type: 'provider.health'; at: number; userId: null; providerId: number; up: boolean; reason: string | null };

/** Every event type, for whoever forwards the bus's interest (the spool engine builds only wanted events). */
export const SPOOL_EVENT_TYPES: readonly SpoolEvent['type'][] = ['job.created', 'recipient.updated', 'job.finished', 'reply.received', 'inbound.received', 'import.rejected', 'provider.health'];

export type Listener = (e: SpoolEvent) => void;
/** Whether a listener wants events of a type right now (a stream with no clients wants none). */
export type Interest = (type: SpoolEvent['type']) => boolean;

/** A synchronous fan-out; a failing listener is reported and never stops the others. */
export class EventBus {
  private readonly listeners = new Map<Listener, Interest>();
  private readonly watchers = new Set<() => void>();
  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  on(l: Listener, interest: Interest = () => true): () => void {
    this.listeners.set(l, interest);
    this.interestChanged();
    return () => {
      this.listeners.delete(l);
      this.interestChanged();
    };
  }

  /** Be told when a listener's interest may have changed (a stream got its first client). */
  watchInterest(w: () => void): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** A listener's interest may have changed: tell the watchers now rather than at their next look. */
  interestChanged(): void {
    for (const w of this.watchers) w();
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Does anyone want this type of event now? Lets hot paths skip building events nobody reads. */
  wants(type: SpoolEvent['type']): boolean {
    for (const interest of this.listeners.values()) if (interest(type)) return true;
    return false;
  }

  emit(e: SpoolEvent): void {
    for (const [l, interest] of this.listeners) {
      if (!interest(e.type)) continue;
      try {
        l(e);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
