import type { Logger } from 'pino';
import { CHANNELS, SERVICE_OF, type Channel, type Service } from '../core/model.js';
import type { NodeStore, NodeRow } from '../store/nodes.js';

export interface NodeOptions {
  /** node.id */
  id: string;
  pid: number;
  host: string;
  heartbeatMs: number;
  /** A heartbeat older than this is a dead node's. */
  timeoutMs: number;
  /** A dead node's calls wait this long (from its last heartbeat) before a live node requeues them. */
  callsGraceMs: number;
}

/** A dead node to recover now: its leases (`calls`: its calls too, past their grace). */
export interface DeadNode {
  row: NodeRow;
  calls: boolean;
}

/**
 * This daemon among the nodes sharing the store (issue 15): its row in `nodes`, registered at start and
 * kept alive by heartbeats that also say what its providers carry; which other nodes are dead; and which
 * channels its claims leave to others (those only other live nodes' providers carry). The dispatcher drives
 * it from its ticks, so a node whose spool stalls stops beating and is taken for dead.
 */
export class NodePresence {
  private nextBeat = 0;
  private except: Channel[] = [];

  constructor(
    readonly store: NodeStore,
    private readonly offered: () => ReadonlySet<Service>,
    private readonly log: Logger,
    readonly opts: NodeOptions,
  ) {}

  get id(): string {
    return this.opts.id;
  }

  /** At start, before this node's own leases are recovered. */
  register(now: number): void {
    this.store.register(this.opts.id, this.opts, [...this.offered()], now);
    this.refresh(now);
    this.nextBeat = now + this.opts.heartbeatMs;
  }

  /** A heartbeat when one is due; true when one was written (then the dead are worth looking for). */
  beat(now: number): boolean {
    if (now < this.nextBeat) return false;
    this.nextBeat = now + this.opts.heartbeatMs;
    if (!this.store.beat(this.opts.id, [...this.offered()], now)) {
      // Taken for dead (a stall longer than node.timeout_seconds): another node requeued its leases, so
      // what it still has in flight may go twice; its reports for those rows no longer apply (guarded).
      this.log.error('this node was taken for dead by another (its heartbeat was late): its leases were requeued; registering again');
      this.store.register(this.opts.id, this.opts, [...this.offered()], now);
    }
    this.refresh(now);
    return true;
  }

  /** Channels this node's claims leave out: their service is carried by another live node and not by this one. */
  exceptChannels(): readonly Channel[] {
    return this.except;
  }

  /** Other nodes silent past the timeout, not yet recovered (or recovered, and silent past the calls' grace). */
  dead(now: number): DeadNode[] {
    const out: DeadNode[] = [];
    for (const row of this.store.expired(now - this.opts.timeoutMs, this.opts.id)) {
      const calls = row.heartbeat_at < now - this.opts.callsGraceMs;
      if (row.recovered_at === null || calls) out.push({ row, calls });
    }
    return out;
  }

  /**
   * Take `dead`'s recovery, in the caller's transaction: true for the one node that wins it (the mark is
   * guarded on the row as read: a racer's changes nothing).
   */
  take(dead: DeadNode, now: number): boolean {
    const { row } = dead;
    if (row.recovered_at === null && !this.store.markRecovered(row.id, now - this.opts.timeoutMs, now)) return false;
    // Past the calls' grace its row goes with its last leases: a later start of it registers anew.
    return !dead.calls || this.store.forget(row.id, now - this.opts.callsGraceMs);
  }

  private refresh(now: number): void {
    const mine = this.offered();
    const others = this.store.liveServices(now - this.opts.timeoutMs, this.opts.id);
    this.except = CHANNELS.filter((c) => !mine.has(SERVICE_OF[c]) && others.has(SERVICE_OF[c]));
  }
}
