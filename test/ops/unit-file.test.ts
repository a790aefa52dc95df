import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const unit = readFileSync(new URL('../../systemd/switchpost.service', import.meta.url), 'utf8');
const service = Object.fromEntries(
  unit
    .slice(unit.indexOf('[Service]'), unit.indexOf('[Install]'))
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

describe('the systemd unit', () => {
  it('is Type=notify with a 30 s watchdog, and reloads with SIGHUP', () => {
    expect(service.Type).toBe('notify');
    expect(service.WatchdogSec).toBe('30');
    expect(service.NotifyAccess).toBe('main');
    expect(service.ExecReload).toBe('/bin/kill -HUP $MAINPID');
    // The notify socket is a unix socket: the sandboxing must leave AF_UNIX.
    expect(service.RestrictAddressFamilies?.split(' ')).toContain('AF_UNIX');
  });
});
