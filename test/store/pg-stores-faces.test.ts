import { describe, expect, it } from 'vitest';
import { ROWS_PER_STATEMENT } from '../../dist/store/db.js';
import { UserStore } from '../../dist/store/users.js';
import { JobStore } from '../../dist/store/jobs.js';
import { TransmissionStore } from '../../dist/store/transmissions.js';
import { MessageStore } from '../../dist/store/messages.js';
import { campaignStore } from '../../dist/store/campaigns.js';
import { programStore } from '../../dist/store/programs.js';
import { AccountStore, accountOwner } from '../../dist/store/accounts.js';
import { PermissionStore } from '../../dist/store/permissions.js';
import { CompanyStore } from '../../dist/store/companies.js';
import { ScheduleStore } from '../../dist/store/schedules.js';
import { NumberStore } from '../../dist/store/numbers.js';
import { MailTimerStore } from '../../dist/store/mail-timers.js';
import { MailSenderStore } from '../../dist/store/mail-senders.js';
import { InboundOwners } from '../../dist/store/inbound-owners.js';
import { ProviderStore } from '../../dist/store/providers.js';
import { providerConfigSchema } from '../../dist/config/schema.js';
import { HELD_UNTIL, plainJob } from '../../dist/core/jobs.js';
import { smsContent } from '../../dist/core/content.js';
import { storeEngines, storeRecipient, storeUser } from '../helpers/store-engines.js';

/**
 * The faces' stores moved onto StoreDb (issue 15): the same store code and the same assertions on
 * SQLite and on PostgreSQL through the facade (src/store/pg/db.ts).
 */
const { engines: ENGINES } = storeEngines();

const user = storeUser;
const recipient = storeRecipient;
const N = ROWS_PER_STATEMENT * 2 + 7;

describe.each(ENGINES)('the faces’ stores on $name', ({ open }) => {
  it('TransmissionStore.release (set-writes.test.ts): held rows only, each to its due time, counted; a repeated id keeps its first', async () => {
    const db = await open();
    const userId = new UserStore(db).add(user('u'));
    const recipients = Array.from({ length: N }, (_, i) => recipient(`+614915${String(i).padStart(5, '0')}`));
    const jobId = new JobStore(db).create(plainJob({ userId, face: 'ictcore', channel: 'sms', content: smsContent({ template: 'hi' }), recipients, held: true }), 1);
    const ids = (db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY seq').all(jobId) as { id: number }[]).map((r) => r.id);
    db.prepare("UPDATE recipients SET state = 'delivered' WHERE id = ?").run(ids[5]);
    db.prepare('UPDATE recipients SET reason = ? WHERE job_id = ?').run('stopped', jobId);
    const store = new TransmissionStore(db);
    const asked = [...ids, ids[0]!, 999_999_999];
    expect(
      store.release(
        asked,
        asked.map((_, i) => 1000 + i),
      ),
    ).toBe(N - 1);
    const rows = db.prepare('SELECT id, state, due_at, reason FROM recipients WHERE job_id = ? ORDER BY seq').all(jobId) as { id: number; state: string; due_at: number; reason: string | null }[];
    expect(rows.map((r) => [r.due_at, r.reason])).toEqual(rows.map((r, i) => (i === 5 ? [HELD_UNTIL, 'stopped'] : [1000 + i, null])));
    expect(
      store.release(
        ids,
        ids.map(() => 5),
      ),
    ).toBe(0);
  });

  it('TransmissionStore: get, list and its filters, ids, byIds, pages, hold and heldOf, requeue, remove, statistics', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const bob = users.add(user('bob'));
    const jobs = new JobStore(db);
    const a = jobs.create(plainJob({ userId: alice, face: 'ictcore', channel: 'sms', content: smsContent({ template: 'hi' }), recipients: ['+61400000001', '+61400000002', '+61400000003'].map(recipient), held: true }), 5_000);
    const b = jobs.create(plainJob({ userId: bob, face: 'ictcore', channel: 'sms', content: smsContent({ template: 'yo' }), recipients: [recipient('+61400000009')] }), 9_000);
    const idsOf = (job: number) => (db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { id: number }[]).map((r) => r.id);
    const [a1, a2, a3] = idsOf(a) as [number, number, number];
    const [b1] = idsOf(b) as [number];
    const store = new TransmissionStore(db);
    const admin = { userId: alice, role: 'admin' as const };
    const asAlice = { userId: alice, role: 'user' as const };

    expect(store.get(a1)).toMatchObject({ id: a1, destination: '+61400000001' });
    expect(store.get(999_999)).toBeUndefined();
    expect(store.list(asAlice, {}, 100).map((r) => r.id)).toEqual([a1, a2, a3]);
    expect(store.list(admin, {}, 100).map((r) => r.id)).toEqual([a1, a2, a3, b1]);
    expect(store.list(admin, {}, 2, 1).map((r) => r.id)).toEqual([a2, a3]);
    expect(store.list(admin, { destination: '+61400000009' }, 100).map((r) => r.id)).toEqual([b1]);
    expect(store.list(admin, { id: String(a2) }, 100).map((r) => r.id)).toEqual([a2]);
    expect(store.list(admin, { id: 'abc' }, 100)).toEqual([]);
    expect(store.list(admin, { user_id: String(bob) }, 100).map((r) => r.id)).toEqual([b1]);
    expect(store.list(admin, { held: true }, 100).map((r) => r.id)).toEqual([a1, a2, a3]);
    expect(store.list(admin, { held: false }, 100).map((r) => r.id)).toEqual([b1]);
    expect(store.list(admin, { direction: 'outbound', channels: ['sms'], states: ['queued'] }, 100)).toHaveLength(4);
    expect(store.list(admin, { direction: 'inbound' }, 100)).toEqual([]);
    expect(store.list(admin, { createdFrom: 6, createdTo: 9 }, 100).map((r) => r.id)).toEqual([b1]);
    expect(store.list(admin, { channels: [] }, 100)).toEqual([]);
    expect(await store.ids(admin, {}, 3, 1)).toEqual([a2, a3, b1]);
    expect((await store.byIds([b1, a1])).map((r) => r.id)).toEqual([a1, b1]);
    const paged: number[] = [];
    for await (const page of store.pages(admin, {}, 100, 0, 3)) paged.push(...page.map((r) => r.id));
    expect(paged).toEqual([a1, a2, a3, b1]);

    expect(store.heldOf(a)).toEqual([a1, a2, a3]);
    expect(store.release([a1, a2], [100, 100])).toBe(2);
    expect(store.heldOf(a)).toEqual([a3]);
    expect(store.hold(a)).toBe(3);
    expect(store.heldOf(a)).toEqual([a1, a2, a3]);
    expect(db.prepare('SELECT reason FROM recipients WHERE id = ?').pluck().get(a1)).toBe('stopped');

    expect(store.requeue(b1, 1)).toBe('busy');
    db.prepare("UPDATE recipients SET state = 'failed', final_at = 7 WHERE id = ?").run(b1);
    db.prepare('UPDATE jobs SET remaining = 0, failed = 1 WHERE id = ?').run(b);
    expect(store.requeue(b1, 42)).toBe('requeued');
    expect(db.prepare('SELECT state, due_at, final_at, tries FROM recipients WHERE id = ?').get(b1)).toEqual({ state: 'queued', due_at: 42, final_at: null, tries: 0 });
    expect(db.prepare('SELECT remaining, failed, status FROM jobs WHERE id = ?').get(b)).toEqual({ remaining: 1, failed: 0, status: 'submitted' });
    db.prepare("UPDATE recipients SET state = 'delivered' WHERE id = ?").run(a3);
    expect(store.requeue(a3, 1)).toBe('completed');

    expect(store.remove(b1, 50)).toBe('busy');
    expect(store.remove(a1, 50)).toBe('removed');
    expect(store.remove(a1, 50)).toBe('missing');
    expect(db.prepare('SELECT state, hidden FROM recipients WHERE id = ?').get(a1)).toEqual({ state: 'cancelled', hidden: 1 });
    expect(store.remove(a3, 50)).toBe('removed');
    expect(store.get(a3)).toBeUndefined();
    expect(store.attempts(a2)).toEqual([]);

    const stats = store.statistics(admin);
    expect(stats).toMatchObject({ transmission_total: 2, transmission_outbound: 2, transmission_inbound: 0, user_total: 2, spool_total: 0, campaign_total: 0, account_total: 0 });
    expect(store.statistics(asAlice, { channels: ['sms'] })).toMatchObject({ transmission_total: 1, user_total: 1 });
    expect(store.statistics(admin, { channels: [], userId: bob, since: 0, accountType: 'did' })).toMatchObject({ transmission_total: 0, user_total: 1, account_total: 0 });
  });

  it('MessageStore, campaigns and programs: owned rows of their kind', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const bob = users.add(user('bob'));
    const messages = new MessageStore(db);
    const t = messages.kinds.template.insert(alice, { name: 'greeting', description: 'd', type: 'sms', data: 'hello', media: null }, 10);
    messages.kinds.text.insert(bob, { name: 'other', description: null, type: 'sms', data: 'x', media: null }, 10);
    const asAlice = { userId: alice, role: 'user' as const };
    expect(messages.kinds.template.list(asAlice, {}).map((r) => r.name)).toEqual(['greeting']);
    expect(messages.kinds.text.list(asAlice, {})).toEqual([]);
    expect(messages.kinds.text.list({ userId: alice, role: 'admin' }, {}).map((r) => r.name)).toEqual(['other']);
    messages.kinds.template.update(t, { data: 'hi there' }, 20);
    expect(messages.kinds.template.get(t)).toMatchObject({ data: 'hi there', kind: 'template' });
    expect(messages.kinds.document.get(t)).toBeUndefined();
    expect(messages.kinds.template.delete(t)).toBe(true);
    expect(messages.kinds.template.delete(t)).toBe(false);

    const programs = programStore(db);
    const p = programs.insert(alice, { type: 'sendsms', name: 'p', parent_id: null, data: '{}' }, 10);
    const campaigns = campaignStore(db);
    const c = campaigns.insert(alice, { program_id: p, group_id: 1, account_id: null, cpm: 2, try_allowed: 1, status: 'new', job_id: null }, 10);
    expect(campaigns.list(asAlice, { program_id: p }).map((r) => r.id)).toEqual([c]);
    expect(campaigns.list(asAlice, { program_id: 'abc' })).toEqual([]);
    expect(campaigns.list({ userId: bob, role: 'user' }, {})).toEqual([]);
    expect(programs.get(p)).toMatchObject({ name: 'p', type: 'sendsms' });
  });

  it('AccountStore: owned rows (a freed one its maker’s), programs, settings upserted, usernames taken but by itself, delete with its settings', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const bob = users.add(user('bob'));
    const accounts = new AccountStore(db);
    const a = accounts.rows.insert(alice, { type: 'did', username: '+61255501234', created_by: alice, active: 1 }, 10);
    const b = accounts.rows.insert(bob, { type: 'account', username: 'bob@example.com', created_by: alice, active: 1 }, 10);
    const asAlice = { userId: alice, role: 'user' as const };
    expect(accounts.rows.list(asAlice, {}).map((r) => r.id)).toEqual([a]);
    expect(accounts.rows.list({ userId: bob, role: 'user' }, {}).map((r) => r.id)).toEqual([b]);
    expect(accountOwner(accounts.rows.get(b)!)).toBe(bob);
    accounts.rows.update(b, { user_id: null }, 20);
    expect(accounts.rows.list(asAlice, {}).map((r) => r.id)).toEqual([a, b]);
    expect(accounts.rows.list({ userId: bob, role: 'user' }, {})).toEqual([]);
    expect(accountOwner(accounts.rows.get(b)!)).toBe(alice);
    accounts.subscribe(a, 7);
    accounts.subscribe(a, 3);
    accounts.subscribe(a, 7);
    expect(accounts.programs(a)).toEqual([3, 7]);
    expect(accounts.unsubscribe(a, 7)).toBe(1);
    expect(accounts.unsubscribe(a, 7)).toBe(0);
    accounts.setSetting(a, 'cli', '123');
    accounts.setSetting(a, 'cli', '456');
    accounts.setSetting(a, 'none', null);
    expect(accounts.setting(a, 'cli')).toBe('456');
    expect(accounts.setting(a, 'none')).toBeNull();
    expect(accounts.setting(a, 'missing')).toBeUndefined();
    expect(accounts.deleteSetting(a, 'none')).toBe(true);
    expect(accounts.deleteSetting(a, 'none')).toBe(false);
    expect(accounts.usernameTaken('+61255501234', null)).toBe(true);
    expect(accounts.usernameTaken('+61255501234', a)).toBe(false);
    expect(accounts.usernameTaken('+61255501234', b)).toBe(true);
    expect(accounts.usernameTaken('nobody', null)).toBe(false);
    expect(accounts.delete(a)).toBe(true);
    expect(accounts.setting(a, 'cli')).toBeUndefined();
    expect(accounts.programs(a)).toEqual([]);
    expect(accounts.delete(a)).toBe(false);
    expect(new TransmissionStore(db).statistics({ userId: alice, role: 'admin' }, { accountType: 'account' })).toMatchObject({ account_total: 1, did_total: 0 });
  });

  it('PermissionStore: exceptions granted and taken away over the role, upserted, cleared; CompanyStore: add and byId', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const perms = new PermissionStore(db);
    const me = { id: alice, role: 'user' as const };
    const before = perms.can(me, 'contact_create');
    perms.set(alice, 'contact_create', !before);
    expect(perms.can(me, 'contact_create')).toBe(!before);
    perms.set(alice, 'contact_create', before);
    perms.set(alice, 'contact_list', false);
    expect(perms.can(me, 'contact_create')).toBe(before);
    expect([...perms.exceptions(alice)].sort()).toEqual([
      ['contact_create', before],
      ['contact_list', false],
    ]);
    expect(new PermissionStore(db).exceptions(alice).get('contact_list')).toBe(false);
    perms.clear(alice, 'contact_list');
    expect([...perms.exceptions(alice).keys()]).toEqual(['contact_create']);
    perms.clear(alice);
    expect(perms.exceptions(alice).size).toBe(0);

    const companies = new CompanyStore(db);
    const c = companies.add('Acme', { abn: '1' }, 5);
    expect(companies.byId(c)).toEqual({ id: c, name: 'Acme', details: '{"abn":"1"}', created_at: 5 });
    expect(companies.byId(c + 1)).toBeUndefined();
  });

  it('ScheduleStore: add, get, all, idsOf, ran, delete', async () => {
    const db = await open();
    const alice = new UserStore(db).add(user('alice'));
    const schedules = new ScheduleStore(db);
    const owner = { id: alice, timezone: 'Australia/Sydney' };
    const s1 = schedules.add(owner, 'campaign', 4, 'start', { cron: '0 9 * * 1', at: null, recurring: true, expiry: 99_000 }, 10);
    const s2 = schedules.add(owner, 'transmission', 4, 'send', { cron: null, at: 5_000, recurring: false, expiry: null }, 11);
    expect(schedules.get(s1)).toMatchObject({ id: s1, user_id: alice, target: 'campaign', target_id: 4, action: 'start', cron: '0 9 * * 1', at: null, recurring: 1, expiry: 99_000, timezone: 'Australia/Sydney' });
    expect(schedules.all().map((r) => [r.id, r.at, r.recurring])).toEqual([
      [s1, null, 1],
      [s2, 5_000, 0],
    ]);
    expect(schedules.idsOf('campaign', 4)).toEqual([s1]);
    expect(schedules.idsOf('campaign', 5)).toEqual([]);
    schedules.ran(s2, 6_000);
    expect(db.prepare('SELECT last_run_at FROM schedules WHERE id = ?').pluck().get(s2)).toBe(6_000);
    schedules.delete(s1);
    expect(schedules.get(s1)).toBeUndefined();
    expect(schedules.all().map((r) => r.id)).toEqual([s2]);
  });

  it('NumberStore: one owner a number, list by user with its code, ownerOf the first form found, remove', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const bob = users.add(user('bob'));
    const numbers = new NumberStore(db);
    numbers.add('+61255501234', alice, 10);
    numbers.add('+61255509999', bob, 11);
    expect(() => numbers.add('+61255501234', bob, 12)).toThrow(/already assigned to another user/);
    expect(() => numbers.add('+61255501234', alice, 12)).toThrow(/already assigned to this user/);
    expect(numbers.list()).toEqual([
      { number: '+61255501234', user_id: alice, user_code: 'alice', created_at: 10 },
      { number: '+61255509999', user_id: bob, user_code: 'bob', created_at: 11 },
    ]);
    expect(numbers.list(bob).map((r) => r.number)).toEqual(['+61255509999']);
    expect(numbers.ownerOf(['0255501234', '+61255501234'])).toBe(alice);
    expect(numbers.ownerOf(['0255501234'])).toBeUndefined();
    expect(numbers.remove('+61255501234')).toBe(true);
    expect(numbers.remove('+61255501234')).toBe(false);
  });

  it('MailTimerStore: set once a job and kind, due in order, next, postpone, remove', async () => {
    const db = await open();
    const alice = new UserStore(db).add(user('alice'));
    const jobs = new JobStore(db);
    const j1 = jobs.create(plainJob({ userId: alice, face: 'ictcore', channel: 'sms', content: smsContent({ template: 'a' }), recipients: [recipient('+61400000001')] }), 1);
    const j2 = jobs.create(plainJob({ userId: alice, face: 'ictcore', channel: 'sms', content: smsContent({ template: 'b' }), recipients: [recipient('+61400000002')] }), 1);
    const timers = new MailTimerStore(db);
    expect(timers.next()).toBeNull();
    timers.set(j1, 'report', 300);
    timers.set(j1, 'report', 100);
    timers.set(j1, 'replies', 200);
    timers.set(j2, 'report', 50);
    expect(timers.next()).toBe(50);
    expect(timers.due(250, 10)).toEqual([
      { job_id: j2, kind: 'report', due_at: 50 },
      { job_id: j1, kind: 'replies', due_at: 200 },
    ]);
    expect(timers.due(1_000, 1)).toEqual([{ job_id: j2, kind: 'report', due_at: 50 }]);
    timers.postpone(j2, 'report', 400);
    timers.remove(j1, 'replies');
    expect(timers.due(1_000, 10).map((t) => [t.job_id, t.kind, t.due_at])).toEqual([
      [j1, 'report', 300],
      [j2, 'report', 400],
    ]);
  });

  it('MailSenderStore: e-mail-to-fax senders by address whatever the case, accounts with their programs, active ones only', async () => {
    const db = await open();
    const users = new UserStore(db);
    const alice = users.add(user('alice'));
    const bob = users.add(user('bob'));
    db.prepare('UPDATE users SET profile = ? WHERE id = ?').run(JSON.stringify({ etob_email_address: ' Alice@Example.com ' }), alice);
    const senders = new MailSenderStore(db);
    expect(senders.etobUsers('alice@example.COM').map((u) => [u.id, u.user_code])).toEqual([[alice, 'alice']]);
    expect(senders.etobUsers('bob@example.com')).toEqual([]);
    const accounts = new AccountStore(db);
    const a = accounts.rows.insert(alice, { type: 'account', email: 'Fax@Example.com', created_by: alice, active: 1 }, 10);
    const off = accounts.rows.insert(bob, { type: 'account', email: 'off@example.com', created_by: bob, active: 0 }, 10);
    const programs = programStore(db);
    const p1 = programs.insert(alice, { type: 'emailtofax', name: 'by data', parent_id: null, data: JSON.stringify({ account_id: a }) }, 10);
    const p2 = programs.insert(alice, { type: 'emailtofax', name: 'subscribed', parent_id: null, data: '{}' }, 10);
    programs.insert(alice, { type: 'sendsms', name: 'other', parent_id: null, data: JSON.stringify({ account_id: a }) }, 10);
    accounts.subscribe(a, p2);
    accounts.subscribe(off, p2);
    const found = senders.emailToFaxAccounts({ address: 'fax@example.com' });
    expect(found.map((r) => [r.account_id, r.owner, r.email, r.program_id])).toEqual([
      [a, alice, 'Fax@Example.com', p1],
      [a, alice, 'Fax@Example.com', p2],
    ]);
    expect(senders.emailToFaxAccounts({ owner: alice }).map((r) => r.program_id)).toEqual([p1, p2]);
    expect(senders.emailToFaxAccounts({ owner: bob })).toEqual([]);
    expect(senders.hasAccountAddress('FAX@example.com')).toBe(true);
    expect(senders.hasAccountAddress('off@example.com')).toBe(false);
  });

  it('InboundOwners: active accounts by address whatever the case and by phone tail, their receiving programs, a user', async () => {
    const db = await open();
    const alice = new UserStore(db).add(user('alice'));
    const accounts = new AccountStore(db);
    const a = accounts.rows.insert(alice, { type: 'did', phone: '02 5550 1234', email: 'In@Example.com', created_by: alice, active: 1 }, 10);
    accounts.rows.insert(alice, { type: 'did', phone: '+61255501234', email: 'in@example.com', created_by: alice, active: 0 }, 10);
    const programs = programStore(db);
    const p1 = programs.insert(alice, { type: 'receivesms', name: 'r', parent_id: null, data: JSON.stringify({ account_id: a }) }, 10);
    const p2 = programs.insert(alice, { type: 'receivefax', name: 'f', parent_id: null, data: '{}' }, 10);
    programs.insert(alice, { type: 'sendsms', name: 's', parent_id: null, data: JSON.stringify({ account_id: a }) }, 10);
    accounts.subscribe(a, p2);
    const owners = new InboundOwners(db);
    expect(owners.accountsByEmail('IN@example.com')).toEqual([{ id: a, owner: alice, phone: '02 5550 1234', email: 'In@Example.com' }]);
    expect(owners.accountsByPhoneTail('+61 2 5550 1234').map((r) => r.id)).toEqual([]);
    expect(owners.accountsByPhoneTail('+61255501234').map((r) => r.id)).toEqual([]);
    accounts.rows.update(a, { phone: '0255501234' }, 20);
    expect(owners.accountsByPhoneTail('+61255501234').map((r) => r.id)).toEqual([a]);
    expect(owners.receivePrograms(a, ['receivesms', 'receivefax']).map((r) => r.id)).toEqual([p1, p2]);
    expect(owners.receivePrograms(a, ['receivefax']).map((r) => [r.id, r.type])).toEqual([[p2, 'receivefax']]);
    expect(owners.receivePrograms(a, [])).toEqual([]);
    expect(owners.user(alice)).toMatchObject({ id: alice, role: 'user', timezone: 'UTC', country: 'AU' });
    expect(owners.user(alice + 100)).toBeUndefined();
  });

  it('ProviderStore: upsert by name (config re-applied), insert owned, list, byName, byId, update, setActive, delete', async () => {
    const db = await open();
    const alice = new UserStore(db).add(user('alice'));
    const smpp = (name: string, host = '127.0.0.2') => providerConfigSchema.parse({ name, driver: 'smpp', services: ['sms'], host, port: 2775, username: 'esme', password: 'x', settings: { reconnect_min_ms: 50 } });
    const providers = new ProviderStore(db);
    const a = providers.upsert(smpp('a'), 'config', 10);
    expect(providers.upsert(smpp('a', '127.0.0.3'), 'config', 20)).toBe(a);
    const b = providers.insert(smpp('b'), alice, 30);
    expect(providers.list().map((p) => [p.id, p.name, p.host, p.source, p.owner_user_id, p.active])).toEqual([
      [a, 'a', '127.0.0.3', 'config', null, true],
      [b, 'b', '127.0.0.2', 'db', alice, true],
    ]);
    expect(providers.byName('b')).toMatchObject({ id: b, services: ['sms'], settings: { reconnect_min_ms: 50 }, port: 2775 });
    providers.update(b, smpp('b2'), 40);
    expect(providers.byId(b)).toMatchObject({ name: 'b2' });
    expect(providers.setActive('b2', false, 50)).toBe(true);
    expect(providers.byId(b)?.active).toBe(false);
    expect(providers.setActive('nobody', true, 50)).toBe(false);
    expect(providers.delete(b)).toBe(true);
    expect(providers.delete(b)).toBe(false);
    expect(providers.byName('b2')).toBeUndefined();
  });
});
