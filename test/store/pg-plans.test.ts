import { describe, expect, it } from 'vitest';
import { UserStore } from '../../dist/store/users.js';
import { JobStore } from '../../dist/store/jobs.js';
import { ContactStore } from '../../dist/store/contacts.js';
import { FRESH_PLANS, KEPT_PLANS } from '../../dist/store/kept-plans.js';
import { plainJob } from '../../dist/core/jobs.js';
import { smsContent } from '../../dist/core/content.js';
import { translate } from '../../dist/store/pg/translate.js';
import { PgDb } from '../../dist/store/pg/db.js';
import { migratePg } from '../../dist/store/pg/migrate.js';
import { storeEngines, storeRecipient, storeUser } from '../helpers/store-engines.js';

/**
 * PostgreSQL's plans for the spool's row-list writes (issue 15): right on a table whose statistics predate
 * a big job (no ANALYZE since; the test cluster runs no autovacuum), as a daemon's first minute after a
 * 100,000-recipient POST is. bench/pg-spool.js found setAddresses looping its list over every queued row
 * there (past the bridge's 30 s bound at 100,000: the daemon exited).
 */
const { fresh, closeAfter } = storeEngines();

describe('PostgreSQL plans on fresh statistics', () => {
  it('after a big job is created, setAddresses finds its rows by id (the primary key), not by looping over the queued rows', async () => {
    const d = await fresh();
    await migratePg(d.pool);
    const db = PgDb.open({ connectionString: d.url });
    closeAfter(db);
    const userId = new UserStore(db).add(storeUser('u'));
    const recipients = Array.from({ length: 20_000 }, (_, i) => storeRecipient(`+6149157${String(i).padStart(4, '0')}`));
    const jobId = new JobStore(db).create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients }), 1_796_200_000_000);
    const ids = (db.prepare('SELECT id FROM recipients WHERE job_id = ? ORDER BY id LIMIT 2000').all(jobId) as { id: number }[]).map((r) => [r.id, '+61491570000']);
    // The store's statement (src/store/spool-batch.ts) as the facade translates it.
    const { sql } = translate(`UPDATE recipients SET address = v.value->>1 FROM jsonb_each(?) v WHERE recipients.id = v.value->>0 AND +recipients.state = 'queued' AND +recipients.address IS NULL`, db.schema);
    const plan = (await d.pool.query(`EXPLAIN ${sql}`, [JSON.stringify(ids)])).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/recipients_pkey/);
    expect(plan).not.toMatch(/Join Filter: \(recipients\.id =/);
  });

  it('the bridge’s session plans each execution of a prepared statement for its own parameters (plan_cache_mode), not once for the table as it was', async () => {
    const d = await fresh();
    await migratePg(d.pool);
    const db = PgDb.open({ connectionString: d.url });
    closeAfter(db);
    expect(db.bridge.query('SHOW plan_cache_mode').rows).toEqual([{ plan_cache_mode: 'force_custom_plan' }]);
  });

  it("a big job's recipients and a big import's contacts are written on kept plans (their foreign-key checks), and the session plans afresh again after them, in the same transaction", async () => {
    const d = await fresh();
    await migratePg(d.pool);
    const db = PgDb.open({ connectionString: d.url });
    closeAfter(db);
    const mode = () => (db.bridge.query('SHOW plan_cache_mode').rows[0] as { plan_cache_mode: string }).plan_cache_mode;
    const seen = db.transaction(() => {
      db.prepare(KEPT_PLANS).get();
      const during = mode();
      db.prepare(FRESH_PLANS).get();
      return [during, mode()];
    })();
    expect(seen).toEqual(['auto', 'force_custom_plan']);
    const userId = new UserStore(db).add(storeUser('u'));
    const recipients = Array.from({ length: 1_500 }, (_, i) => storeRecipient(`+6149157${String(i).padStart(4, '0')}`));
    // Inside a caller's transaction (as an announced job is), what follows the job is planned afresh.
    const after = db.transaction(() => {
      new JobStore(db).create(plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'hi' }), recipients }));
      return mode();
    })();
    expect(after).toBe('force_custom_plan');
    expect(db.prepare('SELECT COUNT(*) AS n FROM recipients').get()).toEqual({ n: 1_500 });
    // So does an import of many contacts (their user, their links' group and contact: foreign keys).
    const contacts = new ContactStore(db);
    const group = contacts.groups.insert(userId, { name: 'g' });
    const rows = Array.from({ length: 1_500 }, (_, i) => ({ first_name: `c${i}`, phone: `+614915${String(i).padStart(5, '0')}` }));
    const imported = db.transaction(() => [contacts.importInto(userId, group, rows), mode()])();
    expect(imported).toEqual([1_500, 'force_custom_plan']);
    expect(contacts.members(group, 0, 2_000)).toHaveLength(1_500);
  });
});
