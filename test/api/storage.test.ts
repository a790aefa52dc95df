import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cli, freePort } from '../helpers/process.js';
import { EslPeer } from '../peers/esl.js';

/**
 * Bad days for the disk, for real: a small tmpfs filled to the last block, a read-only bind mount, a
 * read-only data directory. Needs mount(8) as root with CAP_SYS_ADMIN (CI runs so): as root without
 * it the suite fails, saying so; as another user it is skipped, loudly.
 *
 * Every mount is under this run's directory (its name carries the pid), undone after each test and
 * checked gone; a run that was killed leaves its mounts, which the next run sweeps from /proc/mounts.
 */

const PREFIX = 'switchpost-disk-';
const root = process.getuid?.() === 0;
let runDir = '';
const mounts: string[] = [];
const mount = (...args: string[]) => execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
/** The mount points under `dir` now, deepest first (/proc/mounts writes a space as \040). */
const mountedUnder = (dir: string) =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
/** Lazily unmounts `m`, failing if umount says no or the mount is still listed. */
function umount(m: string): void {
  const r = spawnSync('umount', ['-l', m], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`umount -l ${m} failed (${r.status}): ${r.stderr || r.error?.message}`);
  if (mountedUnder(m).includes(m)) throw new Error(`${m} is still mounted after umount -l`);
}
/** Unmounts every one, even when one fails; then throws what failed. */
function umountAll(list: string[]): void {
  const failed: string[] = [];
  for (const m of list) {
    try {
      umount(m);
    } catch (err) {
      failed.push((err as Error).message);
    }
  }
  if (failed.length) throw new Error(failed.join('; '));
}
/** Mounts of earlier runs whose process is gone (killed before its afterAll): unmounted, their directories removed. */
function sweepStale(): void {
  const staleRun = (path: string) => {
    const m = new RegExp(`^${tmpdir()}/${PREFIX}(\\d+)-[^/]+`).exec(path);
    return m && !alive(Number(m[1])) ? m[0] : null;
  };
  const mounted = mountedUnder(tmpdir()).filter((m) => staleRun(m) !== null);
  umountAll(mounted);
  for (const name of readdirSync(tmpdir())) {
    const dir = staleRun(join(tmpdir(), name));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
/** A directory of this run's, for a mount or a daemon's data. */
const sub = (name: string) => mkdtempSync(join(runDir, `${name}-`));
function tmpfs(size: string, opts = ''): string {
  const dir = sub('tmpfs');
  mount('-t', 'tmpfs', '-o', `size=${size}${opts}`, 'tmpfs', dir);
  mounts.push(dir);
  return dir;
}
/** `dir` read-only from now on: a bind mount of itself, remounted ro. */
function readOnly(dir: string): void {
  mount('--bind', dir, dir);
  mounts.push(dir);
  mount('-o', 'remount,bind,ro', dir);
}

/** Writes until the file system has no block left; returns the file, whose removal frees the space. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  // The last partial block too.
  try {
    for (;;) writeSync(fd, chunk.subarray(0, 512));
  } catch {}
  closeSync(fd);
  return file;
}

let d: TestDaemon | undefined;
const fillers: string[] = [];
beforeAll(() => {
  if (!root) return;
  sweepStale();
  runDir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  // The probe: root without CAP_SYS_ADMIN (a plain container) cannot mount; the suite needs it.
  const probe = sub('probe');
  try {
    mount('-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe);
  } catch (err) {
    throw new Error(`storage tests need mount(8) as root with CAP_SYS_ADMIN (CI runs so), and mounting a tmpfs failed: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`, { cause: err });
  }
  umount(probe);
});
afterEach(async () => {
  try {
    await d?.close();
  } finally {
    d = undefined;
    for (const f of fillers.splice(0)) rmSync(f, { force: true });
    umountAll(mounts.splice(0).reverse());
  }
});
afterAll(() => {
  if (!runDir) return;
  try {
    // Whatever a test mounted and did not list (it failed half-way through a mount).
    umountAll(mountedUnder(runDir));
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});

/** One second of audio, made by ffmpeg (the media tests need it installed, as CI has). */
const tone = () => spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-f', 'wav', 'pipe:1']).stdout;
const counts = (dd: TestDaemon) => dd.db.prepare('SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM recipients) AS recipients').get() as { jobs: number; recipients: number };
const smsJob = (n: number) => ({
  job_type: 'sms',
  job_name: 'full disk',
  message: 'hello there, this is a message long enough to take some room in the spool',
  recipients: Array.from({ length: n }, (_, i) => ({ destination: `+614915${String(i).padStart(5, '0')}`, reference: `ref-${i}-${'x'.repeat(40)}` })),
});
const form = (dd: TestDaemon, path: string, fields: Record<string, string>, token: string) =>
  fetch(dd.url + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: token }, body: new URLSearchParams(fields).toString() });

if (!root) console.warn(`\n*** test/api/storage.test.ts SKIPPED: it mounts file systems and needs root (uid ${process.getuid?.()}); CI runs it as root ***\n`);
describe.skipIf(!root)('a full or read-only disk', () => {
  it('answers 503 "storage is full" in every face, stores nothing half, says so on /health, and recovers when space is freed', async () => {
    const dir = tmpfs('48m');
    d = await testDaemon({ data_dir: dir, store: { synchronous: 'normal', min_free_mb: 1 }, retarus: { requests_per_10s: 1000 } });
    const admin = d.addUser('disk-admin', 'admin', { password: 'disk-password-1' });
    const ict = await bearer(d, 'disk-admin', 'disk-password-1');
    const login = await form(d, '/Integra/resources/auth/login', { user: 'disk-admin', password: 'disk-password-1' }, '');
    const uc = `Bearer ${((await login.json()) as { token: string }).token}`;
    expect((await d.api('GET', '/health')).json).toMatchObject({ status: 'ok', storage: 'ok' });

    const group = (await d.api('POST', '/groups', { auth: ict, body: { name: 'big' } })).json as number;
    expect(group).toEqual(expect.any(Number));
    // An empty WAL, so the next write needs new blocks; then no block is left.
    d.db.pragma('wal_checkpoint(TRUNCATE)');
    const filler = fill(dir);
    fillers.push(filler);
    const before = counts(d);

    const v1 = await d.api('POST', '/api/v1/jobs', { auth: admin.auth, body: smsJob(3000) });
    expect(v1.status).toBe(503);
    expect(v1.json).toEqual({ status: 503, errors: expect.stringMatching(/storage is full.*nothing was stored/) });
    expect(v1.text).not.toContain(dir);

    const retarus = await d.api('POST', '/rest/v1/jobs', { auth: admin.auth, body: { messages: [{ text: 'hello', recipients: Array.from({ length: 3000 }, (_, i) => ({ dst: `+4917615${String(i).padStart(5, '0')}` })) }] } });
    expect(retarus.status).toBe(503);
    expect(retarus.json).toEqual({ message: expect.stringMatching(/storage is full/) });

    const base = Buffer.from(['destination,message', ...Array.from({ length: 3000 }, (_, i) => `+614915${String(i).padStart(5, '0')},hello number ${i} ${'y'.repeat(40)}`)].join('\n')).toString('base64');
    const ucontact = await form(d, '/Integra/resources/SMS/uploadbase', { fileb64: base, campaign: 'full', filename: 'base.csv' }, uc);
    expect(ucontact.status).toBe(503);
    expect(await ucontact.text()).toBe('ERROR');
    expect(decodeURIComponent(ucontact.headers.get('x-error') ?? '')).toMatch(/storage is full/);
    expect(ucontact.headers.get('retry-after')).toBe('60');

    const csv = ['first_name,last_name,phone,description', ...Array.from({ length: 3000 }, (_, i) => `Name${i},Family${i},+614915${String(i).padStart(5, '0')},${'z'.repeat(60)}`)].join('\n');
    const ictcore = await d.api('POST', `/groups/${group}/csv`, { auth: ict, raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(ictcore.status).toBe(503);
    expect(ictcore.json).toEqual({ error: { code: 503, message: expect.stringMatching(/^Service Unavailable: storage is full/) } });
    expect(ictcore.text).not.toContain(dir);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM contacts').get() as { n: number }).n).toBe(0);

    // A voice job's audio cannot be written either: a 503, and no partial file left holding space.
    const audioDir = join(dir, 'media', 'audio');
    const voice = await d.api('POST', '/api/v1/jobs', { auth: admin.auth, body: { job_type: 'voice', job_name: 'full', audiofile: { name: 'a.wav', base64content: tone().toString('base64') }, recipients: [{ destination: '+61491570156' }] } });
    expect(voice.status).toBe(503);
    expect(voice.json.errors).toMatch(/storage is full/);
    expect(existsSync(audioDir) ? readdirSync(audioDir) : []).toEqual([]);

    // Nothing half-stored: no job, no recipient of the refused requests.
    const after = counts(d);
    expect(after.jobs - before.jobs).toBe(0);
    expect(after.recipients - before.recipients).toBe(0);
    const health = await d.api('GET', '/health');
    expect(health.json).toMatchObject({ status: 'degraded', storage: 'full' });

    // Space again: the same request is taken whole, and sent.
    rmSync(filler);
    expect((await d.api('GET', '/health')).json).toMatchObject({ status: 'ok', storage: 'ok' });
    const again = await d.api('POST', '/api/v1/jobs', { auth: admin.auth, body: smsJob(3000) });
    expect(again.status).toBe(200);
    expect(counts(d).recipients - before.recipients).toBe(3000);
  }, 60_000);

  it('refuses a voice job whose media directory is read-only with a clear 503, storing nothing', async () => {
    d = await testDaemon({ data_dir: sub('media-ro') });
    const admin = d.addUser('media-admin', 'admin');
    const media = join(d.config.data_dir, 'media', 'audio');
    mkdirSync(media, { recursive: true });
    readOnly(media);
    const before = counts(d);
    const r = await d.api('POST', '/api/v1/jobs', { auth: admin.auth, body: { job_type: 'voice', job_name: 'ro', audiofile: { name: 'a.wav', base64content: tone().toString('base64') }, recipients: [{ destination: '+61491570156' }] } });
    expect(r.status).toBe(503);
    expect(r.json).toEqual({ status: 503, errors: expect.stringMatching(/storage is read-only.*nothing was stored/) });
    expect(counts(d)).toEqual(before);
  }, 30_000);

  it('fails a TTS call whose speech cannot be written with a reason saying storage is read-only', async () => {
    const peer = new EslPeer({ password: 'Esl-test-secret-1' });
    const port = await peer.listen();
    try {
      d = await testDaemon({
        data_dir: sub('tts-ro'),
        sandbox: { enabled: false },
        spool: { poll_ms: 20, retry: { tries: 1, backoff_seconds: 0.05, backoff_max_seconds: 0.1 } },
        providers: [{ name: 'fs', driver: 'freeswitch', services: ['voice'], host: '127.0.0.1', port, password: 'Esl-test-secret-1', settings: { gateway: 'telco-a', reconnect_min_ms: 50, reconnect_max_ms: 200 } }],
      });
      const tts = join(d.config.data_dir, 'media', 'tts');
      readOnly(tts);
      const u = d.addUser('tts-user', 'user');
      const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'tts', message: 'Hello there', recipients: [{ destination: '+61491570156' }] } });
      expect(r.status).toBe(200);
      const row = await d.waitFor(() => d!.db.prepare("SELECT state, reason FROM recipients WHERE job_id = ? AND state NOT IN ('queued', 'sending')").get(r.json.data) as { state: string; reason: string } | undefined);
      expect(row.reason).toMatch(/storage is read-only/);
      expect(peer.originates).toHaveLength(0);
    } finally {
      await peer.close();
    }
  }, 30_000);

  it('refuses to start on a read-only or a full data directory with one line naming it', async () => {
    const ro = tmpfs('4m', ',ro');
    const full = tmpfs('4m');
    fill(full);
    for (const [dir, says] of [
      [ro, /read-only/],
      [full, /full/],
    ] as const) {
      const r = cli(['start'], { SWITCHPOST_DATA_DIR: dir, SWITCHPOST_HTTP_PORT: String(await freePort()), SWITCHPOST_LOG_LEVEL: 'silent' });
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(dir);
      expect(lines[0]).toMatch(says);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 30_000);
});
