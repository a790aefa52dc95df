import type { Service } from '../core/model.js';

/**
 * Recipients put back in the queue because no provider of their service could take them (down, link
 * lost): remembered by service so that a provider coming back pulls them forward at once instead of
 * leaving them to the hold's due time. Each is remembered with the due time its hold set: a row that moved
 * on since (sent, then waiting out a retry's backoff) is not the held row any more and is not pulled.
 * Memory only and bounded: past `max`, or after a restart, a held row simply waits for its due time.
 */
export interface HeldRow {
  id: number;
  dueAt: number;
}

export class HeldWork {
  private readonly byService = new Map<Service, Map<number, number>>();
  private size = 0;

  constructor(private readonly max = 200_000) {}

  /** `dueAt`: the due time the hold gave the row. */
  add(service: Service, recipientId: number, dueAt: number): void {
    let ids = this.byService.get(service);
    if (!ids) this.byService.set(service, (ids = new Map<number, number>()));
    if (!ids.has(recipientId)) {
      if (this.size >= this.max) return;
      this.size++;
    }
    ids.set(recipientId, dueAt);
  }

  /** A held row was taken (leased): it is no longer held. */
  forget(service: Service, recipientId: number): void {
    if (this.byService.get(service)?.delete(recipientId)) this.size--;
  }

  /** The held recipients of these services and their holds' due times, forgotten as they are taken. */
  take(services: readonly Service[]): HeldRow[] {
    const out: HeldRow[] = [];
    for (const s of services) {
      const ids = this.byService.get(s);
      if (!ids) continue;
      this.byService.delete(s);
      this.size -= ids.size;
      for (const [id, dueAt] of ids) out.push({ id, dueAt });
    }
    return out;
  }
}
