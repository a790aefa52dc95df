import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cli, exited, freePort } from '../helpers/process.js';
import { notifySocket, type NotifySocket } from '../helpers/notify-socket.js';
import { TestSmsc } from '../peers/smsc.js';

/*
 * The daemon as systemd runs it (Type=notify, WatchdogSec=, ExecReload=kill -HUP): a real process, a
 * real unix datagram socket in NOTIFY_SOCKET, real SMSCs whose binds show what a reload kept.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir: string;
let sock: NotifySocket;
let daemon: ChildProcess;
let out = '';
const smscs: TestSmsc[] = [];
let env: Record<string, string>;
let url: string;
let configFile: string;

const provider = (name: string, port: number, extra: Record<string, unknown> = {}) => ({
  name,
  driver: 'smpp',
  services: ['sms'],
  host: '127.0.0.1',
  port,
  username: name,
  password: 'secret',
  ...extra,
  settings: { reconnect_min_ms: 100, reconnect_max_ms: 500, enquire_link_ms: 60_000, ...((extra.settings as object) ?? {}) },
});
const writeConfig = (providers: unknown[], extra: Record<string, unknown> = {}) => writeFileSync(configFile, JSON.stringify({ data_dir: join(dir, 'data'), log: { level: 'info' }, shutdown: { grace_seconds: 2 }, providers, ...extra }));
const bindsOf = (smsc: TestSmsc, systemId: string) => smsc.binds.filter((b: { system_id: string; status: number }) => b.system_id === systemId && b.status === 0).length;
const logLines = () =>
  out
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { msg: string; level: number } & Record<string, unknown>];
      } catch {
        return [];
      }
    });
async function until(fn: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !fn(); await sleep(25)) if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms\n${out.slice(-3000)}`);
}

let a: TestSmsc, b: TestSmsc, c: TestSmsc;
/** The providers after the first reload: a as it was, b's rate up, c's settings changed, x gone, n new. */
const afterReload = () => [provider('a', a.port), provider('b', b.port, { throughput: 50 }), provider('c', c.port, { settings: { enquire_link_ms: 30_000 } }), provider('n', c.port)];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-systemd-'));
  configFile = join(dir, 'switchpost.json');
  for (let i = 0; i < 3; i++) {
    const s = new TestSmsc({ password: 'secret', record: false });
    await s.listen();
    smscs.push(s);
  }
  [a, b, c] = smscs as [TestSmsc, TestSmsc, TestSmsc];
  writeConfig([provider('a', a.port), provider('x', a.port), provider('b', b.port, { throughput: 10 }), provider('c', c.port)]);
  sock = await notifySocket();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // WATCHDOG_USEC of 1 s: a ping every 500 ms.
  env = { SWITCHPOST_CONFIG: configFile, SWITCHPOST_HTTP_PORT: String(port), NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '1000000' };
  daemon = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  daemon.stdout!.on('data', (d) => (out += d));
  daemon.stderr!.on('data', (d) => (out += d));
});

afterAll(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    daemon.kill('SIGKILL');
    await exited(daemon);
  }
  sock?.close();
  for (const s of smscs) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('under systemd (Type=notify)', () => {
  it('says READY=1 once it serves, with its pid, then WATCHDOG=1 every half interval while healthy', async () => {
    const ready = await sock.next((t) => t.split('\n').includes('READY=1'), 30_000);
    expect(ready.text).toContain(`MAINPID=${daemon.pid}`);
    expect(ready.text).toMatch(/^STATUS=serving on http:\/\/127\.0\.0\.1:\d+$/m);
    // Serving when it says so: /health answers at once, the gateways were started.
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { pid: number }).pid).toBe(daemon.pid);
    const first = await sock.next((t) => t === 'WATCHDOG=1', 10_000, ready.index);
    const second = await sock.next((t) => t === 'WATCHDOG=1', 10_000, first.index + 1);
    expect(second.at).toBeGreaterThan(first.at);
    // Nothing before READY=1: no ping for a daemon not yet serving.
    expect(sock.messages.slice(0, ready.index).map((m) => m.text)).toEqual([]);
    await until(() => bindsOf(a, 'a') === 1 && bindsOf(a, 'x') === 1 && bindsOf(b, 'b') === 1 && bindsOf(c, 'c') === 1, 'every provider bound');
  });

  it('reloads on SIGHUP: only the changed provider is rebound, rates retuned in place, new ones bound, removed ones unbound', async () => {
    writeConfig(afterReload());
    const from = sock.messages.length;
    daemon.kill('SIGHUP');
    const reloading = await sock.next((t) => t.startsWith('RELOADING=1'), 10_000, from);
    expect(reloading.text).toMatch(/^MONOTONIC_USEC=\d+$/m);
    const done = await sock.next((t) => t.split('\n').includes('READY=1'), 15_000, reloading.index);
    expect(done.text).toContain('STATUS=serving on');
    expect(done.text).toContain('reloaded: added n; restarted c; retuned b; removed x');
    await until(() => bindsOf(c, 'n') === 1 && bindsOf(c, 'c') === 2, 'c rebound and n bound');
    // a and b kept their one bind each; x unbound; c unbound once (its old gateway) and bound anew.
    expect(bindsOf(a, 'a')).toBe(1);
    expect(bindsOf(b, 'b')).toBe(1);
    expect(b.unbinds).toBe(0);
    expect(a.unbinds).toBe(1);
    expect(c.unbinds).toBe(1);
    const listed = cli(['provider', 'list'], env);
    expect(listed.stdout).toMatch(/\tx\tsmpp\t.*\tinactive\t\(config\)/);
    expect(listed.stdout).toMatch(/\tb\tsmpp\t.*tps=50\tactive\t\(config\)/);
    expect(listed.stdout).toMatch(/\tn\tsmpp\t.*\tactive\t\(config\)/);
    await sock.next((t) => t === 'WATCHDOG=1', 10_000, done.index);
  });

  it('keeps the running config when the file no longer loads', async () => {
    writeFileSync(configFile, '{ "providers": [ { "name": "a", "driver": "nope" } ] }');
    const from = sock.messages.length;
    daemon.kill('SIGHUP');
    const done = await sock.next((t) => t.split('\n').includes('READY=1'), 15_000, from);
    expect(done.text).toContain('reload refused');
    await until(() => logLines().some((l) => l.msg === 'reload: the config file does not load; the running config is kept'), 'the refusal logged');
    expect(daemon.exitCode).toBeNull();
    expect(bindsOf(a, 'a')).toBe(1);
    expect(bindsOf(b, 'b')).toBe(1);
    expect(a.unbinds + b.unbinds + c.unbinds).toBe(2);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    writeConfig(afterReload());
  });

  it("changes its log level at run time (switchpost log-level), and a reload puts back the config file's", async () => {
    const requests = () => logLines().filter((l) => l.msg === 'request').length;
    await fetch(`${url}/health`);
    await sleep(200);
    expect(requests(), 'a debug line at level info').toBe(0);
    const told = cli(['log-level', 'debug'], env);
    expect(told.status, told.stderr).toBe(0);
    expect(told.stdout).toContain(`(pid ${daemon.pid}) now logs at debug`);
    await until(() => logLines().some((l) => l.msg === 'log level now debug (until the next reload or restart)'), 'the level change logged');
    await fetch(`${url}/health`);
    await until(() => requests() >= 1, 'a request logged at debug');
    // The config file's level (info) again at the next reload.
    const from = sock.messages.length;
    daemon.kill('SIGHUP');
    await sock.next((t) => t.split('\n').includes('READY=1') && t.includes('no provider changed'), 15_000, from);
    const before = requests();
    await fetch(`${url}/health`);
    await sleep(300);
    expect(requests()).toBe(before);
    const bad = cli(['log-level', 'loud'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('log-level: give one of fatal, error, warn, info, debug, trace, silent');
  });

  it('says STOPPING=1 on SIGTERM and exits 0', async () => {
    const from = sock.messages.length;
    const gone = exited(daemon);
    daemon.kill('SIGTERM');
    const stopping = await sock.next((t) => t.startsWith('STOPPING=1'), 10_000, from);
    expect(stopping.text).toContain('STATUS=stopping');
    expect((await gone).code).toBe(0);
    // No ping after STOPPING=1.
    expect(sock.messages.slice(stopping.index + 1).filter((m) => m.text === 'WATCHDOG=1')).toEqual([]);
    // Stopped: nobody to tell a level to.
    const told = cli(['log-level', 'debug'], env);
    expect(told.status).toBe(1);
    expect(told.stderr).toMatch(/^switchpost: no switchpost is running on /);
  });

  it('sends nothing without NOTIFY_SOCKET, even with WATCHDOG_USEC set', async () => {
    const port = await freePort();
    const plain = { SWITCHPOST_CONFIG: configFile, SWITCHPOST_HTTP_PORT: String(port), WATCHDOG_USEC: '1000000', SWITCHPOST_DATA_DIR: join(dir, 'data2') };
    writeConfig([]);
    const { NOTIFY_SOCKET: _unset, ...outer } = process.env;
    const child = spawn(process.execPath, [CLI, 'start'], { env: { ...outer, ...plain }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout!.on('data', (d) => (text += d));
    const from = sock.messages.length;
    try {
      for (let i = 0; i < 300 && !text.includes('switchpost listening'); i++) await sleep(50);
      expect(text).toContain('switchpost listening');
      await sleep(1500);
      expect(text).not.toContain('systemd watchdog armed');
      expect(sock.messages.length).toBe(from);
    } finally {
      const gone = exited(child);
      child.kill('SIGTERM');
      expect((await gone).code).toBe(0);
    }
  });
});
