import { describe, expect, it } from 'vitest';
import { ProviderPool } from '../../dist/spool/provider-pool.js';
import type { Provider } from '../../dist/store/providers.js';
import type { Gateway } from '../../dist/gateways/gateway.js';

// The pool's room bounds how many due rows a claim reads (dispatcher.ts): rows beyond it would only stay.

const provider = (id: number, over: Partial<Provider> = {}): Provider => ({ id, name: `p${id}`, driver: 'sandbox', services: ['email'], active: true, throughput: 0, concurrency: 0, weight: 1, settings: {}, ...over }) as Provider;

const gateway = (id: number, up: boolean, room?: number): Gateway => ({ providerId: id, isUp: () => up, ...(room === undefined ? {} : { room: () => room, hasCapacity: () => room > 0 }), start: async () => {}, stop: async () => {} }) as Gateway;

describe('ProviderPool.room', () => {
  it('adds up the room of the providers that are up, each within its concurrency', () => {
    const pool = new ProviderPool();
    pool.set(provider(1), gateway(1, true, 20));
    pool.set(provider(2, { concurrency: 3 }), gateway(2, true, 50));
    pool.set(provider(3, { active: false }), gateway(3, false, 9));
    expect(pool.room()).toBe(23);
    // A pick takes one of the concurrency's slots.
    pool.pick('email', Date.now());
    pool.pick('email', Date.now());
    expect(pool.room()).toBeLessThan(23);
  });

  it('is unbounded while a provider is down or has no limit of its own, and never negative', () => {
    const down = new ProviderPool();
    down.set(provider(1), gateway(1, true, 0));
    down.set(provider(2), gateway(2, false, 10));
    expect(down.room()).toBe(Infinity);
    const unlimited = new ProviderPool();
    unlimited.set(provider(1), gateway(1, true));
    expect(unlimited.room()).toBe(Infinity);
    const full = new ProviderPool();
    full.set(provider(1), gateway(1, true, -4));
    expect(full.room()).toBe(0);
  });
});
