import { describe, expect, it } from 'vitest';
import { ROWS_PER_STATEMENT } from '../../dist/store/db.js';
import type { StoreDb } from '../../dist/store/store-db.js';
import { UserCodeTaken, UserStore } from '../../dist/store/users.js';
import { SpoolStore } from '../../dist/store/spool.js';
import { ReplyStore } from '../../dist/store/replies.js';
import { VerificationStore } from '../../dist/store/verification.js';
import { SpoolGauges } from '../../dist/store/spool-gauges.js';
import { ContactStore } from '../../dist/store/contacts.js';
import { JobStore } from '../../dist/store/jobs.js';
import { plainJob } from '../../dist/core/jobs.js';
import { smsContent, type Content } from '../../dist/core/content.js';
import { errorCodeOf } from '../../dist/core/errors.js';
import { reviveError, sendError } from '../../dist/store/remote-errors.js';
import { storeEngines, storeRecipient, storeUser } from '../helpers/store-engines.js';
import { ODD_TEXT_PG, oddRecipient } from '../helpers/odd-recipients.js';

/**
 * The spool's and the faces' stores moved onto StoreDb (issue 15): the same store code and the same
 * assertions on SQLite and on PostgreSQL through the facade (src/store/pg/db.ts).
 */
const { engines: ENGINES } = storeEngines();

const user = storeUser;
const recipient = storeRecipient;
const provider = (db: StoreDb, name = 'p'): number => Number(db.prepare(`INSERT INTO providers (name, driver, services, settings, created_at, updated_at) VALUES (?, 'sandbox', '["sms"]', '{}', 0, 0)`).run(name).lastInsertRowid);

// set-writes.test.ts's rows: odd text, nulls, priorities, contact ids and due times, across chunk boundaries.
const odd = ODD_TEXT_PG;
const N = ROWS_PER_STATEMENT * 2 + 7;
const recipientAt = oddRecipient(odd);
const fax = (document: string): Content => ({ kind: 'fax', document, pages: 1, fine: false, header: null, fileNames: ['a.pdf'] });
const email = (...files: string[]): Content => ({ kind: 'email', from: { address: 'a@example.com', name: null }, subject: 's', text: 't', html: null, attachments: files.map((f) => ({ file: f, name: 'x.pdf', size: 1 })) });

describe.each(ENGINES)('the spool’s stores on $name', ({ open }) => {
  it('JobStore.create stores every recipient across chunks, in seq and id order, with its job’s files; a later chunk’s failure stores nothing', async () => {
    const db = await open();
    const userId = new UserStore(db).add(user('u'));
    const jobs = new JobStore(db);
    const recipients = Array.from({ length: N }, (_, i) => recipientAt(i));
    const now = 1_796_200_000_000;
    const jobId = jobs.create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients }), now);
    const rows = db.prepare('SELECT id, seq, destination, name, reference, fields, blackouts, state, due_at, priority, contact_id, tries, attempt_id FROM recipients WHERE job_id = ? ORDER BY id').all(jobId) as Record<string, unknown>[];
    expect(rows).toHaveLength(N);
    expect(rows.map((r) => r.seq)).toEqual(recipients.map((_, i) => i));
    expect(rows.map(({ id: _id, ...r }) => r)).toEqual(
      recipients.map((r, i) => ({
        seq: i,
        destination: r.destination,
        name: r.name,
        reference: r.reference,
        fields: r.fields ? JSON.stringify(r.fields) : null,
        blackouts: r.blackouts?.length ? JSON.stringify(r.blackouts) : null,
        state: 'queued',
        due_at: r.dueAt ?? now,
        priority: r.priority ?? null,
        contact_id: r.contactId ?? null,
        tries: 0,
        attempt_id: null,
      })),
    );
    expect(db.prepare('SELECT total, remaining, documents FROM jobs WHERE id = ?').get(jobId)).toEqual({ total: N, remaining: N, documents: null });
    expect(jobs.stateCounts(jobId)).toEqual({ queued: N });
    expect(jobs.recipients(jobId).map((r) => r.destination)).toEqual(recipients.map((r) => r.destination));
    expect(jobs.recipientFields(jobId, rows[1]!.id as number)).toBe(JSON.stringify(recipients[1]!.fields));
    expect(jobs.recipientFields(jobId + 1, rows[1]!.id as number)).toBeUndefined();

    const mail = jobs.create(plainJob({ userId, face: 'welcorp', channel: 'email', content: email('/d/media/attachments/a.bin', '/d/media/attachments/b.bin', '/d/media/attachments/a.bin'), recipients: [recipient('x@example.com')] }), now);
    expect(db.prepare('SELECT file FROM job_files WHERE job_id = ? ORDER BY file').pluck().all(mail)).toEqual(['media/attachments/a.bin', 'media/attachments/b.bin']);
    expect(db.prepare('SELECT documents FROM jobs WHERE id = ?').pluck().get(mail)).toBe('kept');

    const bad = Array.from({ length: N }, (_, i) => recipientAt(i));
    bad[N - 1] = { ...bad[N - 1]!, destination: null as unknown as string };
    expect(() => jobs.create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients: bad }))).toThrow(/NOT NULL|null value/);
    expect(db.prepare('SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM recipients) AS recipients').get()).toEqual({ jobs: 2, recipients: N + 1 });
  });

  it('JobStore: a job for a user deleted meanwhile is refused as unauthenticated, nothing stored; a foreign-key refusal crosses as a conflict (gone-references)', async () => {
    const db = await open();
    const userId = new UserStore(db).add(user('u'));
    const jobs = new JobStore(db);
    const job = (u: number) => plainJob({ userId: u, face: 'v1', channel: 'sms', content: smsContent({ template: 'Hi' }), recipients: [recipient('+61491570001')] });
    expect(jobs.create(job(userId))).toBeGreaterThan(0);
    const counts = () => db.prepare('SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM recipients) AS recipients').get();
    let thrown: unknown;
    try {
      jobs.create(job(42));
    } catch (err) {
      thrown = err;
    }
    expect(errorCodeOf(reviveError(sendError(thrown)))).toBe('unauthenticated');
    expect(counts()).toEqual({ jobs: 1, recipients: 1 });
    thrown = undefined;
    try {
      db.prepare(`INSERT INTO contacts (user_id, created_at, updated_at) VALUES (42, 0, 0)`).run();
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { code?: string }).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    expect(errorCodeOf(reviveError(sendError(thrown)))).toBe('conflict');
  });

  it('JobStore: received messages, external ids, duplicates, pages by filter, reports and durations', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const bob = users.add(user('bob'));
    const jobs = new JobStore(db);
    const a = jobs.create(
      plainJob({ userId: alice, face: 'ictcore', channel: 'sms', content: smsContent({ template: 'a' }), recipients: [recipient('+61491570001'), recipient('+61491570002')], externalId: 'ext-1', dedupeKey: 'k1', name: 'first' }),
      1000,
    );
    const b = jobs.create(plainJob({ userId: bob, face: 'v1', channel: 'sms', content: smsContent({ template: 'b' }), recipients: [recipient('+61491570003')], name: 'second' }), 2000);
    const got = jobs.createReceived(plainJob({ userId: alice, face: 'v1', channel: 'fax', content: fax('/d/media/fax/in.tif'), recipients: [recipient('+61491570009')] }), { state: 'delivered', reason: null }, 3000);
    expect(db.prepare('SELECT status, remaining, succeeded, failed, completed_at FROM jobs WHERE id = ?').get(got.jobId)).toEqual({ status: 'complete', remaining: 0, succeeded: 1, failed: 0, completed_at: 3000 });
    expect(db.prepare('SELECT state, sent_at, final_at FROM recipients WHERE id = ?').get(got.recipientId)).toEqual({ state: 'delivered', sent_at: 3000, final_at: 3000 });
    expect(jobs.byExternalId('ictcore', 'ext-1')).toMatchObject({ id: a, user_code: 'alice', name: 'first' });
    expect(jobs.byExternalId('v1', 'ext-1')).toBeUndefined();
    expect(jobs.hasDuplicate(alice, 'k1', 500)).toBe(true);
    expect(jobs.hasDuplicate(alice, 'k1', 1500)).toBe(false);
    expect(jobs.externalIds({ userId: alice, role: 'user' }, 'ictcore', 0, 5000, true, 10, 0)).toEqual(['ext-1']);
    expect(jobs.externalIds({ userId: alice, role: 'user' }, 'ictcore', 0, 5000, false, 10, 0)).toEqual([]);
    const admin = { userId: 0, role: 'admin' as const };
    expect(jobs.list(admin, {}, 1, 10)).toMatchObject({ total: 3, rows: [{ id: got.jobId }, { id: b }, { id: a }] });
    expect(jobs.list(admin, {}, 2, 2)).toMatchObject({ total: 3, rows: [{ id: a }] });
    expect(jobs.list(admin, { channels: ['sms'], statuses: ['submitted'], createdAfter: 500, userCode: 'BOB' }, 1, 10).rows.map((j) => j.id)).toEqual([b]);
    expect(jobs.list({ userId: alice, role: 'user' }, { name: 'first' }, 1, 10)).toMatchObject({ total: 1, rows: [{ id: a }] });
    const mail = (subject: string): Content => ({ kind: 'email', from: { address: 'a@example.com', name: null }, subject, text: subject, html: null, attachments: [] });
    const announced = jobs.createAnnounced(
      plainJob({ userId: alice, face: 'v1', channel: 'sms', content: smsContent({ template: 'fax' }), recipients: [recipient('+61491570005')] }),
      [plainJob({ userId: alice, face: 'v1', channel: 'email', content: mail('job {{job_id}} accepted'), name: 'n {{job_id}}', recipients: [recipient('a@example.com')] })],
      4000,
    );
    expect(JSON.parse(jobs.get(announced.noticeIds[0]!)!.content)).toMatchObject({ subject: `job ${announced.jobId} accepted`, text: `job ${announced.jobId} accepted` });
    expect(jobs.get(announced.noticeIds[0]!)!.name).toBe(`n ${announced.jobId}`);
    expect(jobs.list(admin, { userId: bob }, 1, 10).rows.map((j) => j.id)).toEqual([b]);
    jobs.setContent(a, smsContent({ template: 'redacted' }));
    expect(JSON.parse(jobs.get(a)!.content)).toMatchObject({ text: { template: 'redacted' } });
    db.prepare('UPDATE recipients SET duration = seq + 10 WHERE job_id = ?').run(a);
    expect(await jobs.totalDuration(a, 1)).toBe(21);
    const pages: number[][] = [];
    for await (const page of jobs.reportPages(a, true, 1)) pages.push(page.map((r) => r.seq));
    expect(pages).toEqual([[0], [1]]);
    expect(jobs.reportRows(a, -1, 10)).toMatchObject([{ seq: 0, destination: '+61491570001', callback: null }, { seq: 1 }]);
  });

  it('SpoolStore: due rows (prioritised first), leases recovered after a restart, tries given back, counters, results, fax history', async () => {
    const db = await open();
    const userId = new UserStore(db).add(user('u'));
    const providerId = provider(db);
    const jobs = new JobStore(db);
    const job = jobs.create(
      plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients: [recipient('+61491570001'), recipient('+61491570002', { priority: 1 }), recipient('+61491570003'), recipient('+61491570004')] }),
      100,
    );
    const spool = new SpoolStore(db, 'node-a');
    expect(spool.due(100, 10).map((r) => r.destination)).toEqual(['+61491570002', '+61491570001', '+61491570003', '+61491570004']);
    expect(spool.due(99, 10)).toEqual([]);
    expect(spool.openJobs()).toEqual([job]);
    expect(spool.unvalidated(job, 0, 2).map((r) => r.seq)).toEqual([1, 2]);
    const ids = (db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY seq').pluck().all(job) as number[]) ?? [];
    spool.reschedule(ids[3]!, 5000, 'later');
    expect(spool.current(ids[3]!)).toMatchObject({ state: 'queued', reason: 'later', destination: '+61491570004' });
    const attempts = spool.batch.insertAttempts(
      ids.slice(0, 3).map((id, i) => ({ recipientId: id, jobId: job, providerId, tryNo: 1, destination: `+6149157000${i + 1}`, sender: null, twoWay: false, unsent: i !== 0 })),
      200,
    );
    spool.batch.lease(
      ids.slice(0, 3).map((id) => ({ id, address: null as unknown as string, attemptId: attempts.get(id)! })),
      300,
    );
    db.prepare('UPDATE attempts SET peer_id = ? WHERE id = ?').run('peer-1', attempts.get(ids[0]!));
    expect(spool.providersOf([...attempts.values()])).toEqual(new Map([...attempts.values()].map((a) => [a, providerId])));
    expect(spool.leasedWithPeer()).toEqual([attempts.get(ids[0]!)]);
    expect(spool.openWithPeer(providerId)).toEqual([{ attemptId: attempts.get(ids[0]!), recipientId: ids[0], destination: '+61491570001', peerId: 'peer-1', state: 'sending' }]);
    expect(spool.overdue('sending', 300, 10).map((r) => [r.id, r.provider_id])).toEqual(ids.slice(0, 3).map((id) => [id, providerId]));
    expect(spool.overdue('sending', 299, 10)).toEqual([]);
    expect(spool.leasedBy([attempts.get(ids[0]!)!]).map((r) => [r.id, r.unsent])).toEqual([
      [ids[1], 1],
      [ids[2], 1],
    ]);
    spool.markOnWire([attempts.get(ids[2]!)!]);
    // The one that never left gives its try back, once.
    spool.giveBackTries([attempts.get(ids[1]!)!, attempts.get(ids[2]!)!]);
    spool.giveBackTries([attempts.get(ids[1]!)!]);
    expect(db.prepare('SELECT tries FROM recipients WHERE job_id = ? ORDER BY seq').pluck().all(job)).toEqual([1, 0, 1, 0]);
    // After a restart: the adopted call keeps its lease (extended), the others are interrupted and queued again.
    expect(spool.recoverLeases(400, [attempts.get(ids[0]!)!], 900)).toBe(2);
    expect(db.prepare('SELECT state, due_at FROM recipients WHERE job_id = ? ORDER BY seq').all(job)).toEqual([
      { state: 'sending', due_at: 900 },
      { state: 'queued', due_at: 400 },
      { state: 'queued', due_at: 400 },
      { state: 'queued', due_at: 5000 },
    ]);
    expect(db.prepare('SELECT status FROM attempts ORDER BY id').pluck().all()).toEqual(['sending', 'interrupted', 'interrupted']);
    expect(db.prepare('SELECT node_id FROM attempts ORDER BY id').pluck().all()).toEqual(['node-a', 'node-a', 'node-a']);

    spool.insertResult(attempts.get(ids[0]!)!, ids[0]!, job, 'reply', 'yes', { from: 'x' }, 500);
    spool.insertResult(null, ids[1]!, job, 'keypress', null, undefined, 501);
    expect(db.prepare('SELECT attempt_id, kind, value, data, created_at FROM results ORDER BY id').all()).toEqual([
      { attempt_id: attempts.get(ids[0]!), kind: 'reply', value: 'yes', data: '{"from":"x"}', created_at: 500 },
      { attempt_id: null, kind: 'keypress', value: null, data: null, created_at: 501 },
    ]);
    expect(spool.applyJobCounters(job, { done: 3, succeeded: 2, failed: 1, cost: 0.25 }, 600)).toEqual({ status: 'submitted', remaining: 1, succeeded: 2, failed: 1, user_id: userId });
    expect(spool.applyJobCounters(job, { done: 1, succeeded: 1, failed: 0, cost: 0.5 }, 700)).toEqual({ status: 'complete', remaining: 0, succeeded: 3, failed: 1, user_id: userId });
    expect(db.prepare('SELECT cost, completed_at FROM jobs WHERE id = ?').get(job)).toEqual({ cost: 0.75, completed_at: 700 });
    expect(spool.applyJobCounters(job + 100, { done: 1, succeeded: 0, failed: 0, cost: 0 }, 700)).toBeUndefined();

    // A fax's history: pages received in failed tries since the last success, and a recent T.38 failure.
    const faxJob = jobs.create(plainJob({ userId, face: 'v1', channel: 'fax', content: fax('/d/media/fax/out.tif'), recipients: [recipient('+61299990000')] }), 100);
    const faxR = db.prepare('SELECT id FROM recipients WHERE job_id = ?').pluck().get(faxJob) as number;
    const tried = spool.batch.insertAttempts([{ recipientId: faxR, jobId: faxJob, providerId, tryNo: 1, destination: '+61299990000', sender: null, twoWay: false, unsent: false }], 1000).get(faxR)!;
    db.prepare(`UPDATE attempts SET status = 'failed_retryable', parts = 2, response = 'fax_t38_negotiation', ended_at = 2000 WHERE id = ?`).run(tried);
    expect(spool.faxHistory(faxR, '+61299990000', 2500)).toEqual({ startPage: 2, audio: true });
    expect(spool.faxHistory(faxR, '+61299990000', 2000 + 31 * 86_400_000)).toEqual({ startPage: 2, audio: false });
    expect(spool.pushExpired(faxR)).toBe(false);
    db.prepare(`UPDATE attempts SET encoding = 'wap_push', response = 'expired_fallback after 60 s' WHERE id = ?`).run(tried);
    expect(spool.pushExpired(faxR)).toBe(true);
  });

  it('ReplyStore: matches a reply to the 2-way job that sent to its number, within scope; records inbound; keeps the opt-out list', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const bob = users.add(user('bob'));
    const providerId = provider(db);
    const jobs = new JobStore(db);
    const spool = new SpoolStore(db);
    const replies = new ReplyStore(db);
    const job = jobs.create(plainJob({ userId: alice, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients: [recipient('+61491570001', { name: 'Ann', reference: 'r1' })] }), 100);
    const r = db.prepare('SELECT id FROM recipients WHERE job_id = ?').pluck().get(job) as number;
    const now = Date.now();
    spool.batch.insertAttempts([{ recipientId: r, jobId: job, providerId, tryNo: 1, destination: '+61491570001', sender: null, twoWay: true, unsent: false }], now);
    const target = { recipient_id: r, job_id: job, destination: '+61491570001' };
    expect(replies.scope({ providerId, userId: null })).toEqual({ owner: null, withUsers: false, country: 'AU' });
    expect(replies.scope({ providerId: null, userId: bob })).toEqual({ owner: bob, withUsers: false, country: 'AU' });
    expect(replies.replyTarget({ from: '0491570001', to: null, providerId, userId: null, at: now + 1000 })).toEqual(target);
    expect(replies.replyTarget({ from: '+61491570001', to: null, providerId: null, userId: alice, at: now + 1000 })).toEqual(target);
    expect(replies.replyTarget({ from: '+61491570001', to: null, providerId: null, userId: bob, at: now + 1000 })).toBeUndefined();
    expect(replies.replyTarget({ from: '+61491570099', to: null, providerId, userId: null, at: now + 1000 })).toBeUndefined();

    const id = replies.insertInbound({ providerId, userId: alice, channel: 'sms', from: '+61491570001', to: null, text: 'yes', jobId: job, recipientId: r, at: 5000, data: { x: 1 } });
    replies.insertInbound({ providerId, userId: alice, channel: 'sms', from: '+61491570001', to: '+61400000000', text: 'later', jobId: job, recipientId: r, at: 9000 });
    expect(id).toBeGreaterThan(0);
    expect(replies.repliesOf(job, 6000, 10)).toEqual([{ from: '+61491570001', to: null, text: 'yes', at: 5000, name: 'Ann', reference: 'r1', destination: '+61491570001' }]);
    expect(replies.replyCount(job, 9000)).toBe(2);
    expect(db.prepare('SELECT data FROM inbound WHERE id = ?').pluck().get(id)).toBe('{"x":1}');

    replies.optOut(alice, '+61491570001', 'reply', 10);
    replies.optOut(alice, '+61491570001', 'again', 11);
    replies.optOut(alice, '+61491570002', 'api', 12);
    expect(replies.optOuts(alice)).toEqual(['+61491570001', '+61491570002']);
    expect(replies.isOptedOut(alice, '+61491570001')).toBe(true);
    expect(replies.isOptedOut(bob, '+61491570001')).toBe(false);
    expect(replies.optedOutAmong(alice, ['+61491570002', '+61491570003'])).toEqual(new Set(['+61491570002']));
    expect(replies.optedOutAmong(alice, [])).toEqual(new Set());
  });

  it('VerificationStore: codes usable once, newest first; failures counted in a window and purged after a day', async () => {
    const db = await open();
    const userId = new UserStore(db).add(user('u'));
    const v = new VerificationStore(db);
    v.add(userId, 'ref', 'h1', 'sms', '+61491570001', null, 1000);
    v.add(userId, 'ref', 'h2', 'sms', '+61491570001', null, 2000);
    v.add(userId, 'other', 'h3', 'sms', '+61491570001', null, 2000);
    const codes = v.usable(userId, 'ref', 1000);
    expect(codes.map((c) => c.code_hash)).toEqual(['h2', 'h1']);
    expect(v.usable(userId, 'ref', 1500).map((c) => c.code_hash)).toEqual(['h2']);
    expect(v.use(codes[0]!.id, 3000)).toBe(true);
    expect(v.use(codes[0]!.id, 3001)).toBe(false);
    expect(v.usable(userId, 'ref', 0).map((c) => c.code_hash)).toEqual(['h1']);
    v.failure(userId, 'ref', 1000);
    v.failure(userId, 'ref', 90_000_000);
    v.failure(userId, 'other', 90_000_000);
    expect(v.failuresSince(userId, 'ref', 1000)).toBe(2);
    expect(v.failuresSince(userId, 'ref', 87_000_000)).toBe(1);
    // The failure at 1000 is more than a day before 87,000,000: purged.
    expect(db.prepare('SELECT COUNT(*) FROM verification_failures').pluck().get()).toBe(2);
  });

  it('SpoolGauges: open recipients by state and channel, the oldest queued, the outbox, open jobs newest first', async () => {
    const db = await open();
    const userId = new UserStore(db).add(user('u'));
    const jobs = new JobStore(db);
    const a = jobs.create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'a' }), recipients: [recipient('+61491570001'), recipient('+61491570002')] }), 100);
    const b = jobs.create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'b' }), recipients: [recipient('+61491570003')] }), 50);
    const done = jobs.create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'c' }), recipients: [recipient('+61491570004')] }), 10);
    db.prepare(`UPDATE recipients SET state = 'delivered' WHERE job_id = ?`).run(done);
    db.prepare(`UPDATE recipients SET state = 'submitted' WHERE job_id = ? AND seq = 1`).run(a);
    const g = new SpoolGauges(db);
    const levels = g.levels();
    expect([...levels.depth].sort((x, y) => x.state.localeCompare(y.state))).toEqual([
      { state: 'queued', channel: 'sms', n: 2 },
      { state: 'submitted', channel: 'sms', n: 1 },
    ]);
    expect(levels.oldestQueuedDueAt).toBe(50);
    expect(levels.outbox).toEqual([]);
    expect(g.openJobs(1)).toEqual({ count: 2, jobs: [{ id: b, user: 'u', channel: 'sms', name: null, total: 1, done: 0, succeeded: 0, failed: 0, createdAt: 50 }] });
    expect(g.openJobs(5).jobs.map((j) => j.id)).toEqual([b, a]);
  });

  it('ContactStore: imports across chunks in order, links, members, recipients, deletes with memberships', async () => {
    const db = await open();
    const userId = new UserStore(db).add(user('u'));
    const contacts = new ContactStore(db);
    const group = contacts.groups.insert(userId, { name: 'g' });
    const other = contacts.groups.insert(userId, { name: 'other' });
    const rows = Array.from({ length: N }, (_, i) => ({ first_name: odd[i % odd.length]!, last_name: i % 2 ? null : `L${i}`, phone: `+614915${String(i).padStart(5, '0')}`, ...(i % 3 ? { email: `c${i}@example.com` } : {}) }));
    expect(contacts.importInto(userId, group, rows, 1234)).toBe(N);
    const members = contacts.members(group, 0, N + 1);
    expect(members.map((c) => [c.first_name, c.last_name, c.phone, c.email, c.address, c.user_id, c.created_at, c.updated_at])).toEqual(rows.map((r) => [r.first_name, r.last_name, r.phone, r.email ?? null, null, userId, 1234, 1234]));
    expect(contacts.importInto(userId, group, [], 1)).toBe(0);
    const first = members[0]!.id;
    contacts.link(other, first);
    contacts.link(other, first);
    expect(contacts.groupSize(other)).toBe(1);
    expect(contacts.recipientsOf(other)).toMatchObject([{ destination: rows[0]!.phone, contactId: first }]);
    const paged: number[] = [];
    for await (const page of contacts.memberPages(group, 5, 2)) paged.push(...page.map((c) => c.id));
    expect(paged).toEqual(members.slice(0, 5).map((c) => c.id));
    expect(contacts.unlink(other, first)).toBe(true);
    expect(contacts.unlink(other, first)).toBe(false);
    contacts.link(other, first);
    expect(contacts.deleteContact(first)).toBe(true);
    expect(contacts.groupSize(other)).toBe(0);
    expect(contacts.groupSize(group)).toBe(N - 1);
    expect(contacts.deleteGroup(group)).toBe(true);
    expect(contacts.contacts.list({ userId, role: 'user' }, {}).length).toBe(N - 1);
    expect(contacts.contacts.list({ userId, role: 'user' }, { phone: rows[1]!.phone }).map((c) => c.id)).toEqual([members[1]!.id]);
  });

  it('a parameter of the wrong type matches nothing, as on SQLite: text for an integer id, never an error', async () => {
    const db = await open();
    const users = new UserStore(db);
    const u = users.add(user('u'));
    const contacts = new ContactStore(db);
    const c = contacts.contacts.insert(u, { first_name: 'x' });
    const scope = { userId: u, role: 'user' as const };
    expect(contacts.contacts.list(scope, { id: 'abc' })).toEqual([]);
    expect(contacts.contacts.list(scope, { id: String(c) }).map((r) => r.id)).toEqual([c]);
    expect(contacts.contacts.list(scope, { id: ` ${c} ` }).map((r) => r.id)).toEqual([c]);
    expect(contacts.contacts.list(scope, { user_id: '1e99' })).toEqual([]);
    const listed: number[] = [];
    for await (const page of users.pages({ userId: u, role: 'admin' }, { id: 'abc' } as Record<string, string>, 100)) listed.push(...page.map((x) => x.id));
    expect(listed).toEqual([]);
    // Inside a transaction too: nothing refused, so the transaction goes on.
    db.transaction(() => {
      expect(contacts.contacts.list(scope, { id: 'abc' })).toEqual([]);
      contacts.contacts.insert(u, { first_name: 'y' });
    })();
    expect(contacts.contacts.list(scope, {}).length).toBe(2);
  });

  it('a refused statement caught inside a transaction is undone alone (a savepoint), and the transaction goes on', async () => {
    const db = await open();
    const users = new UserStore(db);
    const spool = new SpoolStore(db);
    const replies = new ReplyStore(db);
    db.transaction(() => {
      users.add(user('kept'));
      // A unique clash caught and retried with another code, in the same transaction.
      expect(() => users.add(user('KEPT'))).toThrow(UserCodeTaken);
      users.add(user('kept-2'));
      // InboundWriter's pattern: a message's own writes in spool.tx, undone when one is refused; stored unmatched after.
      expect(() =>
        spool.tx(() => {
          replies.insertInbound({ providerId: null, userId: null, channel: 'sms', from: '+61491570001', to: null, text: 'undone', jobId: null, recipientId: null, at: 1 });
          replies.insertInbound({ providerId: null, userId: null, channel: null as unknown as string, from: '+61491570001', to: null, text: 'refused', jobId: null, recipientId: null, at: 1 });
        }),
      ).toThrow(/NOT NULL|null value/);
      replies.insertInbound({ providerId: null, userId: null, channel: 'sms', from: '+61491570001', to: null, text: 'unmatched', jobId: null, recipientId: null, at: 1 });
    })();
    expect(db.inTransaction).toBe(false);
    expect(users.list().map((x) => x.user_code)).toEqual(['kept', 'kept-2']);
    expect(db.prepare('SELECT body FROM inbound ORDER BY id').pluck().all()).toEqual(['unmatched']);
  });
});
