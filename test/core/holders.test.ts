import { describe, expect, it } from 'vitest';
import { nodesOf, planHold } from '../../dist/core/holders.js';

const row = (slot: number, node_id: string, lease_until: number) => ({ slot, node_id, lease_until });

describe('planHold: which of a provider’s slots are this node’s', () => {
  it('with no rows: every slot is free to take, lowest first', () => {
    expect(planHold([], 'a', 1000, 1)).toEqual({ keep: null, take: [0], release: [] });
    expect(planHold([], 'a', 1000, 3)).toEqual({ keep: null, take: [0, 1, 2], release: [] });
  });

  it('keeps the slot it holds (renewed), and takes no other', () => {
    expect(planHold([row(0, 'b', 5000), row(1, 'a', 5000)], 'a', 1000, 2)).toEqual({ keep: 1, take: [], release: [] });
  });

  it('keeps its own row whose lease has just run out: nobody took it since', () => {
    expect(planHold([row(0, 'a', 900)], 'a', 1000, 1)).toEqual({ keep: 0, take: [], release: [] });
  });

  it("leaves another node's live slot; takes an expired one (its holder stopped renewing)", () => {
    expect(planHold([row(0, 'b', 5000)], 'a', 1000, 1)).toEqual({ keep: null, take: [], release: [] });
    expect(planHold([row(0, 'b', 1000)], 'a', 1000, 1)).toEqual({ keep: null, take: [0], release: [] });
    expect(planHold([row(0, 'b', 5000), row(1, 'c', 999)], 'a', 1000, 3)).toEqual({ keep: null, take: [1, 2], release: [] });
  });

  it('holds one slot at most, and gives up those beyond the provider’s count', () => {
    expect(planHold([row(0, 'a', 5000), row(1, 'a', 5000)], 'a', 1000, 2)).toEqual({ keep: 0, take: [], release: [1] });
    // settings.nodes lowered from 3 to 1: slot 2 is no longer the provider's.
    expect(planHold([row(0, 'b', 5000), row(2, 'a', 5000)], 'a', 1000, 1)).toEqual({ keep: null, take: [], release: [2] });
    expect(planHold([row(0, 'b', 500), row(2, 'a', 5000)], 'a', 1000, 1)).toEqual({ keep: null, take: [0], release: [2] });
  });
});

describe('nodesOf: settings.nodes as the holders read it', () => {
  it('defaults to 1; takes an integer from 1 to 64', () => {
    expect(nodesOf({})).toBe(1);
    expect(nodesOf({ nodes: 2 })).toBe(2);
    expect(nodesOf({ nodes: 64 })).toBe(64);
    for (const bad of [0, -1, 1.5, 65, '2', null]) expect(nodesOf({ nodes: bad })).toBe(1);
  });
});
