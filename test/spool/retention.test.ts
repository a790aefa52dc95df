import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { migrate, openDb, type Db } from '../../dist/store/db.js';
import { MIGRATIONS } from '../../dist/store/migrations.js';
import { JobStore } from '../../dist/store/jobs.js';
import { UserStore } from '../../dist/store/users.js';
import { DUE, RetentionStore } from '../../dist/store/retention.js';
import { TransmissionStore } from '../../dist/store/transmissions.js';
import { DocumentRetention } from '../../dist/spool/retention.js';
import { plainJob } from '../../dist/core/jobs.js';
import { documentKeys } from '../../dist/core/documents.js';
import type { Content } from '../../dist/core/content.js';

// maximum_document_retention_hours: real files in a temp data dir, a real SQLite file reopened between
// making the jobs and sweeping them (a restart), time moved on by the sweeper's clock.
const HOUR = 3_600_000;
let dir: string;
let dbFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-retention-'));
  dbFile = join(dir, 'switchpost.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A content-addressed file as the media preparers write it, under this data dir. */
const file = (sub: string, name: string): string => {
  mkdirSync(join(dir, 'media', sub), { recursive: true });
  const p = join(dir, 'media', sub, name);
  writeFileSync(p, `bytes of ${name}`);
  return p;
};
const fax = (document: string): Content => ({ kind: 'fax', document, pages: 1, fine: false, header: null, fileNames: ['a.pdf'] });
const email = (...files: string[]): Content => ({ kind: 'email', from: { address: 'a@example.com', name: null }, subject: 's', text: 't', html: null, attachments: files.map((f) => ({ file: f, name: 'x.pdf', size: 1 })) });
const recipient = { destination: '+61491570156', name: null, reference: null, fields: null, blackouts: null };

/** A job finished at `at`, as the finalizer leaves it. */
function finished(db: Db, id: number, at: number) {
  db.prepare(`UPDATE recipients SET state = 'delivered', final_at = ? WHERE job_id = ?`).run(at, id);
  db.prepare(`UPDATE jobs SET status = 'complete', remaining = 0, succeeded = total, completed_at = ? WHERE id = ?`).run(at, id);
}
const jobDocs = (db: Db, id: number) => db.prepare('SELECT documents, documents_removed_at FROM jobs WHERE id = ?').get(id) as { documents: string | null; documents_removed_at: number | null };
const sweeper = (db: Db, now: number, grace?: number) =>
  new DocumentRetention(new RetentionStore(db), { now: () => now }, pino({ level: 'silent' }), { dataDir: dir, intervalMs: 60_000, batch: 2, ...(grace !== undefined ? { reuseGraceMs: grace } : {}) });

describe('document retention', () => {
  it("removes a finished job's files after its user's hours, keeping a file another user's job (no retention) or an unfinished job still names", async () => {
    const t0 = Date.now();
    const shared = file('fax', 'aaaa.tif');
    const own = file('attachments', 'bbbb.bin');
    const open = file('mms', 'cccc.jpg');
    const lone = file('audio', 'dddd.wav');
    let db = openDb(dbFile);
    migrate(db);
    const users = new UserStore(db);
    const keeper = users.add({ user_code: 'keeper', password: 'pw-keeper-secret', role: 'user', timezone: 'UTC', country: 'AU', profile: { maximum_document_retention_hours: 24 } });
    const hoarder = users.add({ user_code: 'hoarder', password: 'pw-hoarder-secret', role: 'user', timezone: 'UTC', country: 'AU' });
    const jobs = new JobStore(db);
    const mine = jobs.create(plainJob({ userId: keeper, face: 'welcorp', channel: 'fax', content: fax(shared), recipients: [recipient] }), t0);
    const theirs = jobs.create(plainJob({ userId: hoarder, face: 'welcorp', channel: 'fax', content: fax(shared), recipients: [recipient] }), t0);
    const mail = jobs.create(plainJob({ userId: keeper, face: 'welcorp', channel: 'email', content: email(own, open), recipients: [{ ...recipient, destination: 'x@example.com' }] }), t0);
    const unfinished = jobs.create(plainJob({ userId: keeper, face: 'welcorp', channel: 'email', content: email(open), recipients: [{ ...recipient, destination: 'y@example.com' }] }), t0);
    const voice = jobs.create(
      plainJob({
        userId: keeper,
        face: 'welcorp',
        channel: 'voice',
        content: { kind: 'call', text: { template: '' }, voice: 'default', header: null, voicemail: null, recording: { file: lone, name: 'm.mp3' }, repeat: true, responses: [] },
        recipients: [recipient],
      }),
      t0,
    );
    const sms = jobs.create(plainJob({ userId: keeper, face: 'welcorp', channel: 'sms', content: { kind: 'sms', text: { template: 'hi' }, sms: {} }, recipients: [recipient] }), t0);
    for (const id of [mine, theirs, mail, voice, sms]) finished(db, id, t0);
    expect(jobDocs(db, mine).documents).toBe('kept');
    expect(jobDocs(db, sms).documents).toBeNull();
    db.close();

    // A restart: the sweep reads everything from the store.
    db = openDb(dbFile);
    migrate(db);
    expect(await sweeper(db, t0 + 23 * HOUR).sweep()).toEqual({ jobs: 0, removed: 0 });
    for (const f of [shared, own, open, lone]) expect(existsSync(f), f).toBe(true);

    const after = t0 + 25 * HOUR;
    const r = await sweeper(db, after).sweep();
    expect(r).toEqual({ jobs: 3, removed: 2 });
    for (const id of [mine, mail, voice]) expect(jobDocs(db, id)).toEqual({ documents: 'removed', documents_removed_at: after });
    expect(jobDocs(db, theirs).documents).toBe('kept');
    expect(jobDocs(db, unfinished).documents).toBe('kept');
    expect(existsSync(shared), "the other user's job still sends it").toBe(true);
    expect(existsSync(open), 'an unfinished job still sends it').toBe(true);
    expect(existsSync(own)).toBe(false);
    expect(existsSync(lone)).toBe(false);
    expect(db.prepare('SELECT count(*) AS n FROM file_removals').get()).toEqual({ n: 0 });

    // The unfinished job finishes: its file goes in its turn; the hoarder's file never.
    finished(db, unfinished, after);
    expect(await sweeper(db, after + 25 * HOUR).sweep()).toEqual({ jobs: 1, removed: 1 });
    expect(existsSync(open)).toBe(false);
    expect(existsSync(shared)).toBe(true);
    expect(await sweeper(db, after + 1000 * HOUR).sweep()).toEqual({ jobs: 0, removed: 0 });
    db.close();
  });

  it('leaves a file a submit has just taken again (its time set) for a later sweep, and a queued file a new job names', async () => {
    const t0 = Date.now();
    const a = file('fax', 'eeee.tif');
    const b = file('attachments', 'ffff.bin');
    const db = openDb(dbFile);
    migrate(db);
    const u = new UserStore(db).add({ user_code: 'k', password: 'pw-k-secret', role: 'user', timezone: 'UTC', country: 'AU', profile: { maximum_document_retention_hours: '1' } });
    const jobs = new JobStore(db);
    const one = jobs.create(plainJob({ userId: u, face: 'welcorp', channel: 'fax', content: fax(a), recipients: [recipient] }), t0);
    const two = jobs.create(plainJob({ userId: u, face: 'welcorp', channel: 'email', content: email(b), recipients: [{ ...recipient, destination: 'x@example.com' }] }), t0);
    finished(db, one, t0);
    finished(db, two, t0);
    const later = t0 + 2 * HOUR;
    // A submit found `a` (reuseStored) at the sweep's now and has not made its job yet.
    utimesSync(a, new Date(later), new Date(later));
    const store = new RetentionStore(db);
    expect(store.expire(later, 10)).toBe(2);
    // Meanwhile a new job names `b` again (made on the engine's thread before the unlink).
    const again = jobs.create(plainJob({ userId: u, face: 'welcorp', channel: 'email', content: email(b), recipients: [{ ...recipient, destination: 'y@example.com' }] }), later);
    expect(await sweeper(db, later, HOUR).sweep()).toEqual({ jobs: 0, removed: 0 });
    expect(existsSync(a)).toBe(true);
    expect(existsSync(`${a}.removing`)).toBe(false);
    expect(existsSync(b)).toBe(true);
    expect(store.pending(10)).toEqual(['media/fax/eeee.tif']);
    // An hour on, no job took it: it goes. The new job keeps `b`.
    expect(await sweeper(db, later + 2 * HOUR, HOUR).sweep()).toEqual({ jobs: 0, removed: 1 });
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(true);
    expect(jobDocs(db, again).documents).toBe('kept');
    db.close();
  });

  it("refuses ICTCore's retry of a failed transmission whose job's documents were removed: nothing left to send", async () => {
    const t0 = Date.now();
    const doc = file('fax', '9999.tif');
    const db = openDb(dbFile);
    migrate(db);
    const u = new UserStore(db).add({ user_code: 'r', password: 'pw-r-secret', role: 'user', timezone: 'UTC', country: 'AU', profile: { maximum_document_retention_hours: 2 } });
    const jobs = new JobStore(db);
    const job = jobs.create(plainJob({ userId: u, face: 'ictcore', channel: 'fax', content: fax(doc), recipients: [recipient, { ...recipient, destination: '+61491570157' }] }), t0);
    db.prepare(`UPDATE recipients SET state = 'failed', final_at = ? WHERE job_id = ?`).run(t0, job);
    db.prepare(`UPDATE jobs SET status = 'complete', remaining = 0, failed = total, completed_at = ? WHERE id = ?`).run(t0, job);
    const [first, second] = (db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { id: number }[]).map((r) => r.id);
    const transmissions = new TransmissionStore(db);
    // Within its hours a failed fax is sent again (its job reopened)…
    expect(transmissions.requeue(first!, t0 + HOUR)).toBe('requeued');
    db.prepare(`UPDATE recipients SET state = 'failed', final_at = ? WHERE id = ?`).run(t0 + HOUR, first);
    db.prepare(`UPDATE jobs SET status = 'complete', remaining = 0, completed_at = ? WHERE id = ?`).run(t0 + HOUR, job);
    // …and the hours count from when it finished again.
    expect(await sweeper(db, t0 + 2.5 * HOUR).sweep()).toEqual({ jobs: 0, removed: 0 });
    expect(await sweeper(db, t0 + 3.5 * HOUR).sweep()).toEqual({ jobs: 1, removed: 1 });
    expect(existsSync(doc)).toBe(false);
    expect(transmissions.requeue(second!, t0 + 4 * HOUR)).toBe('documents_removed');
    expect(db.prepare('SELECT state FROM recipients WHERE id = ?').get(second)).toEqual({ state: 'failed' });
    expect(db.prepare('SELECT status FROM jobs WHERE id = ?').get(job)).toEqual({ status: 'complete' });
    db.close();
  });

  it("finds the due jobs by each retaining user's range of the kept-documents index, never a scan of the jobs", () => {
    const db = openDb(dbFile);
    migrate(db);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${DUE}`).all({ now: 0, limit: 1 }) as { detail: string }[]).map((r) => r.detail);
    expect(plan).toContainEqual(expect.stringMatching(/^SEARCH j USING INDEX jobs_documents_kept \(user_id=\? AND completed_at<\?\)/));
    expect(plan.some((d) => /^SCAN j\b/.test(d))).toBe(false);
    db.close();
  });

  it('migration 18 indexes the files of the jobs made before it as documentKeys does, whatever the data dir was called', () => {
    const db = openDb(dbFile);
    migrate(
      db,
      MIGRATIONS.filter((m: { version: number }) => m.version < 18),
    );
    const u = new UserStore(db).add({ user_code: 'u', password: 'pw-u-secret', role: 'user', timezone: 'UTC', country: 'AU' });
    const contents: Content[] = [
      fax('/srv/media/switchpost/media/fax/1111.tif'),
      fax('data/media/fax/2222.tif'),
      fax('media/fax-in/7.pdf'),
      fax(''),
      fax('/elsewhere/3333.tif'),
      email('./data/media/attachments/4444.bin', '/d/media/reports/job-9.csv', '/d/media/tts/x.wav', '/d/media//fax/5555.tif'),
      { kind: 'mms', subject: '', text: { template: '' }, media: [{ file: '/d/media/mms/6666.jpg', contentType: 'image/jpeg', size: 1, sha256: 'a'.repeat(64), name: 'p.jpg' }], maxBytes: 300000 },
      { kind: 'call', text: { template: '' }, voice: 'default', header: null, voicemail: null, recording: { file: '/d/media/audio/7777.wav', name: 'm.mp3' }, repeat: true, responses: [] },
      { kind: 'sms', text: { template: 'hi' }, sms: {} },
    ];
    const insert = db.prepare("INSERT INTO jobs (user_id, face, channel, content, created_at) VALUES (?, 'welcorp', ?, ?, 1)");
    const ids = contents.map((c) => Number(insert.run(u, c.kind === 'call' ? 'voice' : c.kind, JSON.stringify(c)).lastInsertRowid));
    expect(migrate(db).map((m: { version: number }) => m.version)).toContain(18);
    const rows = db.prepare('SELECT job_id, file FROM job_files ORDER BY job_id, file').all();
    const expected = ids.flatMap((id, i) =>
      documentKeys(contents[i]!)
        .sort()
        .map((f: string) => ({ job_id: id, file: f })),
    );
    expect(rows).toEqual(expected);
    expect(expected.length).toBe(7);
    const kept = (db.prepare("SELECT id FROM jobs WHERE documents = 'kept' ORDER BY id").all() as { id: number }[]).map((r) => r.id);
    expect(kept).toEqual([...new Set(expected.map((e) => e.job_id))]);
    db.close();
  });
});
