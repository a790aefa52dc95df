import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openStore } from '../../dist/store/open.js';
import { RetentionStore } from '../../dist/store/retention.js';
import { DocumentRetention } from '../../dist/spool/retention.js';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

// maximum_document_retention_hours through the real daemon: documents made by real submits (a fax
// converted to its TIFF, e-mail attachments shared by content between two users' jobs), a restart,
// the sweep with its clock moved on, and the job details after it.
const HOUR = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'switchpost-retention-api-'));
let d: TestDaemon | undefined;
afterAll(async () => {
  await d?.close();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const start = () => testDaemon({ data_dir: dir });
const mail = (from: string, attachment: string) => ({
  job_type: 'email',
  subject: 'Your papers',
  text_message: 'Attached.',
  from_name: 'Office',
  from_email: from,
  attachments: [{ name: 'papers.txt', base64content: b64(attachment) }],
  recipients: [{ destination: 'delivered@example.com' }],
});
const contentFiles = (db: TestDaemon['db'], id: number): string[] => {
  const c = JSON.parse((db.prepare('SELECT content FROM jobs WHERE id = ?').get(id) as { content: string }).content) as { document?: string; attachments?: { file: string }[] };
  return c.document ? [c.document] : (c.attachments ?? []).map((a) => a.file);
};

describe('v1 API: maximum_document_retention_hours', () => {
  it('is a whole number of hours in range, or null to keep documents; anything else is a 422 naming it', async () => {
    d = await start();
    const u = d.addUser('au/checks', 'user');
    for (const bad of [0, -1, 1.5, 'soon', 87_601, true]) {
      const r = await d.api('PUT', `/api/v1/users/${u.id}`, { auth: u.auth, body: { maximum_document_retention_hours: bad } });
      expect(r.status, String(bad)).toBe(422);
      expect(r.json.errors).toMatch(/^Validation failed: maximum_document_retention_hours: expected a whole number of hours from 1 to 87600/);
    }
    expect((await d.api('GET', `/api/v1/users/${u.id}`, { auth: u.auth })).json.data.maximum_document_retention_hours).toBeNull();
    expect((await d.api('PUT', `/api/v1/users/${u.id}`, { auth: u.auth, body: { maximum_document_retention_hours: 24 } })).status).toBe(200);
    expect((await d.api('GET', `/api/v1/users/${u.id}`, { auth: u.auth })).json.data.maximum_document_retention_hours).toBe(24);
    expect((await d.api('PUT', `/api/v1/users/${u.id}`, { auth: u.auth, body: { maximum_document_retention_hours: null } })).status).toBe(200);
    expect((await d.api('GET', `/api/v1/users/${u.id}`, { auth: u.auth })).json.data.maximum_document_retention_hours).toBeNull();
  });

  it("removes a finished job's documents after its user's hours, across a restart, keeping a file another user's job still sends; the details say so", async () => {
    const keeper = d!.addUser('au/keeper', 'user', { email: 'keeper@example.com' });
    const hoarder = d!.addUser('au/hoarder', 'user', { email: 'hoarder@example.com' });
    const later = d!.addUser('au/later', 'user', { email: 'later@example.com' });
    expect((await d!.api('PUT', `/api/v1/users/${keeper.id}`, { auth: keeper.auth, body: { maximum_document_retention_hours: 24 } })).status).toBe(200);
    expect((await d!.api('PUT', `/api/v1/users/${later.id}`, { auth: later.auth, body: { maximum_document_retention_hours: 48 } })).status).toBe(200);
    const submit = async (auth: string, body: unknown) => {
      const r = await d!.api('POST', '/api/v1/jobs', { auth, body });
      expect(r.status, r.text).toBe(200);
      return r.json.data as number;
    };
    const shared = await submit(keeper.auth, mail('keeper@example.com', 'the same papers for both'));
    const theirs = await submit(hoarder.auth, mail('hoarder@example.com', 'the same papers for both'));
    const fax = await submit(keeper.auth, { job_type: 'fax', files: [{ name: 'letter.txt', base64content: b64('Dear customer,\nyour letter.') }], recipients: [{ destination: '+61491570021' }] });
    const wiring = await submit(later.auth, mail('later@example.com', 'papers only the later user sends'));
    const done = (id: number) => (d!.db.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as { status: string }).status === 'complete';
    await d!.waitFor(() => [shared, theirs, fax, wiring].every(done), 60_000);
    const [attachment] = contentFiles(d!.db, shared);
    expect(contentFiles(d!.db, theirs)).toEqual([attachment]);
    const [tiff] = contentFiles(d!.db, fax);
    const [own] = contentFiles(d!.db, wiring);
    for (const f of [attachment!, tiff!, own!]) expect(existsSync(f), f).toBe(true);
    const kept = (await d!.api('GET', `/api/v1/jobs/${fax}`, { auth: keeper.auth })).json.data;
    expect(kept).toMatchObject({ documents_kept: true, documents_removed_date: null, files: [{ name: 'letter.txt' }] });
    expect(kept.files[0]).not.toHaveProperty('base64content');
    await d!.stop();

    // While the daemon is down: the sweep, its clock a day and more on (as the engine runs it).
    // The daemon's store as it opens it (SQLite's file, or PostgreSQL's database on the pg project).
    const db = openStore(d!.config);
    const now = Date.now() + 25 * HOUR;
    const swept = await new DocumentRetention(new RetentionStore(db), { now: () => now }, pino({ level: 'silent' }), { dataDir: dir, intervalMs: HOUR }).sweep();
    expect(swept).toEqual({ jobs: 2, removed: 1 });
    expect(existsSync(tiff!)).toBe(false);
    expect(existsSync(attachment!), "the hoarder's job still sends it").toBe(true);
    expect(existsSync(own!), '48 hours are not up').toBe(true);
    // The later user's job finished two days ago, as far as the next start can tell.
    db.prepare('UPDATE jobs SET completed_at = completed_at - ? WHERE id = ?').run(49 * HOUR, wiring);
    // …and its file made then (a file taken again within the hour is left for a later sweep).
    const then = new Date(Date.now() - 50 * HOUR);
    utimesSync(own!, then, then);
    db.close();

    d = await start();
    // The engine sweeps soon after it starts: the later user's file goes without a request.
    await d.waitFor(() => !existsSync(own!), 20_000);
    const gone = await d.api('GET', `/api/v1/jobs/${fax}`, { auth: keeper.auth });
    expect(gone.status, gone.text).toBe(200);
    expect(gone.json.data).toMatchObject({ job_status: 'Complete', documents_kept: false, files: [{ name: 'letter.txt' }] });
    expect(gone.json.data.documents_removed_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(gone.json.data.reports).toHaveLength(1);
    const mine = (await d.api('GET', `/api/v1/jobs/${shared}`, { auth: keeper.auth })).json.data;
    expect(mine).toMatchObject({ documents_kept: false, attachments: [{ name: 'papers.txt' }] });
    const other = (await d.api('GET', `/api/v1/jobs/${theirs}`, { auth: hoarder.auth })).json.data;
    expect(other).toMatchObject({ documents_kept: true, documents_removed_date: null });
    const list = await d.api('GET', '/api/v1/jobs', { auth: keeper.auth });
    expect(list.status).toBe(200);
    // The same documents sent again are made again: a new job keeps its own copy.
    const again = await submit(keeper.auth, { job_type: 'fax', files: [{ name: 'letter.txt', base64content: b64('Dear customer,\nyour letter.') }], recipients: [{ destination: '+61491570021' }] });
    expect(contentFiles(d.db, again)).toEqual([tiff]);
    expect(existsSync(tiff!)).toBe(true);
    expect((await d.api('GET', `/api/v1/jobs/${again}`, { auth: keeper.auth })).json.data).toMatchObject({ documents_kept: true });
  }, 120_000);
});
