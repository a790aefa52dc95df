import { describe, expect, it } from 'vitest';
import { JobStore } from '../../dist/store/jobs.js';
import { UserStore } from '../../dist/store/users.js';
import { RetentionStore } from '../../dist/store/retention.js';
import type { StoreDb } from '../../dist/store/store-db.js';
import { plainJob } from '../../dist/core/jobs.js';
import type { Content } from '../../dist/core/content.js';
import { storeEngines, storeRecipient, storeUser } from '../helpers/store-engines.js';

/**
 * RetentionStore (document retention's SQL, the v1 setting maximum_document_retention_hours) typed on
 * StoreDb (issue 15): the same store and assertions on SQLite and on PostgreSQL through the facade.
 * test/spool/retention.test.ts drives the sweep with real files on SQLite.
 */
const { engines } = storeEngines();
const HOUR = 3_600_000;
const fax = (document: string): Content => ({ kind: 'fax', document, pages: 1, fine: false, header: null, fileNames: ['a.pdf'] });
const email = (...files: string[]): Content => ({ kind: 'email', from: { address: 'a@example.com', name: null }, subject: 's', text: 't', html: null, attachments: files.map((f) => ({ file: f, name: 'x.pdf', size: 1 })) });

function finished(db: StoreDb, id: number, at: number) {
  db.prepare(`UPDATE recipients SET state = 'delivered', final_at = ? WHERE job_id = ?`).run(at, id);
  db.prepare(`UPDATE jobs SET status = 'complete', remaining = 0, succeeded = total, completed_at = ? WHERE id = ?`).run(at, id);
}
const docs = (db: StoreDb, id: number) => db.prepare('SELECT documents, documents_removed_at FROM jobs WHERE id = ?').get(id);

describe.each(engines)('RetentionStore on $name', ({ open }) => {
  it("expires a finished job's documents after its user's hours, queueing only the files nothing else names", async () => {
    const db = await open();
    const t0 = 1_796_000_000_000;
    const users = new UserStore(db);
    const keeper = users.add(storeUser('keeper', { profile: { maximum_document_retention_hours: 24 } }));
    const textual = users.add(storeUser('textual', { profile: { maximum_document_retention_hours: '2' } }));
    const hoarder = users.add(storeUser('hoarder'));
    // Out of range and not a number: documents kept, and never an error for the others.
    const odd = users.add(storeUser('odd', { profile: { maximum_document_retention_hours: 'soon' } }));
    const huge = users.add(storeUser('huge', { profile: { maximum_document_retention_hours: 10_000_000 } }));
    const jobs = new JobStore(db);
    const dir = '/var/lib/switchpost/media';
    const mine = jobs.create(plainJob({ userId: keeper, face: 'welcorp', channel: 'fax', content: fax(`${dir}/fax/shared.tif`), recipients: [storeRecipient('+61491570156')] }), t0);
    const theirs = jobs.create(plainJob({ userId: hoarder, face: 'welcorp', channel: 'fax', content: fax(`${dir}/fax/shared.tif`), recipients: [storeRecipient('+61491570156')] }), t0);
    const mail = jobs.create(plainJob({ userId: keeper, face: 'welcorp', channel: 'email', content: email(`${dir}/attachments/own.bin`, `${dir}/attachments/named.bin`), recipients: [storeRecipient('x@example.com')] }), t0);
    const open2 = jobs.create(plainJob({ userId: keeper, face: 'welcorp', channel: 'email', content: email(`${dir}/attachments/open.bin`), recipients: [storeRecipient('y@example.com')] }), t0);
    const short = jobs.create(plainJob({ userId: textual, face: 'welcorp', channel: 'fax', content: fax(`${dir}/fax/short.tif`), recipients: [storeRecipient('+61491570157')] }), t0);
    const others = [odd, huge].map((u) => jobs.create(plainJob({ userId: u, face: 'welcorp', channel: 'fax', content: fax(`${dir}/fax/other-${u}.tif`), recipients: [storeRecipient('+61491570158')] }), t0));
    for (const id of [mine, theirs, mail, short, ...others]) finished(db, id, t0);
    // An ICTCore message that sends one of the files (its converted document); another whose media is not JSON.
    db.prepare(`INSERT INTO messages (user_id, kind, name, media, created_at, updated_at) VALUES (?, 'document', 'd', ?, 0, 0)`).run(keeper, JSON.stringify({ converted: `${dir}/attachments/named.bin` }));
    db.prepare(`INSERT INTO messages (user_id, kind, name, media, created_at, updated_at) VALUES (?, 'document', 'e', 'not json', 0, 0)`).run(keeper);
    const store = new RetentionStore(db);

    expect(store.expire(t0 + HOUR, 10)).toBe(0);
    expect(store.expire(t0 + 3 * HOUR, 10)).toBe(1);
    expect(docs(db, short)).toEqual({ documents: 'removed', documents_removed_at: t0 + 3 * HOUR });
    expect(store.pending(10)).toEqual(['media/fax/short.tif']);

    const after = t0 + 25 * HOUR;
    // Two a batch: the limit holds.
    expect(store.expire(after, 2)).toBe(2);
    expect(store.expire(after, 2)).toBe(0);
    for (const id of [mine, mail]) expect(docs(db, id)).toEqual({ documents: 'removed', documents_removed_at: after });
    for (const id of [theirs, open2, ...others]) expect((docs(db, id) as { documents: string }).documents).toBe('kept');
    expect((db.prepare('SELECT count(*) AS n FROM job_files WHERE job_id IN (?, ?)').get(mine, mail) as { n: number }).n).toBe(0);
    // shared.tif: the hoarder's job keeps it; named.bin: a message sends it.
    // Oldest queued first.
    expect(store.pending(10)).toEqual(['media/fax/short.tif', 'media/attachments/own.bin']);
    expect(store.pending(1)).toEqual(['media/fax/short.tif']);
    expect([...store.inUse(['media/fax/shared.tif', 'media/attachments/named.bin', 'media/attachments/own.bin', 'media/attachments/open.bin'])].sort()).toEqual(['media/attachments/named.bin', 'media/attachments/open.bin', 'media/fax/shared.tif']);
    store.done(['media/attachments/own.bin']);
    store.done([]);
    expect(store.pending(10)).toEqual(['media/fax/short.tif']);
    // Queued again at a later expiry: once.
    finished(db, open2, after);
    expect(store.expire(after + 25 * HOUR, 10)).toBe(1);
    expect(store.pending(10)).toEqual(['media/fax/short.tif', 'media/attachments/open.bin']);
  });
});
