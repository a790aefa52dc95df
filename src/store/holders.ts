import type { StoreDb } from './store-db.js';
import { planHold, type HolderRow } from '../core/holders.js';

/**
 * A slot taken or renewed: only a free one, an expired one or the node's own. On PostgreSQL two nodes
 * inserting the same slot at once take turns on its row; the second's DO UPDATE then sees the first's
 * lease and changes nothing. A provider deleted meanwhile is skipped (no row, no foreign key refusal
 * aborting the heartbeat's transaction).
 */
export const TAKE_SLOT_SQL = `INSERT INTO provider_holders (provider_id, slot, node_id, lease_until)
 SELECT @provider, @slot, @node, @until WHERE EXISTS (SELECT 1 FROM providers WHERE id = @provider)
 ON CONFLICT (provider_id, slot) DO UPDATE SET node_id = excluded.node_id, lease_until = excluded.lease_until
 WHERE provider_holders.node_id = excluded.node_id OR provider_holders.lease_until <= @now`;

/** A provider this node wants to run, and how many nodes it allows at once (`settings.nodes`). */
export interface WantedProvider {
  providerId: number;
  slots: number;
}

/**
 * The holders of providers' slots (migration 20), for several nodes sharing a store: a node takes one
 * of a provider's slots with a lease its heartbeat renews, and runs the provider's gateway only while
 * it holds it. Taking is one upsert that succeeds only on a free slot, an expired one or the node's
 * own, so two nodes racing for the last slot cannot both have it.
 */
export class HolderStore {
  private readonly s;
  constructor(private readonly db: StoreDb) {
    this.s = {
      rows: db.prepare(`SELECT slot, node_id, lease_until FROM provider_holders WHERE provider_id = ?`),
      take: db.prepare(TAKE_SLOT_SQL),
      release: db.prepare(`DELETE FROM provider_holders WHERE provider_id = ? AND slot = ? AND node_id = ?`),
      releaseNode: db.prepare(`DELETE FROM provider_holders WHERE node_id = ?`),
      releaseOthers: db.prepare(`DELETE FROM provider_holders WHERE node_id = ? AND provider_id NOT IN (SELECT value FROM json_each(?))`),
      all: db.prepare(`SELECT provider_id, slot, node_id, lease_until FROM provider_holders ORDER BY provider_id, slot`),
    };
  }

  /** A provider's slot rows as they are now. */
  rows(providerId: number): HolderRow[] {
    return this.s.rows.all(providerId) as HolderRow[];
  }

  /** Every slot row (for the status page and the tests). */
  all(): (HolderRow & { provider_id: number })[] {
    return this.s.all.all() as (HolderRow & { provider_id: number })[];
  }

  /**
   * One heartbeat of `node`: for each wanted provider, its slot renewed until `now + leaseMs`, or a
   * free or expired one taken; slots of providers it no longer wants given up. Returns the providers
   * it holds a slot of now (their gateways may run here until the lease ends), each with its slot.
   */
  hold(wanted: readonly WantedProvider[], node: string, now: number, leaseMs: number): { providerId: number; slot: number }[] {
    const until = now + leaseMs;
    const held: { providerId: number; slot: number }[] = [];
    this.db.transaction(() => {
      this.s.releaseOthers.run(node, JSON.stringify(wanted.map((w) => w.providerId)));
      for (const w of wanted) {
        const plan = planHold(this.rows(w.providerId), node, now, w.slots);
        for (const slot of plan.release) this.s.release.run(w.providerId, slot, node);
        for (const slot of plan.keep !== null ? [plan.keep] : plan.take) {
          if (this.s.take.run({ provider: w.providerId, slot, node, until, now }).changes === 1) {
            held.push({ providerId: w.providerId, slot });
            break;
          }
        }
      }
    })();
    return held;
  }

  /** Everything `node` holds given up (it stops): other nodes may take its slots at once. */
  releaseNode(node: string): number {
    return this.s.releaseNode.run(node).changes;
  }
}
