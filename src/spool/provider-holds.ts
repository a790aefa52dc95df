import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { nodesOf } from '../core/holders.js';
import type { WantedProvider } from '../store/holders.js';

/** The holders' store as the main thread reaches it (`HolderStore` on the engine's thread). */
export interface HoldsStore {
  hold(wanted: readonly WantedProvider[], node: string, now: number, leaseMs: number): Promise<{ providerId: number; slot: number }[]>;
  releaseNode(node: string): Promise<number>;
}

export interface HoldsOptions {
  /** How often the heartbeat renews this node's slots and looks for free ones. */
  intervalMs: number;
  /** How long a slot stays this node's after a heartbeat; other nodes take it once it ends. */
  leaseMs: number;
}

/** How many nodes may run a provider at once; null: every node runs it (the sandbox is each node's own). */
export const slotsOf = (p: { driver: string; settings: Readonly<Record<string, unknown>> }): number | null => (p.driver === 'sandbox' ? null : nodesOf(p.settings));

/**
 * Which providers' gateways this node may run, when several daemons share a store (issue 15): each
 * provider allows `settings.nodes` of them at once, one slot each (`store/holders.ts`). A heartbeat every
 * few seconds renews this node's slots and takes a free or expired one; `onChange` is told when a
 * provider becomes this node's to run or stops being it, and the wiring starts or stops its gateway.
 * A node that cannot renew (its store fails or stalls) stops its gateways before its leases end, so
 * the node taking over never binds beside it. Without a shared store (`store` null: SQLite, one
 * daemon) every provider is this node's, always, and nothing runs.
 */
export class ProviderHolds {
  private readonly wanted = new Map<number, number>();
  private held = new Set<number>();
  /** When the leases of the last heartbeat that answered end, by this node's clock (from when it was sent). */
  private heldUntil = 0;
  private beating: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: HoldsStore | null,
    private readonly node: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: HoldsOptions,
    private readonly onChange: (providerId: number, held: boolean) => void,
  ) {}

  /** Whether the store is shared by several nodes (else every provider is this node's). */
  get shared(): boolean {
    return this.store !== null;
  }

  /** Whether this node may run the provider's gateway now. */
  holds(providerId: number): boolean {
    return this.store === null || !this.wanted.has(providerId) || this.held.has(providerId);
  }

  /** A provider this node would run (active, with `slots` nodes allowed; null: every node's), or no longer (`slots` undefined). */
  want(providerId: number, slots: number | null | undefined): void {
    if (slots === null || slots === undefined) this.wanted.delete(providerId);
    else this.wanted.set(providerId, slots);
  }

  /** One heartbeat (at most one at a time): renew, take, give up; each provider held or lost since told. */
  beat(): Promise<void> {
    if (!this.store) return Promise.resolve();
    return (this.beating ??= this.renew().finally(() => (this.beating = null)));
  }

  private async renew(): Promise<void> {
    const sent = this.clock.now();
    let now: Set<number>;
    try {
      const rows = await this.store!.hold(
        [...this.wanted].map(([providerId, slots]) => ({ providerId, slots })),
        this.node,
        sent,
        this.opts.leaseMs,
      );
      now = new Set(rows.map((r) => r.providerId));
      this.heldUntil = sent + this.opts.leaseMs;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "providers' slots could not be renewed");
      if (!this.expiring()) return;
      now = new Set();
    }
    this.apply(now);
  }

  /** Within a heartbeat of the leases' end: another node may take them before the next renewal answers. */
  private expiring(): boolean {
    return this.clock.now() >= this.heldUntil - this.opts.intervalMs;
  }

  private apply(now: Set<number>): void {
    const before = this.held;
    this.held = now;
    for (const id of before) if (!now.has(id)) (this.log.warn({ providerId: id }, "this node no longer holds the provider's slot: its gateway stops here"), this.onChange(id, false));
    for (const id of now) if (!before.has(id)) (this.log.info({ providerId: id }, 'this node holds a slot of the provider: its gateway runs here'), this.onChange(id, true));
  }

  /** The heartbeat every intervalMs; a renewal that hangs past the leases' end gives them up here. */
  start(): void {
    if (!this.store || this.timer) return;
    this.timer = setInterval(() => {
      if (this.beating && this.held.size && this.expiring()) this.apply(new Set());
      void this.beat();
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** No more heartbeats; this node's slots given up at once (its gateways are stopped first), for another node to take. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.store) return;
    // A renewal under way is waited for (a lease's time at most: one that hangs is given up on).
    if (this.beating) await Promise.race([this.beating.catch(() => undefined), new Promise((r) => setTimeout(r, this.opts.leaseMs).unref())]);
    this.held = new Set();
    await this.store.releaseNode(this.node).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, "providers' slots could not be given up: they free when their leases end"));
  }
}
