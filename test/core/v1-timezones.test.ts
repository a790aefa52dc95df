import { describe, expect, it } from 'vitest';
import { IANAZone } from 'luxon';
import { V1_TIMEZONES, v1IdOfZone, zoneOfV1Id } from '../../dist/core/v1-timezones.js';

describe("the v1 API's timezone_id table", () => {
  it('numbers only zones the runtime knows, each once, with 17 as the seed user’s Melbourne', () => {
    const zones = Object.values(V1_TIMEZONES);
    for (const z of zones) expect(IANAZone.isValidZone(z), z).toBe(true);
    expect(new Set(zones.map((z) => z.toLowerCase())).size).toBe(zones.length);
    expect(V1_TIMEZONES[17]).toBe('Australia/Melbourne');
    for (const z of ['Australia/Perth', 'Australia/Adelaide', 'Australia/Darwin', 'Australia/Brisbane', 'Australia/Sydney', 'Australia/Hobart', 'Pacific/Auckland', 'Pacific/Chatham', 'Europe/London', 'America/New_York', 'Asia/Singapore'])
      expect(v1IdOfZone(z), z).not.toBeNull();
  });

  it('reads an id as a number or its digits, and refuses anything else saying why', () => {
    expect(zoneOfV1Id(17)).toEqual({ zone: 'Australia/Melbourne' });
    expect(zoneOfV1Id('25')).toEqual({ zone: 'Pacific/Auckland' });
    expect(zoneOfV1Id(999)).toMatchObject({ problem: expect.stringContaining('999 is not a time zone id') });
    for (const bad of [1.5, -3, 'Melbourne', true, '']) expect(zoneOfV1Id(bad), String(bad)).toHaveProperty('problem');
  });

  it('answers a zone by its id, whatever its case, and null for one it does not number', () => {
    expect(v1IdOfZone('Australia/Melbourne')).toBe(17);
    expect(v1IdOfZone('australia/melbourne')).toBe(17);
    expect(v1IdOfZone('America/Argentina/Salta')).toBeNull();
  });
});
