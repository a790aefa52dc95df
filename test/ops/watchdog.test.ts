import { describe, expect, it } from 'vitest';
import { loopHeld, startWatchdog, watchdogIntervalMs } from '../../dist/ops/watchdog.js';
import { LogLevelGate, gatedLogger } from '../../dist/ops/log-level.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Until `fn` holds (bounded generously: a loaded machine is slow, not wrong). */
async function until(fn: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !fn(); await sleep(10)) if (Date.now() > end) throw new Error('condition not met in time');
}

describe('watchdogIntervalMs', () => {
  it('is half of WATCHDOG_USEC in milliseconds, for this process only', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42)).toBeNull();
    expect(watchdogIntervalMs({}, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '-5' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '1500' }, 42)).toBe(1);
  });
  it('counts a tick a whole interval late as a held loop', () => {
    expect(loopHeld(50, 100)).toBe(false);
    expect(loopHeld(150, 100)).toBe(true);
  });
});

describe('startWatchdog', () => {
  it('pings while the probe answers, withholds pings while it hangs, and pings again once it answers', async () => {
    let hang: ((v: unknown) => void) | null = null;
    let stalled = false;
    const events: string[] = [];
    const w = startWatchdog({
      intervalMs: 40,
      probeTimeoutMs: 20,
      probe: () => (stalled ? new Promise((r) => (hang = r)) : Promise.resolve()),
      ping: () => events.push('ping'),
      missed: (why) => events.push(`missed: ${why}`),
    });
    await until(() => events.filter((e) => e === 'ping').length >= 2);
    stalled = true;
    // Once a probe hangs, no ping may come however slow the machine: each waits on the probe.
    await until(() => hang !== null);
    events.length = 0;
    await until(() => events.length >= 3);
    expect(events.every((e) => e.startsWith('missed'))).toBe(true);
    expect(events.some((e) => e.includes('has not answered the last probe'))).toBe(true);
    stalled = false;
    (hang as ((v: unknown) => void) | null)?.(null);
    await until(() => events.at(-1) === 'ping');
    w.stop();
  });

  it('withholds the ping when the probe fails', async () => {
    const events: string[] = [];
    const w = startWatchdog({ intervalMs: 30, probeTimeoutMs: 15, probe: () => Promise.reject(new Error('disk')), ping: () => events.push('ping'), missed: () => events.push('missed') });
    await until(() => events.length >= 3);
    w.stop();
    expect(events).not.toContain('ping');
  });
});

describe('LogLevelGate', () => {
  it('changes the level of a child made before the change', () => {
    const lines: string[] = [];
    const gate = new LogLevelGate('info');
    const root = gatedLogger(gate, { base: undefined }, { write: (l: string) => void lines.push(l) });
    const child = root.child({ part: 'x' });
    child.debug('hidden');
    gate.set('debug');
    child.debug('shown');
    gate.set('silent');
    child.fatal('hidden too');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });
});
