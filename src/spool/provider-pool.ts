import type { Service } from '../core/model.js';
import { ratesOf, type Rates } from '../core/costs.js';
import type { Provider } from '../store/providers.js';
import type { Gateway } from '../gateways/gateway.js';
import { SlidingWindow, type RateLimit } from './rate.js';

interface Slot {
  provider: Provider;
  rates: Rates | null;
  gateway: Gateway | null;
  bucket: RateLimit | null;
  inFlight: number;
}

export type Pick = { ok: true; provider: Provider; gateway: Gateway } | { ok: false; retryAt: number; reason: string };

/** The providers that can take work now: active, link up, under their rate and concurrency, chosen by weight. */
export class ProviderPool {
  private readonly slots = new Map<number, Slot>();

  /** `burstSeconds`: how much of a second's throughput may go at once (a cold start included). */
  constructor(
    private readonly rand: () => number = Math.random,
    private readonly burstSeconds = 0.1,
  ) {}

  set(provider: Provider, gateway: Gateway | null): void {
    const old = this.slots.get(provider.id);
    this.slots.set(provider.id, {
      provider,
      rates: ratesOf(provider.settings),
      gateway,
      // A whole second's throughput at once trips peers that count per second (FreeSWITCH's sessions-per-second).
      bucket: provider.throughput > 0 ? new SlidingWindow(provider.throughput, this.burstSeconds) : null,
      inFlight: old?.inFlight ?? 0,
    });
  }

  /** What the provider charges (its settings' rates), null: nothing, or a provider no longer here. */
  ratesOf(providerId: number): Rates | null {
    return this.slots.get(providerId)?.rates ?? null;
  }

  /** The provider's gateway now, if it has one. */
  gateway(providerId: number): Gateway | null {
    return this.slots.get(providerId)?.gateway ?? null;
  }

  /** The provider's settings as stored (a driver's to read), or none for a provider no longer here. */
  settingsOf(providerId: number): Readonly<Record<string, unknown>> | null {
    return this.slots.get(providerId)?.provider.settings ?? null;
  }

  servicesOf(providerId: number): readonly Service[] {
    return this.slots.get(providerId)?.provider.services ?? [];
  }

  /** The services the active providers offer, up or down: the work this node's claims take on. */
  offered(): Set<Service> {
    const out = new Set<Service>();
    for (const s of this.slots.values()) if (s.provider.active) for (const service of s.provider.services) out.add(service);
    return out;
  }

  /** A deleted provider takes no more work; what it has in flight still reports through the recorder. */
  remove(providerId: number): void {
    this.slots.delete(providerId);
  }

  gateways(): Gateway[] {
    return [...this.slots.values()].flatMap((s) => (s.gateway ? [s.gateway] : []));
  }

  /**
   * How many sends the active providers could take now, all together (Infinity when one has no limit
   * or is down): a claim reads no more due rows than this, plus a few, instead of a whole batch of which all
   * but the room would stay where they are (read, decided, and left, at every wake).
   */
  room(): number {
    let room = 0;
    for (const s of this.slots.values()) {
      if (!s.provider.active) continue;
      // A provider that is down has its work held, row by row, as fast as before: no bound for it.
      if (!s.gateway || !s.gateway.isUp()) return Infinity;
      const gateway = s.gateway.room ? Math.max(0, s.gateway.room()) : Infinity;
      const concurrency = s.provider.concurrency > 0 ? Math.max(0, s.provider.concurrency - s.inFlight) : Infinity;
      room += Math.min(gateway, concurrency);
    }
    return room;
  }

  /** A provider for `service`; `avoid` (the last attempt's provider) is passed over when another can take it. */
  pick(service: Service, now: number, avoid: number | null = null): Pick {
    const usable: Slot[] = [];
    let retryAt = Infinity;
    let reason = `no active provider offers ${service}`;
    for (const s of this.slots.values()) {
      if (!s.provider.active || !s.provider.services.includes(service)) continue;
      if (!s.gateway || !s.gateway.isUp()) {
        reason = `provider ${s.provider.name} is down`;
        retryAt = Math.min(retryAt, now + 5000);
        continue;
      }
      if ((s.provider.concurrency > 0 && s.inFlight >= s.provider.concurrency) || (s.gateway.hasCapacity && !s.gateway.hasCapacity())) {
        reason = 'providers at their concurrency limit';
        retryAt = Math.min(retryAt, now + 50);
        continue;
      }
      if (s.bucket && s.bucket.nextAt(now) > now) {
        reason = 'providers at their rate limit';
        retryAt = Math.min(retryAt, s.bucket.nextAt(now));
        continue;
      }
      usable.push(s);
    }
    if (usable.length === 0) return { ok: false, retryAt: Number.isFinite(retryAt) ? retryAt : now + 30_000, reason };
    if (avoid !== null && usable.length > 1) {
      const others = usable.filter((s) => s.provider.id !== avoid && s.provider.weight > 0);
      if (others.length) usable.splice(0, usable.length, ...others);
    }
    const total = usable.reduce((n, s) => n + s.provider.weight, 0);
    let chosen = usable[0]!;
    if (total > 0) {
      let r = this.rand() * total;
      for (const s of usable)
        if ((r -= s.provider.weight) < 0) {
          chosen = s;
          break;
        }
    }
    chosen.bucket?.take(now);
    chosen.inFlight++;
    chosen.gateway!.reserve?.();
    return { ok: true, provider: chosen.provider, gateway: chosen.gateway! };
  }

  done(providerId: number): void {
    const s = this.slots.get(providerId);
    if (s && s.inFlight > 0) s.inFlight--;
  }
}
