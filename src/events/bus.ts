import type { Channel, JobStatus, RecipientState } from '../core/model.js';

/** Everything the daemon tells the outside about work; each event names its owner for visibility. */
export type SpoolEvent =
  | { type: 'job.created'; at: number; userId: number; jobId: number; channel: Channel; total: number }
  | { type: 'recipient.updated'; at: number; userId: number; jobId: number; recipientId: number; destination: string; state: RecipientState; reason: string | null }
  | { type: 'job.finished'; at: number; userId: number; jobId: number; status: JobStatus; succeeded: number; failed: number }
  | { type: 'reply.received'; at: number; userId: number; jobId: number; recipientId: number; from: string; text: string; optOut: boolean }
  | { type: 'inbound.received'; at: number; userId: number | null; from: string; to: string | null; text: string }
  | { type: 'provider.health'; at: number; userId: null; providerId: number; up: boolean; reason: string | null };

export type Listener = (e: SpoolEvent) => void;

/** A synchronous fan-out; a failing listener is reported and never stops the others. */
export class EventBus {
  private readonly listeners = new Set<Listener>();
  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(e: SpoolEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
