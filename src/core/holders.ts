import { z } from 'zod';

/**
 * A provider's binds across the nodes sharing a store (issue 15): the provider allows `slots` nodes
 * at once (its `settings.nodes`, default 1), each slot held by one node while its lease runs. A node
 * runs the provider's gateway only while it holds a slot, and holds at most one.
 */

/** One slot's row as the store holds it. */
export interface HolderRow {
  slot: number;
  node_id: string;
  lease_until: number;
}

/** What a node does with a provider's slots on one heartbeat. */
export interface HoldPlan {
  /** The slot it holds and renews, or null. */
  keep: number | null;
  /** With none kept: the free or expired slots to try, lowest first (another node may take one first). */
  take: number[];
  /** Slots it holds but must give up: beyond the provider's count, or more than one. */
  release: number[];
}

/** The most a provider may allow: enough for any cluster, few enough to keep a heartbeat cheap. */
export const MAX_NODES = 64;

/**
 * `settings.nodes`, every driver's but the sandbox's: how many daemons (nodes) sharing a store may run
 * the provider's gateway at once (its binds, its event socket, its relay connections). Default 1: an
 * SMSC that allows one bind never sees two. One daemon on SQLite runs every provider whatever it says.
 */
export const nodesSetting = z.number().int('a whole number of nodes').min(1, 'at least 1 (the nodes that may run this provider at once)').max(MAX_NODES, `at most ${MAX_NODES}`).optional();

/** `settings.nodes` as the holders read it: an integer from 1 to MAX_NODES (validated where settings are), else 1. */
export const nodesOf = (settings: Readonly<Record<string, unknown>>): number => {
  const n = settings.nodes;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_NODES ? n : 1;
};

/**
 * Which of a provider's slots are this node's, given the rows and now: the lowest it holds (its own
 * row, even one whose lease has just run out, which nobody else has taken) is kept; without one, the
 * free and expired slots are the ones to take.
 */
export function planHold(rows: readonly HolderRow[], node: string, now: number, slots: number): HoldPlan {
  const mine = rows
    .filter((r) => r.node_id === node)
    .map((r) => r.slot)
    .sort((a, b) => a - b);
  const keep = mine.find((s) => s >= 0 && s < slots) ?? null;
  const release = mine.filter((s) => s !== keep);
  if (keep !== null) return { keep, take: [], release };
  const bySlot = new Map(rows.map((r) => [r.slot, r]));
  const take: number[] = [];
  for (let s = 0; s < slots; s++) {
    const r = bySlot.get(s);
    if (!r || r.lease_until <= now) take.push(s);
  }
  return { keep: null, take, release };
}
