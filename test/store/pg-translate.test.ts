import { describe, expect, it } from 'vitest';
import { NOCASE_COLUMNS, TranslateError, numberPlaceholders, scalarMinMax, translate, type PgSchema } from '../../dist/store/pg/translate.js';

/** A few tables as the catalogue gives them (pg/db.ts reads the real one). */
const SCHEMA: PgSchema = {
  columns: new Map([
    ['recipients', new Map(Object.entries({ id: 'bigint', state: 'text', due_at: 'bigint', tries: 'integer', attempt_id: 'bigint', address: 'text', reason: 'text', parts: 'integer', sent_at: 'bigint' }))],
    ['attempts', new Map(Object.entries({ id: 'bigint', provider_id: 'bigint', peer_id: 'text', parts: 'integer', response: 'text', cost: 'double precision' }))],
    ['attempt_parts', new Map(Object.entries({ attempt_id: 'bigint', part: 'integer', peer_id: 'text', status: 'text' }))],
    ['results', new Map(Object.entries({ id: 'bigint', attempt_id: 'bigint', kind: 'text', value: 'text' }))],
    ['users', new Map(Object.entries({ id: 'bigint', user_code: 'text', profile: 'text' }))],
  ]),
  primaryKeys: new Map([
    ['attempt_parts', ['attempt_id', 'part']],
    ['recipients', ['id']],
    ['account_settings', ['account_id', 'name']],
  ]),
  identities: new Map([
    ['results', 'id'],
    ['attempts', 'id'],
    ['users', 'id'],
  ]),
};
const pg = (sql: string) => translate(sql, SCHEMA).sql.replace(/\s+/g, ' ');

describe('SQLite to PostgreSQL', () => {
  it('numbers ? in order and each @name once, saying which argument each $n takes', () => {
    expect(numberPlaceholders('a = ? AND b = @at AND c = ? AND d = @at AND e = @rows')).toEqual({ text: 'a = $1 AND b = $2 AND c = $3 AND d = $2 AND e = $4', params: [0, 'at', 1, 'rows'] });
    // Not inside a string literal.
    expect(translate("SELECT '?', '@x' FROM users WHERE id = ?").sql).toBe("SELECT '?', '@x' FROM users WHERE id = $1");
    expect(translate("SELECT 'it''s ?' AS t WHERE 1 = ?").params).toEqual([0]);
  });

  it('INSERT OR IGNORE as ON CONFLICT DO NOTHING; INSERT OR REPLACE as an upsert on the primary key', () => {
    expect(pg('INSERT OR IGNORE INTO opt_outs (user_id, address) VALUES (?, ?)')).toBe('INSERT INTO opt_outs (user_id, address) VALUES ($1, $2) ON CONFLICT DO NOTHING');
    expect(pg('INSERT OR IGNORE INTO results (kind) VALUES (?) RETURNING id')).toBe('INSERT INTO results (kind) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id');
    expect(pg('INSERT OR REPLACE INTO attempt_parts (attempt_id, part, peer_id) VALUES (?, ?, ?)')).toBe(
      'INSERT INTO attempt_parts (attempt_id, part, peer_id) VALUES ($1, $2, $3) ON CONFLICT (attempt_id, part) DO UPDATE SET peer_id = EXCLUDED.peer_id',
    );
    expect(() => translate('INSERT OR REPLACE INTO unknown_table (a) VALUES (?)', SCHEMA)).toThrow(TranslateError);
  });

  it('a plain INSERT into a table with an identity returns it (lastInsertRowid); one that returns already is left', () => {
    expect(translate('INSERT INTO users (user_code) VALUES (?)', SCHEMA)).toMatchObject({ sql: 'INSERT INTO users (user_code) VALUES ($1) RETURNING id', returnsIdentity: 'id' });
    expect(translate('INSERT INTO opt_outs (user_id) VALUES (?)', SCHEMA)).toMatchObject({ sql: 'INSERT INTO opt_outs (user_id) VALUES ($1)', returnsIdentity: null });
    expect(translate('INSERT INTO attempts (provider_id) VALUES (?) RETURNING id, provider_id', SCHEMA).returnsIdentity).toBeNull();
  });

  it('jsonb_each(?) rows as jsonb_array_elements WITH ORDINALITY, each value->>N cast to the column it is written to', () => {
    expect(pg('INSERT INTO results (attempt_id, kind, value) SELECT v.value->>0, v.value->>1, @at FROM jsonb_each(@rows) v')).toBe(
      'INSERT INTO results (attempt_id, kind, value) SELECT (v.value->>0)::bigint, (v.value->>1)::text, $1 FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS v(value, key) RETURNING id',
    );
    // SET col = …: the value takes col's type, inside COALESCE and CASE too.
    expect(pg('UPDATE attempts SET parts = COALESCE(v.value->>2, parts), response = CASE WHEN v.value->>1 IS NULL THEN response ELSE v.value->>3 END FROM jsonb_each(?) v WHERE attempts.id = v.value->>0')).toBe(
      'UPDATE attempts SET parts = COALESCE((v.value->>2)::integer, parts), response = CASE WHEN (v.value->>1)::text IS NULL THEN response ELSE (v.value->>3)::text END FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS v(value, key) WHERE attempts.id = (v.value->>0)::bigint',
    );
  });

  it('a row value compared with a column takes its type, through table aliases; a scalar row reads as #>> {}', () => {
    expect(pg('SELECT a.id FROM jsonb_each(?) v JOIN attempts a ON a.id = v.value')).toBe("SELECT a.id FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS v(value, key) JOIN attempts a ON a.id = (v.value #>> '{}')::bigint");
    expect(pg('SELECT v.value AS peer_id FROM jsonb_each(?) v JOIN attempts a ON a.peer_id = v.value')).toBe(
      "SELECT (v.value #>> '{}') AS peer_id FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS v(value, key) JOIN attempts a ON a.peer_id = (v.value #>> '{}')::text",
    );
    expect(pg('SELECT part FROM attempt_parts WHERE attempt_id IN (SELECT value FROM jsonb_each(?))')).toBe(
      "SELECT part FROM attempt_parts WHERE attempt_id IN (SELECT (value #>> '{}')::bigint FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j0(value, key))",
    );
    // json_each is read the same way (the stores bind arrays either way).
    expect(pg('SELECT part FROM attempt_parts WHERE status IN (SELECT value FROM json_each(?))')).toContain("(value #>> '{}')::text FROM jsonb_array_elements($1::jsonb)");
  });

  it('NOT IN (SELECT value …) takes the column’s type too', () => {
    expect(pg('UPDATE recipients SET due_at = ? WHERE attempt_id NOT IN (SELECT value FROM json_each(?))')).toBe(
      "UPDATE recipients SET due_at = $1 WHERE attempt_id NOT IN (SELECT (value #>> '{}')::bigint FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS j0(value, key))",
    );
  });

  it('a parameter tested IS NULL takes the type of the column it is compared with elsewhere', () => {
    expect(pg('SELECT a.id FROM attempts a WHERE (@p IS NULL OR a.provider_id = @p) AND (? IS NOT NULL)')).toBe('SELECT a.id FROM attempts a WHERE ($1::bigint IS NULL OR a.provider_id = $1) AND ($2 IS NOT NULL)');
    // Positional, the value given twice: the column the next parameter is compared with.
    expect(pg('SELECT a.id FROM attempts a WHERE ? IS NULL OR a.provider_id = ? ORDER BY a.id')).toBe('SELECT a.id FROM attempts a WHERE $1::bigint IS NULL OR a.provider_id = $2 ORDER BY a.id');
  });

  it('drops INDEXED BY (SQLite’s planner hint)', () => {
    expect(pg("SELECT id FROM recipients INDEXED BY recipients_priority WHERE state = 'queued'")).toBe("SELECT id FROM recipients WHERE state = 'queued'");
  });

  it('a row value no context types is refused at translation, not guessed', () => {
    expect(() => translate('SELECT 1 FROM jsonb_each(?) v WHERE v.value->>0 IS NOT NULL', SCHEMA)).toThrow(TranslateError);
    expect(() => translate('SELECT 1 FROM jsonb_each(?) v WHERE v.value->>0 IS NOT NULL', SCHEMA)).toThrow(/no type for the row value v\.value->>0/);
  });

  it('drops the +col planner hints, and not an addition', () => {
    expect(pg("UPDATE recipients SET tries = tries + 1 WHERE id = ? AND +recipients.state = 'queued' AND (+due_at > ?)")).toBe("UPDATE recipients SET tries = tries + 1 WHERE id = $1 AND recipients.state = 'queued' AND (due_at > $2)");
  });

  it('scalar MAX(a, b) / MIN(a, b) as GREATEST / LEAST; the aggregates stay', () => {
    expect(scalarMinMax('SELECT MAX(0, tries - 1), MIN(a, MAX(b, c)), MAX(id), min(x) FROM t')).toBe('SELECT GREATEST(0, tries - 1), LEAST(a, GREATEST(b, c)), MAX(id), min(x) FROM t');
    expect(pg('SELECT MAX(id) FROM attempts WHERE peer_id = (SELECT MIN(peer_id, ?) FROM attempts)')).toBe('SELECT MAX(id) FROM attempts WHERE peer_id = (SELECT LEAST(peer_id, $1) FROM attempts)');
  });

  it('json_group_array as json_agg, an empty set still []', () => {
    expect(pg('SELECT json_group_array(id) AS ids FROM users')).toBe("SELECT COALESCE(json_agg(id), '[]'::json) AS ids FROM users");
  });

  it('COLLATE NOCASE as lower() on both sides; COLLATE BINARY dropped; the NOCASE columns compared by lower() in a WHERE, not in a SET', () => {
    expect(pg('SELECT id FROM accounts WHERE email = ? COLLATE NOCASE AND active = 1')).toBe('SELECT id FROM accounts WHERE lower(email) = lower($1) AND active = 1');
    expect(pg("SELECT id FROM users WHERE trim(profile ->> '$.etob_email_address') = ? COLLATE NOCASE")).toBe("SELECT id FROM users WHERE lower(trim((profile)::jsonb ->> 'etob_email_address')) = lower($1)");
    expect(NOCASE_COLUMNS).toContain('user_code');
    expect(pg("SELECT * FROM users WHERE user_code = ? AND coalesce(CAST(user_code AS TEXT), 'null') = ? COLLATE BINARY")).toBe("SELECT * FROM users WHERE lower(user_code) = lower($1) AND coalesce(CAST(user_code AS TEXT), 'null') = $2");
    expect(pg('UPDATE users SET user_code = ? WHERE id = ?')).toBe('UPDATE users SET user_code = $1 WHERE id = $2');
  });

  it('LIKE as ILIKE (SQLite’s ignores ASCII case), a JSON path on text as jsonb ->>, IFNULL as COALESCE, a condition of 1 as TRUE', () => {
    expect(pg("SELECT * FROM users WHERE user_code LIKE ? ESCAPE '\\'")).toBe("SELECT * FROM users WHERE user_code ILIKE $1 ESCAPE '\\'");
    expect(pg("SELECT profile ->> '$.lang' AS lang FROM users")).toBe("SELECT (profile)::jsonb ->> 'lang' AS lang FROM users");
    // A path that is not one key is left as written (and PostgreSQL will say so).
    expect(pg("SELECT profile ->> '$.a[0]' FROM users")).toBe("SELECT profile ->> '$.a[0]' FROM users");
    expect(pg('SELECT IFNULL(a, 0) FROM t')).toBe('SELECT COALESCE(a, 0) FROM t');
    expect(pg('SELECT * FROM users WHERE 1 AND id > ? ORDER BY id')).toBe('SELECT * FROM users WHERE TRUE AND id > $1 ORDER BY id');
    expect(pg('SELECT * FROM users WHERE 1')).toBe('SELECT * FROM users WHERE TRUE');
    expect(pg('SELECT COUNT(*) AS n FROM jobs j WHERE 0 AND j.user_id = ?')).toBe('SELECT COUNT(*) AS n FROM jobs j WHERE FALSE AND j.user_id = $1');
    expect(pg('SELECT * FROM users WHERE id = 10')).toBe('SELECT * FROM users WHERE id = 10');
  });

  it('IS / IS NOT with a value as IS [NOT] DISTINCT FROM; ON CONFLICT DO UPDATE without a target on the primary key', () => {
    expect(pg('SELECT 1 FROM accounts WHERE username = ? AND id IS NOT ?')).toBe('SELECT 1 FROM accounts WHERE username = $1 AND id IS DISTINCT FROM $2');
    expect(pg('SELECT 1 FROM accounts WHERE id IS ? AND x IS NOT NULL AND y IS NULL')).toBe('SELECT 1 FROM accounts WHERE id IS NOT DISTINCT FROM $1 AND x IS NOT NULL AND y IS NULL');
    expect(pg('INSERT INTO account_settings (account_id, name, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')).toBe(
      'INSERT INTO account_settings (account_id, name, value) VALUES ($1, $2, $3) ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value',
    );
    expect(pg('INSERT INTO account_settings (account_id, name) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET name = excluded.name')).toBe(
      'INSERT INTO account_settings (account_id, name) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET name = excluded.name',
    );
    expect(() => translate('INSERT INTO unknown_table (a) VALUES (?) ON CONFLICT DO UPDATE SET a = 1', SCHEMA)).toThrow(TranslateError);
  });

  it('an empty IN () list as an empty array, NOT IN () too (a syntax error on PostgreSQL)', () => {
    expect(pg('SELECT * FROM jobs j WHERE j.channel IN () AND j.id = ?')).toBe("SELECT * FROM jobs j WHERE j.channel = ANY('{}') AND j.id = $1");
    expect(pg('SELECT * FROM jobs WHERE id NOT IN ( )')).toBe("SELECT * FROM jobs WHERE id <> ALL('{}')");
    expect(pg("SELECT * FROM jobs WHERE face IN ('x') AND name = 'IN ()'")).toBe("SELECT * FROM jobs WHERE face IN ('x') AND name = 'IN ()'");
    expect(pg('SELECT * FROM users WHERE id = 1 LIMIT 1')).toBe('SELECT * FROM users WHERE id = 1 LIMIT 1');
  });

  it('CROSS JOIN … ON as JOIN … ON; a true CROSS JOIN stays', () => {
    expect(pg('SELECT 1 FROM a CROSS JOIN attempt_parts p ON p.part = a.x CROSS JOIN attempts ON attempts.id = p.attempt_id')).toBe('SELECT 1 FROM a JOIN attempt_parts p ON p.part = a.x JOIN attempts ON attempts.id = p.attempt_id');
    expect(pg('SELECT 1 FROM a CROSS JOIN b')).toBe('SELECT 1 FROM a CROSS JOIN b');
  });

  it('leaves string literals as written, whatever they hold', () => {
    expect(pg("SELECT 'INSERT OR IGNORE LIKE +x MAX(a, b) COLLATE NOCASE' AS s FROM users WHERE user_code = 'x?'")).toBe("SELECT 'INSERT OR IGNORE LIKE +x MAX(a, b) COLLATE NOCASE' AS s FROM users WHERE user_code = 'x?'");
  });

  it('quotes an alias with capitals and its bare uses (PostgreSQL folds unquoted names to lower case); leaves types and lower-case names', () => {
    expect(pg('SELECT a.id AS attemptId, r.id AS recipientId FROM recipients r JOIN attempts a ON a.id = r.attempt_id ORDER BY attemptId')).toBe(
      'SELECT a.id AS "attemptId", r.id AS "recipientId" FROM recipients r JOIN attempts a ON a.id = r.attempt_id ORDER BY "attemptId"',
    );
    expect(pg('SELECT CAST(x AS INTEGER) AS n, y AS "from" FROM t')).toBe('SELECT CAST(x AS INTEGER) AS n, y AS "from" FROM t');
    expect(pg("SELECT 'AS fooBar' AS s FROM t")).toBe("SELECT 'AS fooBar' AS s FROM t");
  });

  it('names a subquery in FROM that has no alias; leaves one that has', () => {
    expect(pg('SELECT count(*) AS n FROM (SELECT DISTINCT job_id FROM recipients WHERE state = ?)')).toBe('SELECT count(*) AS n FROM (SELECT DISTINCT job_id FROM recipients WHERE state = $1) AS sub0');
    expect(pg('SELECT n FROM (SELECT 1 AS n) x WHERE n = 1')).toBe('SELECT n FROM (SELECT 1 AS n) x WHERE n = 1');
    expect(pg('SELECT n FROM (SELECT 1 AS n) WHERE n = 1')).toBe('SELECT n FROM (SELECT 1 AS n) AS sub0 WHERE n = 1');
  });

  it('says which parameters a condition compares with an integer column, never one an assignment takes or one tested IS NULL', () => {
    expect([...(translate('SELECT * FROM recipients r WHERE r.id = ? AND state = ? AND ? = tries', SCHEMA).integerParams ?? [])]).toEqual([1, 3]);
    expect([...(translate('UPDATE recipients SET tries = ?, due_at = ? WHERE id = ?', SCHEMA).integerParams ?? [])]).toEqual([3]);
    expect(translate('SELECT * FROM recipients WHERE (@id IS NULL OR id = @id)', SCHEMA).integerParams).toBeUndefined();
    expect(translate('SELECT * FROM recipients WHERE address = ?', SCHEMA).integerParams).toBeUndefined();
  });
});
