import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, openDb, type Db } from '../../dist/store/db.js';
import { MIGRATIONS } from '../../dist/store/migrations.js';
import { migratePg, pgSchemaVersion } from '../../dist/store/pg/migrate.js';
import { MigrationFailed, SchemaTooNew } from '../../dist/store/schema-error.js';
import { parseContent } from '../../dist/core/content.js';
import { LEGACY } from '../fixtures/legacy-content.js';
import { pgDatabases, type TestDatabase } from '../helpers/pg-db.js';

const { fresh } = pgDatabases();
const LATEST = MIGRATIONS.at(-1)!.version;

/** PostgreSQL's SQLSTATE of a failed query (23505 unique_violation, 23514 check_violation…). */
async function sqlState(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`;
  }
  return 'succeeded';
}

/** SQLite's constraint code of a failed statement, for the same checks on the same schema. */
function sqliteCode(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`;
  }
  return 'succeeded';
}

const publicTables = async (db: TestDatabase) => (await db.pool.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)).rows.map((r) => r.t);

describe('PostgreSQL migrations', () => {
  it('apply the whole history to an empty database, in order, each recorded; a second run applies nothing', async () => {
    const db = await fresh();
    expect(await pgSchemaVersion(db.pool)).toBe(0);
    const applied = await migratePg(db.pool, MIGRATIONS, () => 1234);
    expect(applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const history = (await db.pool.query('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).rows;
    expect(history).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: '1234' })));
    const tables = await publicTables(db);
    expect(await migratePg(db.pool)).toEqual([]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n).toBe(MIGRATIONS.length);
    expect(await publicTables(db)).toEqual(tables);
    expect(await pgSchemaVersion(db.pool)).toBe(LATEST);
    // A connected client does as well as a pool.
    const c = await db.pool.connect();
    try {
      expect(await pgSchemaVersion(c)).toBe(LATEST);
      expect(await migratePg(c)).toEqual([]);
    } finally {
      c.release();
    }
  });

  it('take turns when several daemons start together on one empty database: one applies, the others find it done', async () => {
    const db = await fresh();
    const others = [new pg.Pool({ connectionString: db.url, max: 1 }), new pg.Pool({ connectionString: db.url, max: 1 })];
    try {
      const runs = await Promise.all([migratePg(db.pool), ...others.map((p) => migratePg(p))]);
      expect(runs.map((r) => r.length).sort((a, b) => a - b)).toEqual([0, 0, MIGRATIONS.length]);
      expect((await db.pool.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n).toBe(MIGRATIONS.length);
    } finally {
      await Promise.all(others.map((p) => p.end()));
    }
  });

  it('refuse a database newer than the code, as SQLite does, and change nothing', async () => {
    const db = await fresh();
    await db.pool.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    await db.pool.query(`INSERT INTO schema_migrations VALUES ($1, 'from the future', 0)`, [LATEST + 1]);
    const err = await migratePg(db.pool).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNew);
    expect(err).toMatchObject({ code: 'SCHEMA_TOO_NEW', found: LATEST + 1, latest: LATEST });
    expect(await publicTables(db)).toEqual(['schema_migrations']);
    // The same refusal, type and words, from SQLite's migrator.
    const lite = openDb(':memory:');
    lite.pragma(`user_version = ${LATEST + 1}`);
    let liteErr: unknown;
    try {
      migrate(lite);
    } catch (e) {
      liteErr = e;
    }
    lite.close();
    expect(liteErr).toBeInstanceOf(SchemaTooNew);
    expect((liteErr as Error).message).toBe((err as Error).message);

    // The way it happens: a database migrated by this code, opened by an older switchpost.
    const newer = await fresh();
    await migratePg(newer.pool);
    await expect(migratePg(newer.pool, MIGRATIONS.slice(0, -1))).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', found: LATEST, latest: MIGRATIONS.at(-2)!.version });
  });

  it('roll a failing migration back whole, keeping the ones before it', async () => {
    const db = await fresh();
    const broken = { version: LATEST + 1, name: 'broken', sql: '', postgres: 'CREATE TABLE half_done (a integer); SELECT no_such_function();' };
    const err = await migratePg(db.pool, [...MIGRATIONS, broken]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationFailed);
    expect(err).toMatchObject({ code: 'MIGRATION_FAILED', version: LATEST + 1 });
    expect((err as { cause: { code: string } }).cause.code).toBe('42883'); // undefined_function
    expect(await publicTables(db)).not.toContain('half_done');
    expect((await db.pool.query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v).toBe(LATEST);
    // The pool's client was not left in the failed transaction or holding the lock.
    expect(await migratePg(db.pool)).toEqual([]);

    // A migration and its record are one transaction: a record the database refuses (NaN for a bigint)
    // leaves no migration applied without it.
    const other = await fresh();
    await expect(migratePg(other.pool, MIGRATIONS.slice(0, 1), () => Number.NaN)).rejects.toMatchObject({ code: 'MIGRATION_FAILED', version: 1 });
    expect(await publicTables(other)).toEqual(['schema_migrations']);
  });
});

/** SQLite's schema, read from a file migrated by store/db.ts. */
interface LiteColumn {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

describe("PostgreSQL's schema is SQLite's", () => {
  let dir = '';
  let lite: Db;
  let db: TestDatabase;
  let tables: { name: string; sql: string }[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchpost-pg-schema-'));
    lite = openDb(join(dir, 'switchpost.db'));
    migrate(lite);
    tables = lite.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string; sql: string }[];
    db = await fresh();
    await migratePg(db.pool);
  });
  afterAll(() => {
    lite?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const liteColumns = (t: string) => lite.prepare('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid').all(t) as LiteColumn[];
  const pgColumns = async (t: string) =>
    (
      await db.pool.query<{ name: string; type: string; nullable: string; dflt: string | null; identity: string; generation: string | null }>(
        `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS dflt, is_identity AS identity, identity_generation AS generation
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [t],
      )
    ).rows;

  it('has the same tables', async () => {
    expect(tables.length).toBeGreaterThan(20);
    expect((await publicTables(db)).filter((t) => t !== 'schema_migrations')).toEqual(tables.map((t) => t.name));
  });

  it('has the same columns in the same order, of the same kinds, nullability and defaults', async () => {
    // SQLite's declared types and the PostgreSQL types each may be.
    const KINDS: Record<string, string[]> = { INTEGER: ['integer', 'bigint'], TEXT: ['text'], REAL: ['double precision'] };
    // Epoch-ms times and ids (the column's own or one it holds) need 64 bits.
    const wide = (col: string) => /(^|_)id$|_at$|_until$|^(at|expiry|created_by)$/.test(col);
    // PostgreSQL spells a default with its type ('{}'::text); SQLite as written.
    const bare = (d: string | null) => (d === null ? null : d.replace(/::[a-z ]+$/, ''));
    for (const { name: t } of tables) {
      const want = liteColumns(t);
      const got = await pgColumns(t);
      expect(
        got.map((c) => c.name),
        t,
      ).toEqual(want.map((c) => c.name));
      for (const [i, w] of want.entries()) {
        const g = got[i]!;
        const where = `${t}.${w.name}`;
        expect(Object.keys(KINDS), `${where}: a type the mapping knows`).toContain(w.type);
        expect(KINDS[w.type], where).toContain(g.type);
        if (w.type === 'INTEGER') expect(g.type, where).toBe(wide(w.name) ? 'bigint' : 'integer');
        // SQLite's primary key columns are never NULL (an INTEGER one is the rowid) whatever pragma says.
        expect(g.nullable, where).toBe(w.notnull || w.pk ? 'NO' : 'YES');
        expect(bare(g.dflt), where).toBe(w.dflt_value);
      }
    }
  });

  it("has identity ids where SQLite's are rowids, and nowhere else", async () => {
    let identities = 0;
    for (const { name: t, sql } of tables) {
      const cols = liteColumns(t);
      const pks = cols.filter((c) => c.pk > 0);
      // An INTEGER PRIMARY KEY alone is SQLite's rowid: it numbers new rows. One its CHECK pins to a
      // constant (the instance row) numbers nothing.
      const rowid = pks.length === 1 && pks[0]!.type === 'INTEGER' && !new RegExp(`\\b${pks[0]!.name} INTEGER PRIMARY KEY CHECK`).test(sql) ? pks[0]!.name : null;
      for (const c of await pgColumns(t)) {
        const where = `${t}.${c.name}`;
        if (c.name === rowid) {
          expect([c.type, c.identity, c.generation], where).toEqual(['bigint', 'YES', 'ALWAYS']);
          identities++;
        } else expect(c.identity, where).toBe('NO');
      }
    }
    expect(identities).toBeGreaterThan(15);
  });

  it('has the same primary keys and foreign keys', async () => {
    const pgPk = async (t: string) =>
      (
        await db.pool.query<{ col: string }>(
          `SELECT a.attname AS col FROM pg_index x CROSS JOIN unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
            WHERE x.indrelid = $1::regclass AND x.indisprimary ORDER BY k.n`,
          [t],
        )
      ).rows.map((r) => r.col);
    for (const { name: t } of tables) {
      const want = liteColumns(t)
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      expect(await pgPk(t), t).toEqual(want);
    }
    const liteFks = tables
      .flatMap(({ name: t }) => (lite.prepare('SELECT "table" AS ref, "from" AS col, "to" AS refcol FROM pragma_foreign_key_list(?)').all(t) as { ref: string; col: string; refcol: string }[]).map((f) => `${t}.${f.col} -> ${f.ref}.${f.refcol}`))
      .sort();
    const pgFks = (
      await db.pool.query<{ fk: string }>(
        `SELECT c.conrelid::regclass::text || '.' || a.attname || ' -> ' || c.confrelid::regclass::text || '.' || af.attname AS fk
           FROM pg_constraint c
           CROSS JOIN unnest(c.conkey, c.confkey) AS k(col, refcol)
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col
           JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = k.refcol
          WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`,
      )
    ).rows
      .map((r) => r.fk)
      .sort();
    expect(liteFks.length).toBeGreaterThan(5);
    expect(pgFks).toEqual(liteFks);
  });

  it('has the same indexes: names, keys, uniqueness and partial ones; SQLite NOCASE uniqueness as a unique index on lower()', async () => {
    const pgIndexes = (
      await db.pool.query<{ t: string; name: string; unique: boolean; partial: boolean; constraint: boolean; keys: string[] }>(
        `SELECT t.relname AS t, i.relname AS name, x.indisunique AS unique, x.indpred IS NOT NULL AS partial,
                EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) AS constraint,
                array(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k) AS keys
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
          WHERE t.relnamespace = 'public'::regnamespace AND t.relname <> 'schema_migrations'`,
      )
    ).rows;
    let named = 0;
    let nocase = 0;
    const matched = new Set<string>();
    for (const { name: t } of tables) {
      const list = lite.prepare('SELECT name, "unique", origin, partial FROM pragma_index_list(?)').all(t) as { name: string; unique: number; origin: string; partial: number }[];
      for (const ix of list) {
        const cols = lite.prepare('SELECT name, coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno').all(ix.name) as { name: string; coll: string }[];
        // A NOCASE column's uniqueness is lower()'s in PostgreSQL.
        const keys = cols.map((c) => (c.coll === 'NOCASE' ? `lower(${c.name})` : c.name));
        if (ix.origin === 'c') {
          // CREATE INDEX: the same name, on the same table and keys.
          const p = pgIndexes.find((i) => i.name === ix.name);
          expect(p, `index ${ix.name} in PostgreSQL`).toBeDefined();
          expect({ t: p!.t, keys: p!.keys, unique: p!.unique, partial: p!.partial }, ix.name).toEqual({ t, keys, unique: ix.unique === 1, partial: ix.partial === 1 });
          matched.add(p!.name);
          named++;
        } else {
          // SQLite's own index of a UNIQUE or PRIMARY KEY constraint: PostgreSQL's unique index on the same keys.
          const p = pgIndexes.find((i) => i.t === t && i.unique && !i.partial && !matched.has(i.name) && JSON.stringify(i.keys) === JSON.stringify(keys));
          expect(p, `${t}: a unique index on (${keys.join(', ')}) for SQLite's ${ix.name}`).toBeDefined();
          matched.add(p!.name);
          if (keys.some((k) => k.startsWith('lower('))) nocase++;
        }
      }
    }
    expect(named).toBeGreaterThan(20);
    expect(nocase).toBeGreaterThan(0);
    // Primary keys of SQLite's rowid tables have no index there; every other PostgreSQL index is one of SQLite's.
    expect(pgIndexes.filter((i) => !matched.has(i.name) && !(i.constraint && i.name.endsWith('_pkey'))).map((i) => i.name)).toEqual([]);
  });

  it('holds the constraints that can fail, as SQLite does', async () => {
    const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
    const addUser = `INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ($1, 'x', $2, 'UTC', 'AU', 0, 0)`;
    const liteUser = lite.prepare(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES (?, 'x', ?, 'UTC', 'AU', 0, 0)`);
    // users.role: one of three.
    expect(await sqlState(q(addUser, ['root-user', 'root']))).toBe('23514');
    expect(sqliteCode(() => liteUser.run('root-user', 'root'))).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(await sqlState(q(addUser, ['Alice', 'user']))).toBe('succeeded');
    expect(sqliteCode(() => liteUser.run('Alice', 'user'))).toBe('succeeded');
    // users.user_code: unique whatever its case.
    for (const clash of ['ALICE', 'alice', 'aLiCe']) {
      expect(await sqlState(q(addUser, [clash, 'user'])), clash).toBe('23505');
      expect(
        sqliteCode(() => liteUser.run(clash, 'user')),
        clash,
      ).toBe('SQLITE_CONSTRAINT_UNIQUE');
    }
    expect(await sqlState(q(addUser, ['Alicia', 'user']))).toBe('succeeded');
    // A foreign key: a job of no user.
    const addJob = `INSERT INTO jobs (user_id, face, channel, external_id, created_at) VALUES ($1, 'retarus', 'sms', $2, 0)`;
    expect(await sqlState(q(addJob, [999_999, null]))).toBe('23503');
    // jobs_external, partial and unique: one job per external id within a face; any number without one.
    const user = (await q(`SELECT id FROM users WHERE user_code = 'Alice'`)).rows[0].id;
    expect(await sqlState(q(addJob, [user, 'J.1']))).toBe('succeeded');
    expect(await sqlState(q(addJob, [user, 'J.1']))).toBe('23505');
    expect(await sqlState(q(addJob, [user, null]))).toBe('succeeded');
    expect(await sqlState(q(addJob, [user, null]))).toBe('succeeded');
    // Other CHECKs: a provider's source, the single instance row.
    expect(await sqlState(q(`INSERT INTO providers (name, driver, services, source, created_at, updated_at) VALUES ('p', 'sandbox', '[]', 'elsewhere', 0, 0)`))).toBe('23514');
    expect(await sqlState(q(`INSERT INTO instance (id, token, pid, heartbeat_at) VALUES (2, 't', 1, 0)`))).toBe('23514');
    expect(await sqlState(q(`INSERT INTO instance (id, token, pid, heartbeat_at) VALUES (1, 't', 1, 0)`))).toBe('succeeded');
  });

  it('never gives an id twice, and never takes one from an INSERT', async () => {
    const add = (code: string) => db.pool.query<{ id: string }>(`INSERT INTO companies (name, created_at) VALUES ($1, 0) RETURNING id`, [code]).then((r) => Number(r.rows[0]!.id));
    const a = await add('a');
    const b = await add('b');
    expect(b).toBeGreaterThan(a);
    // SQLite would give the highest id again once its row is gone.
    await db.pool.query('DELETE FROM companies WHERE id = $1', [b]);
    expect(await add('c')).toBeGreaterThan(b);
    expect(await sqlState(db.pool.query(`INSERT INTO companies (id, name, created_at) VALUES ($1, 'd', 0)`, [b]))).toBe('428C9'); // generated_always
  });
});

describe("migration 12 on PostgreSQL: the same documents as SQLite's", () => {
  // Besides the v1 face's shapes, what its text meets on the way: missing and null fields, a number
  // for a text, key responses as null, an object or a scalar, content already typed, other channels.
  const EDGES: [channel: string, content: unknown][] = [
    ['sms', {}],
    ['sms', { message: null, messages: 'not a list', sms: ['not', 'an', 'object'] }],
    ['sms2way', { message: 42 }],
    ['tts', { message: 'x', two_way_key_responses: null }],
    ['tts', { message: 'x', two_way_key_responses: { b: { key_press: 9, response_message: 'nine' }, a: { key_press: '1', redirect_to: '+61' } } }],
    ['tts', { message: 'x', two_way_key_responses: 5 }],
    ['tts2way', { message: 'x', skip_message_repeat: 0, voice: '  en-gb  ', two_way_key_responses: [{ key_press: true }, { key_press: false }, {}] }],
    ['tts2way', { message: 'x', skip_message_repeat: '1', voicemail_message: 'vm', header: 'h' }],
    ['voice', { audio_file: '', audio_name: 'ignored.mp3' }],
    ['voice', { audio_file: '/a.wav', audio_name: null }],
    ['fax', {}],
    ['fax', { fax_file: null, fax_pages: null, fine: 0, file_names: 'a.pdf' }],
    ['fax', { fax_file: '/f.tiff', fine: 1 }],
    ['sms', { kind: 'sms', text: { template: 'already typed' }, sms: {} }],
    ['email', { message: 'not a channel migration 12 knows' }],
  ];
  const ROWS = [...LEGACY, ...EDGES];

  it('rewrites every stored shape as SQLite does, leaving the rest alone', async () => {
    const before = MIGRATIONS.filter((m) => m.version < 12);
    expect(before.length).toBe(11);
    const lite = openDb(':memory:');
    migrate(lite, before);
    lite.prepare(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('u', 'x', 'user', 'UTC', 'AU', 0, 0)`).run();
    const liteJob = lite.prepare(`INSERT INTO jobs (user_id, face, channel, content, created_at) VALUES (1, 'welcorp', ?, ?, 0)`);
    for (const [channel, content] of ROWS) liteJob.run(channel, JSON.stringify(content));

    const db = await fresh();
    expect((await migratePg(db.pool, before)).length).toBe(11);
    const user = (await db.pool.query(`INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('u', 'x', 'user', 'UTC', 'AU', 0, 0) RETURNING id`)).rows[0].id;
    for (const [channel, content] of ROWS) await db.pool.query(`INSERT INTO jobs (user_id, face, channel, content, created_at) VALUES ($1, 'welcorp', $2, $3, 0)`, [user, channel, JSON.stringify(content)]);

    migrate(lite);
    expect((await migratePg(db.pool)).map((m) => m.version)).toEqual(MIGRATIONS.filter((m) => m.version >= 12).map((m) => m.version));
    const want = (lite.prepare('SELECT channel, content FROM jobs ORDER BY id').all() as { channel: string; content: string }[]).map((r) => ({ channel: r.channel, content: JSON.parse(r.content) as unknown }));
    const got = (await db.pool.query<{ channel: string; content: string }>('SELECT channel, content FROM jobs ORDER BY id')).rows.map((r) => ({ channel: r.channel, content: JSON.parse(r.content) as unknown }));
    lite.close();
    expect(got).toHaveLength(ROWS.length);
    for (const [i, w] of want.entries()) expect(got[i], `row ${i + 1}: ${JSON.stringify(ROWS[i])}`).toEqual(w);
    // And it is content the domain reads (the rows migration 12 was written for).
    for (const [i, r] of got.slice(0, LEGACY.length).entries()) expect(() => parseContent(JSON.stringify(r.content)), `row ${i + 1}`).not.toThrow();
  });
});
