import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cli, exited, freePort } from '../helpers/process.js';
import { basic } from '../helpers/daemon.js';
import { createFrozenDisk, type FrozenDisk } from '../helpers/frozen-disk.js';
import { notifySocket, type NotifySocket } from '../helpers/notify-socket.js';

/*
 * The watchdog is fed only while the store answers: with the data disk frozen (fsfreeze) and the spool
 * engine's thread blocked on a write, no WATCHDOG=1 goes out, though the event loop turns and /health
 * answers; once the disk thaws the pings come back. The daemon is its own process (a thread blocked on
 * the frozen disk would block this one too), and this process never touches the disk while it is frozen.
 */

const FREEZE_MS = 9000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let disk: FrozenDisk | undefined;
let sock: NotifySocket | undefined;
let daemon: ChildProcess | undefined;

afterAll(async () => {
  disk?.thaw();
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    const gone = exited(daemon);
    daemon.kill('SIGTERM');
    if ((await Promise.race([gone, sleep(8000).then(() => 'late' as const)])) === 'late') {
      daemon.kill('SIGKILL');
      await gone;
    }
  }
  sock?.close();
  disk?.cleanup();
});

describe('the watchdog on a frozen data disk', () => {
  it('withholds WATCHDOG=1 while the store cannot answer, keeps /health answered, and pings again after the thaw', async () => {
    disk = createFrozenDisk();
    const config = join(disk.base, 'switchpost.json'); // beside the image: readable while frozen
    writeFileSync(config, JSON.stringify({ data_dir: join(disk.mnt, 'data'), log: { level: 'info' }, spool: { poll_ms: 20 }, shutdown: { grace_seconds: 2 } }));
    sock = await notifySocket();
    const port = await freePort();
    const env = { SWITCHPOST_CONFIG: config, SWITCHPOST_HTTP_PORT: String(port), NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '1000000' };
    const added = cli(['user', 'add', 'wd', '--role', 'user', '--password', 'wd-password'], env);
    expect(added.status, added.stderr).toBe(0);
    let out = '';
    daemon = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout!.on('data', (d) => (out += d));
    daemon.stderr!.on('data', (d) => (out += d));
    const url = `http://127.0.0.1:${port}`;
    const ready = await sock.next((t) => t.split('\n').includes('READY=1'), 30_000);
    await sock.next((t) => t === 'WATCHDOG=1', 10_000, ready.index);

    disk.freeze(FREEZE_MS + 20_000);
    const frozenAt = Date.now();
    // A job: the engine's thread writes it, and blocks in the kernel on the frozen disk.
    const job = fetch(`${url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('wd', 'wd-password'), 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'sms', message: 'frozen', recipients: [{ destination: '+61491570006' }] }),
    }).then(
      (r) => r.status,
      () => 0,
    );
    // From the first withheld ping on, none until the thaw.
    for (let i = 0; i < 400 && !out.includes('watchdog ping withheld'); i++) await sleep(20);
    expect(out, 'the watchdog never noticed the stalled store').toContain('watchdog ping withheld');
    const withheld = out
      .split('\n')
      .filter((l) => l.includes('watchdog ping withheld'))
      .map((l) => JSON.parse(l) as { why: string })[0]!;
    expect(withheld.why).toMatch(/store/);
    const missedFrom = sock.messages.length;
    const missedAt = Date.now();
    // The event loop still turns: /health answers during the freeze.
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    await sleep(Math.max(0, frozenAt + FREEZE_MS - Date.now()));
    const pingsWhileFrozen = sock.messages.slice(missedFrom).filter((m) => m.text === 'WATCHDOG=1');
    const quietMs = Date.now() - missedAt;
    disk.thaw();
    expect(quietMs, 'the freeze ended before the watchdog could be watched').toBeGreaterThan(1000);
    expect(pingsWhileFrozen, `WATCHDOG=1 while the store was stalled (${quietMs} ms watched)`).toEqual([]);
    // Thawed: the job is kept, the pings come back, and the log says so.
    expect(await job).toBe(200);
    await sock.next((t) => t === 'WATCHDOG=1', 20_000, sock.messages.length);
    for (let i = 0; i < 200 && !out.includes('watchdog pings resumed'); i++) await sleep(20);
    expect(out).toContain('healthy again: watchdog pings resumed');
  });
});
