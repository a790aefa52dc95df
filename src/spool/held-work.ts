import type { Service } from '../core/model.js';

/**
 * Recipients put back in the queue because no provider of their service could take them (down, link
 * lost): remembered by service so that a provider coming back pulls them forward at once instead of
 * leaving them to the hold's due time. Memory only and bounded: past `max`, or after a restart, a held
 * row simply waits for its due time.
 */
export class HeldWork {
  private readonly byService = new Map<Service, Set<number>>();
  private size = 0;

  constructor(private readonly max = 200_000) {}

  add(service: Service, recipientId: number): void {
    if (this.size >= this.max) return;
    let ids = this.byService.get(service);
    if (!ids) this.byService.set(service, (ids = new Set()));
    if (ids.has(recipientId)) return;
    ids.add(recipientId);
    this.size++;
  }

  /** The held recipients of these services, forgotten as they are taken. */
  take(services: readonly Service[]): number[] {
    const out: number[] = [];
    for (const s of services) {
      const ids = this.byService.get(s);
      if (!ids) continue;
      this.byService.delete(s);
      this.size -= ids.size;
      out.push(...ids);
    }
    return out;
  }
}
