import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDaemon } from '../helpers/daemon.js';
import { TestSmsc } from '../peers/smsc.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { FAST_SMPP, jobComplete, postSms, waitUp } from '../helpers/smpp-daemon.js';
import { pgDatabases } from '../helpers/pg-db.js';
import { cli, startProcess, exited, killAll, freePort } from '../helpers/process.js';
import { loadConfig } from '../../dist/config/load.js';
import { startDaemon } from '../../dist/main.js';
import { PgDb } from '../../dist/store/pg/db.js';
import { MIGRATIONS } from '../../dist/store/migrations.js';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { checkPgStore } from '../../dist/ops/doctor-store.js';

const pg = pgDatabases();
const LATEST = MIGRATIONS.at(-1)!.version;
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-pg-'));
  closers.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** A daemon on PostgreSQL end to end (issue 15): store.driver postgres, the same daemon as on SQLite. */
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await killAll();
  for (const c of closers.splice(0).reverse()) await c();
});

async function smsc(): Promise<{ smsc: TestSmsc; port: number }> {
  const s = new TestSmsc({ systemId: 'esme', password: 'secret' });
  const port = await s.listen();
  closers.push(() => s.close());
  return { smsc: s, port };
}

const smppProvider = (port: number) => ({ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'secret', settings: FAST_SMPP });

describe('a daemon on PostgreSQL', () => {
  it('sends a v1 SMS job through a real SMSC: receipts matched, the v1 report right, the callback delivered', async () => {
    const { smsc: peer, port } = await smsc();
    const rx = await callbackReceiver();
    closers.push(() => rx.close());
    const d = await testDaemon({ sandbox: { enabled: false }, providers: [smppProvider(port)] }, { store: 'postgres' });
    closers.push(() => d.close());
    expect(d.db).toBeInstanceOf(PgDb);
    await waitUp(d);
    const u = d.addUser('u', 'user');
    const job = await postSms(d, u.auth, {
      message: 'Hello from PostgreSQL',
      callback_url: rx.url,
      callback_on_sms_status_update: true,
      recipients: [
        { destination: '0491 570 156', reference: 'r1' },
        { destination: '0491 570 157', reference: 'r2' },
      ],
    });
    await d.waitFor(jobComplete(d, job));
    expect(peer.submits.map((s) => s.destination_addr).sort()).toEqual(['61491570156', '61491570157']);
    const attempts = d.db.prepare('SELECT peer_id, status FROM attempts WHERE job_id = ? ORDER BY id').all(job) as { peer_id: string; status: string }[];
    expect(attempts.map((a) => a.status)).toEqual(['delivered', 'delivered']);
    expect(attempts.map((a) => a.peer_id).sort()).toEqual(peer.submits.map((s) => s.messageId).sort());
    const detail = await d.api('GET', `/api/v1/jobs/${job}`, { auth: u.auth });
    expect(detail.status).toBe(200);
    expect(detail.json.data).toMatchObject({ job_id: job, job_status: 'Complete', total_recipients: 2, sent_recipients: 2, failed_recipients: 0 });
    expect(detail.json.data.reports.map((r: { reference: string; status: string; stage: string }) => [r.reference, r.status, r.stage]).sort()).toEqual([
      ['r1', 'SENT', 'Confirmed'],
      ['r2', 'SENT', 'Confirmed'],
    ]);
    await d.waitFor(() => rx.got.length >= 2);
    const states = d.db.prepare('SELECT state FROM callbacks WHERE job_id = ?').all(job) as { state: string }[];
    expect(states.length).toBeGreaterThanOrEqual(2);
    await d.waitFor(() => (d.db.prepare(`SELECT count(*) AS n FROM callbacks WHERE job_id = ? AND state <> 'delivered'`).get(job) as { n: number }).n === 0);
  });

  it('starts again on the same database with everything kept, and sends nothing twice', async () => {
    const { smsc: peer, port } = await smsc();
    const dir = tempDir();
    const { url } = await pg.fresh();
    const store = { driver: 'postgres', url };
    const first = await testDaemon({ data_dir: dir, store, sandbox: { enabled: false }, providers: [smppProvider(port)] });
    await waitUp(first);
    const u = first.addUser('u', 'user');
    const job = await postSms(first, u.auth, { message: 'once', recipients: [{ destination: '0491 570 156' }, { destination: '0491 570 157' }] });
    await first.waitFor(jobComplete(first, job));
    await first.stop();
    expect(peer.submits).toHaveLength(2);
    const second = await testDaemon({ data_dir: dir, store, sandbox: { enabled: false }, providers: [smppProvider(port)] });
    closers.push(() => second.close());
    await waitUp(second);
    // Kept: the user (no second admin made), the job and its report; nothing sent again.
    expect((second.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).toBe(2);
    const detail = await second.api('GET', `/api/v1/jobs/${job}`, { auth: u.auth });
    expect(detail.json.data).toMatchObject({ job_status: 'Complete', sent_recipients: 2 });
    const later = await postSms(second, u.auth, { message: 'after the restart', recipients: [{ destination: '0491 570 158' }] });
    await second.waitFor(jobComplete(second, later));
    expect(later).toBeGreaterThan(job);
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.submits.map((s) => s.destination_addr)).toEqual(expect.arrayContaining(['61491570156', '61491570157', '61491570158']));
    expect(peer.submits).toHaveLength(3);
  });

  it('refuses a second daemon with the same node.id on the same database, naming the node; another node.id starts', async () => {
    const { url } = await pg.fresh();
    const store = { driver: 'postgres', url };
    const a = await testDaemon({ store, node: { id: 'node-a' } });
    closers.push(() => a.close());
    await expect(testDaemon({ store, node: { id: 'node-a' } })).rejects.toMatchObject({ code: 'STORE_NODE_TAKEN', message: expect.stringMatching(/another switchpost with node\.id "node-a" is running on postgres:\/\/.*\/switchpost_test_/) });
    const b = await testDaemon({ store, node: { id: 'node-b' } });
    await b.stop();
    // The lock is the connection's: a daemon stopped frees its node for the next.
    await a.stop();
    const again = await testDaemon({ store, node: { id: 'node-a' } });
    await again.stop();
  });

  it('frees the node when its process dies (the connection drops with it)', async () => {
    const { url } = await pg.fresh();
    const env = { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: url, SWITCHPOST_NODE_ID: 'node-k', SWITCHPOST_LOG_LEVEL: 'silent' };
    const firstDir = tempDir();
    const first = await startProcess({ ...env, SWITCHPOST_DATA_DIR: firstDir, SWITCHPOST_HTTP_PORT: String(await freePort()) });
    // `switchpost log-level` finds the daemon of its data_dir (several share the database).
    const told = cli(['log-level', 'debug'], { ...env, SWITCHPOST_DATA_DIR: firstDir });
    expect(told.stderr).toBe('');
    expect(told.stdout).toContain(`(pid ${first.child.pid}) now logs at debug`);
    const refused = cli(['start'], { ...env, SWITCHPOST_DATA_DIR: tempDir(), SWITCHPOST_HTTP_PORT: String(await freePort()) });
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^switchpost: another switchpost with node\.id "node-k" is running on postgres:\/\/[^\n]*$/);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const next = await startProcess({ ...env, SWITCHPOST_DATA_DIR: tempDir(), SWITCHPOST_HTTP_PORT: String(await freePort()) });
    next.child.kill('SIGTERM');
    expect((await exited(next.child)).code).toBe(0);
  });

  it('exits when its connection to PostgreSQL is lost, since its node lock went with it', async () => {
    const db = await pg.fresh();
    const env = { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: db.url, SWITCHPOST_NODE_ID: 'node-l', SWITCHPOST_LOG_LEVEL: 'info' };
    const d = await startProcess({ ...env, SWITCHPOST_DATA_DIR: tempDir(), SWITCHPOST_HTTP_PORT: String(await freePort()) });
    const gone = exited(d.child);
    await db.pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    const { code } = await gone;
    expect(code, d.stderr()).toBe(70);
  });

  it('`switchpost migrate` on PostgreSQL applies the migrations and says the version; again, nothing to do; user add, import and send write there', async () => {
    const db = await pg.fresh();
    const env = { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: db.url, SWITCHPOST_DATA_DIR: tempDir(), SWITCHPOST_LOG_LEVEL: 'silent' };
    const r = cli(['migrate'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`database postgres://[^ ]*/${db.name} is at schema version ${LATEST}\n$`));
    expect((await db.pool.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n).toBe(MIGRATIONS.length);
    // The built-in sandbox provider is there as on SQLite.
    expect((await db.pool.query(`SELECT name FROM providers`)).rows.map((p) => p.name)).toEqual(['sandbox']);
    const again = cli(['migrate'], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`is at schema version ${LATEST}\n$`));
    // Another command opens the same store: a user added there is the daemon's.
    expect(cli(['user', 'add', 'carol', '--password', 'carol-secret-1'], env).status).toBe(0);
    expect((await db.pool.query(`SELECT user_code FROM users`)).rows.map((u) => u.user_code)).toEqual(['carol']);
    // `switchpost import` and `send` on the same store.
    const csv = join(env.SWITCHPOST_DATA_DIR, 'contacts.csv');
    writeFileSync(csv, 'Recipient,Mobile\n"Smith, Jane",+61491574703\nJohn,+61491574712\nBad,12ab\n');
    const imported = cli(['import', csv, '--user', 'carol', '--list', 'customers'], env);
    expect(imported.status, imported.stderr).toBe(2);
    expect(imported.stdout).toMatch(/^imported 2 contacts into list \d+ "customers" of carol \(a new list\); 1 row rejected\n$/);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM contacts`)).rows[0].n).toBe(2);
    const sent = cli(['send', '--to', '+61491570156', '--text', 'hi', '--user', 'carol'], env);
    expect(sent.status, sent.stderr).toBe(0);
    expect((await db.pool.query(`SELECT face, total FROM jobs`)).rows).toEqual([{ face: 'cli', total: 1 }]);
  });

  it('a bad store.url stops the start with one clear line: no server, no database, no such role, a role that cannot create tables', async () => {
    const dir = tempDir();
    const start = (url: string) => startDaemon(loadConfig({ env: {}, overrides: { data_dir: dir, http: { port: 0 }, log: { level: 'silent' }, store: { driver: 'postgres', url } } }));
    const closed = await freePort();
    await expect(start(`postgres://sp@127.0.0.1:${closed}/switchpost`)).rejects.toMatchObject({
      code: 'STORE_UNREACHABLE',
      message: expect.stringMatching(new RegExp(`^store postgres://sp@127\\.0\\.0\\.1:${closed}/switchpost: cannot reach the PostgreSQL server`)),
    });
    const good = new URL((await pg.fresh()).url);
    const missing = new URL(good.href);
    missing.pathname = '/no_such_database';
    await expect(start(missing.href)).rejects.toMatchObject({ code: 'STORE_DATABASE_MISSING', message: expect.stringMatching(/database "no_such_database" does not exist; create it/) });
    const stranger = new URL(good.href);
    stranger.username = 'no_such_role';
    await expect(start(stranger.href)).rejects.toMatchObject({ code: 'STORE_AUTH_FAILED', message: expect.stringMatching(/PostgreSQL refused the login/) });
    // A role that may log in but does not own the database (PostgreSQL 15 and later: no CREATE in public).
    const db = await pg.fresh();
    const role = `guest_${db.name.slice(-6)}`;
    await db.pool.query(`CREATE ROLE ${role} LOGIN`);
    closers.push(() => db.pool.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`));
    const guest = new URL(db.url);
    guest.username = role;
    await expect(start(guest.href)).rejects.toMatchObject({ code: 'STORE_CANNOT_CREATE', message: expect.stringMatching(/the role may not create the tables .*make it the database's owner/) });
    // The CLI says it in one line, without a stack.
    const r = cli(['start'], { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: `postgres://sp:hunter2@127.0.0.1:${closed}/switchpost`, SWITCHPOST_DATA_DIR: dir, SWITCHPOST_LOG_LEVEL: 'silent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^switchpost: store postgres:\/\/sp@127\.0\.0\.1:\d+\/switchpost: cannot reach the PostgreSQL server[^\n]*\n$/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it("doctor's store check on PostgreSQL: the connection and the schema version, not a SQLite file", async () => {
    const dir = tempDir();
    const config = (url: string) => loadConfig({ env: {}, overrides: { data_dir: dir, store: { driver: 'postgres', url } } });
    const db = await pg.fresh();
    expect(checkPgStore(config(db.url), 10_000)).toMatchObject({ result: { ok: false, detail: expect.stringMatching(`is at schema 0, this switchpost migrates to ${LATEST}`), fix: expect.stringMatching(/switchpost migrate/) }, providers: null });
    await migratePg(db.pool);
    const good = checkPgStore(config(db.url), 10_000);
    expect(good.result).toEqual({ name: 'store', ok: true, detail: expect.stringMatching(new RegExp(`^postgres://.*/${db.name} answers, schema ${LATEST} \\(current\\)$`)) });
    expect(good.providers).toEqual([]);
    const closed = await freePort();
    expect(checkPgStore(config(`postgres://sp@127.0.0.1:${closed}/x`), 5_000).result).toMatchObject({ ok: false, detail: expect.stringMatching(/cannot reach the PostgreSQL server/), fix: expect.stringMatching(/start PostgreSQL/) });
    // The CLI's doctor names it the same way.
    const r = cli(['doctor', '--timeout-ms', '5000'], { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: db.url, SWITCHPOST_DATA_DIR: dir, SWITCHPOST_LOG_LEVEL: 'silent' });
    expect(r.stdout).toMatch(new RegExp(`ok\\s+store\\s+postgres://\\S+/${db.name} answers, schema ${LATEST} \\(current\\)`));
  });
});
