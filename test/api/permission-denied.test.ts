import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { basic } from '../helpers/daemon.js';
import { CLI, freePort } from '../helpers/process.js';

/**
 * A file the daemon's own user may not open is a misconfiguration: a 500 with a log line naming the
 * path, never the 503 "storage … try again later" of a full or read-only disk; at start, one line
 * naming the file. The daemon runs as a real process as another user (nobody) when the tests run as
 * root (root passes every permission check); otherwise as the test's own user, with the modes taken away.
 */

const root = process.getuid?.() === 0;
const as = root ? { uid: 65534, gid: 65534 } : {};
const top = mkdtempSync(join(tmpdir(), 'switchpost-perm-'));
chmodSync(top, 0o755);
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** A directory the daemon's user owns (its data directory). */
function ownDir(name: string): string {
  const dir = join(top, name);
  mkdirSync(dir, { recursive: true });
  if (root) chownSync(dir, 65534, 65534);
  return dir;
}
/** Takes every permission from the daemon's user: root keeps it as owner with no rights for others; else the mode goes. */
const deny = (path: string, mode: number) => chmodSync(path, root ? mode & 0o700 : 0);

const env = (dir: string, port: number, more: Record<string, string> = {}) => ({
  ...process.env,
  SWITCHPOST_DATA_DIR: dir,
  SWITCHPOST_HTTP_PORT: String(port),
  SWITCHPOST_HTTP_HOST: '127.0.0.1',
  SWITCHPOST_LOG_LEVEL: 'info',
  SWITCHPOST_SANDBOX_ENABLED: 'true',
  ...more,
});
const start = (e: NodeJS.ProcessEnv) => spawnSync(process.execPath, [CLI, 'start'], { env: e, encoding: 'utf8', timeout: 20_000, ...as });

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

// The daemon runs as nobody from this checkout: a checkout nobody cannot reach (a 0700 parent such as
// mktemp -d) cannot host these tests; say so loudly rather than fail on the machine's layout.
const nobodyReaches = spawnSync('runuser', ['-u', 'nobody', '--', 'test', '-r', join(process.cwd(), 'dist', 'cli.js')]).status === 0;
if (!nobodyReaches) console.warn('*** SKIPPED permission-denied tests: user nobody cannot read this checkout (a parent directory is not world-searchable) ***');

describe.skipIf(!nobodyReaches)('a file the daemon may not open', () => {
  it('answers 500 for a voice job whose audio directory it may not write, logs the path, and stores nothing', async () => {
    const dir = ownDir('media-denied');
    const audio = join(dir, 'media', 'audio');
    mkdirSync(audio, { recursive: true });
    if (root) chownSync(join(dir, 'media'), 65534, 65534);
    deny(audio, 0o755);
    const port = await freePort();
    child = spawn(process.execPath, [CLI, 'start'], { env: env(dir, port), stdio: ['ignore', 'pipe', 'pipe'], ...as });
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (out += c));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`daemon exited: ${out}`);
      if (i > 300) throw new Error(`daemon did not start: ${out}`);
      if (
        await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const password = readFileSync(join(dir, 'initial-admin-password'), 'utf8').trim();
    const tone = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-f', 'wav', 'pipe:1']).stdout;
    const res = await fetch(`${url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('admin', password), 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'voice', job_name: 'denied', audiofile: { name: 'a.wav', base64content: tone.toString('base64') }, recipients: [{ destination: '+61491570156' }] }),
    });
    const text = await res.text();
    // Not "storage is not writable, try again later": waiting mends nothing, and the client did nothing wrong.
    expect([res.status, JSON.parse(text)], text).toEqual([500, { status: 500, errors: 'Internal error' }]);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(text).not.toContain(dir);
    const jobs = await fetch(`${url}/api/v1/jobs`, { headers: { authorization: basic('admin', password) } });
    expect(((await jobs.json()) as { data: unknown[] }).data).toEqual([]);
    // The operator's line names what could not be opened.
    await new Promise((r) => setTimeout(r, 100));
    const line = out.split('\n').find((l) => l.includes('permission denied'));
    expect(line, out).toBeDefined();
    expect(line).toContain(audio);
    expect(line).toMatch(/fix its owner or mode/);
  }, 40_000);

  it('refuses to start on a data directory it may not write with one line naming it', async () => {
    const dir = join(top, 'not-ours');
    mkdirSync(dir);
    deny(dir, 0o755);
    const r = start(env(dir, await freePort()));
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(dir);
    expect(lines[0]).toMatch(/permission denied/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('refuses to start on a database file it may read but not write, naming the file (not "storage is read-only")', async () => {
    const dir = ownDir('db-not-ours');
    // Made by someone else (root running the CLI once, say): readable, not writable, by the daemon's user.
    const made = spawnSync(process.execPath, [CLI, 'migrate'], { env: env(dir, 0, { SWITCHPOST_LOG_LEVEL: 'silent' }), encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const db = join(dir, 'switchpost.db');
    for (const f of [`${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    chmodSync(db, root ? 0o644 : 0o444);
    if (root) chownSync(dir, 65534, 65534);
    const r = start(env(dir, await freePort(), { SWITCHPOST_LOG_LEVEL: 'silent' }));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim()).toBe(`switchpost: permission denied: the daemon's user may not use ${db}; fix its owner or mode`);
  }, 30_000);

  it('names a TLS key file it may not read, as a permission problem, not storage', async () => {
    const dir = ownDir('tls-denied');
    const cert = join(top, 'cert.pem');
    const key = join(top, 'key.pem');
    writeFileSync(cert, 'not read that far\n');
    writeFileSync(key, 'secret\n');
    deny(key, 0o600);
    const r = start(env(dir, await freePort(), { SWITCHPOST_HTTP_TLS_CERT_FILE: cert, SWITCHPOST_HTTP_TLS_KEY_FILE: key, SWITCHPOST_LOG_LEVEL: 'silent' }));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim()).toBe(`switchpost: permission denied: the daemon's user may not use ${key}; fix its owner or mode`);
  }, 30_000);

  it('names a config file it may not read', async () => {
    const file = join(top, 'switchpost.yaml');
    writeFileSync(file, 'log:\n  level: silent\n');
    deny(file, 0o600);
    const r = spawnSync(process.execPath, [CLI, '--config', file, 'start'], { env: env(ownDir('config-denied'), await freePort()), encoding: 'utf8', timeout: 20_000, ...as });
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toMatch(/permission denied/);
    expect(lines[0]).not.toMatch(/storage/);
  }, 30_000);
});
