import { describe, expect, it } from 'vitest';
import { providerConfigSchema } from '../../dist/config/schema.js';
import { describeDiff, diffProviders } from '../../dist/ops/provider-diff.js';

const smpp = (name: string, extra: Record<string, unknown> = {}) => providerConfigSchema.parse({ name, driver: 'smpp', services: ['sms'], host: '127.0.0.1', port: 2775, username: 'esme', password: 'secret', ...extra });

describe('diffProviders', () => {
  it('sorts each provider into added, restarted, retuned, unchanged and removed by name', () => {
    const before = [smpp('same'), smpp('rate', { throughput: 10 }), smpp('moved'), smpp('gone'), smpp('weight', { weight: 1 })];
    const after = [smpp('same'), smpp('rate', { throughput: 50 }), smpp('moved', { port: 2776 }), smpp('new'), smpp('weight', { weight: 5, concurrency: 4 })];
    const d = diffProviders(before, after);
    expect(d.added.map((p) => p.name)).toEqual(['new']);
    expect(d.restarted.map((p) => p.name)).toEqual(['moved']);
    expect(d.retuned.map((p) => p.name)).toEqual(['rate', 'weight']);
    expect(d.unchanged).toEqual(['same']);
    expect(d.removed).toEqual(['gone']);
    expect(describeDiff(d)).toBe('added new; restarted moved; retuned rate, weight; removed gone');
  });

  it('restarts on a changed password, setting, service or active flag, and on a rate change that comes with one', () => {
    const before = [smpp('a'), smpp('b', { settings: { binds: 1 } }), smpp('c'), smpp('d'), smpp('e')];
    const after = [smpp('a', { password: 'other' }), smpp('b', { settings: { binds: 2 } }), smpp('c', { services: ['sms', 'mms'] }), smpp('d', { active: false }), smpp('e', { throughput: 9, host: '127.0.0.2' })];
    expect(diffProviders(before, after).restarted.map((p) => p.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sees settings with the same keys in another order as unchanged', () => {
    const d = diffProviders([smpp('a', { settings: { binds: 2, window: 10 } })], [smpp('a', { settings: { window: 10, binds: 2 } })]);
    expect(d.unchanged).toEqual(['a']);
    expect(describeDiff(d)).toBe('no provider changed');
  });
});
