/**
 * SQLite's SQL, as the stores write it, turned into PostgreSQL's: a small set of rules, each for one
 * construct the stores use, applied to the text outside string literals. What no rule covers safely
 * is given as a per-statement override (`./overrides.ts`), never guessed: a row value whose type no
 * context tells is a TranslateError at prepare time, not a wrong cast at run time.
 */

/** The catalogue facts the rules need: each table's column types, primary key and identity column. */
export interface PgSchema {
  /** table → column → PostgreSQL type (`bigint`, `integer`, `text`, `double precision`…). */
  columns: ReadonlyMap<string, ReadonlyMap<string, string>>;
  primaryKeys: ReadonlyMap<string, readonly string[]>;
  /** table → its `GENERATED … AS IDENTITY` column (what SQLite's lastInsertRowid reads). */
  identities: ReadonlyMap<string, string>;
}

export interface Translated {
  sql: string;
  /** For each `$n` in order: the index of a positional argument, or the name of a named one (`@name`). */
  params: (number | string)[];
  /** The identity column a plain INSERT returns, for lastInsertRowid (appended as `RETURNING`). */
  returnsIdentity: string | null;
  /**
   * The `$n` (1-based) a condition compares with an integer column (`id = $n`): a value that is not an
   * integer's text cannot equal one, as on SQLite, so the facade binds it as NULL (no match) rather than
   * have PostgreSQL refuse it (22P02). Absent: none.
   */
  integerParams?: ReadonlySet<number>;
}

export class TranslateError extends Error {
  override name = 'TranslateError';
  readonly code = 'PG_TRANSLATE';
  constructor(
    readonly sql: string,
    why: string,
  ) {
    super(`cannot translate to PostgreSQL (${why}): ${sql.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
}

const EMPTY: PgSchema = { columns: new Map(), primaryKeys: new Map(), identities: new Map() };

/** String literals out of the way of the rules: each becomes \uE000n\uE000, put back at the end. */
function mask(sql: string): { text: string; literals: string[] } {
  const literals: string[] = [];
  const text = sql.replace(/'(?:[^']|'')*'/g, (lit) => `\uE000${literals.push(lit) - 1}\uE000`);
  return { text, literals };
}
const unmask = (text: string, literals: readonly string[]): string => text.replace(/\uE000(\d+)\uE000/g, (_, i: string) => literals[Number(i)]!);

/** `?` in order and `@name` (one number per name) as `$n`. */
export function numberPlaceholders(text: string): { text: string; params: (number | string)[] } {
  const params: (number | string)[] = [];
  const named = new Map<string, number>();
  let positional = 0;
  const out = text.replace(/\?|@([A-Za-z_][A-Za-z0-9_]*)/g, (m, name: string | undefined) => {
    if (name === undefined) {
      params.push(positional++);
      return `$${params.length}`;
    }
    let n = named.get(name);
    if (n === undefined) named.set(name, (n = params.push(name)));
    return `$${n}`;
  });
  return { text: out, params };
}

/** The index of the parenthesis that closes the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** `s` split at its commas outside parentheses. */
function topLevelSplit(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    else if (s[i] === ',' && depth === 0) (parts.push(s.slice(start, i)), (start = i + 1));
  }
  parts.push(s.slice(start));
  return parts;
}

/** Scalar `MAX(a, b)` / `MIN(a, b)` (two or more arguments) as GREATEST / LEAST; the aggregates (one argument) stay. */
export function scalarMinMax(text: string): string {
  let out = text;
  for (let from = 0; ;) {
    const m = /\b(MAX|MIN)\s*\(/gi;
    m.lastIndex = from;
    const hit = m.exec(out);
    if (!hit) return out;
    const open = hit.index + hit[0].length - 1;
    const close = closing(out, open);
    if (close < 0) return out;
    if (topLevelSplit(out.slice(open + 1, close)).length > 1) {
      const fn = hit[1]!.toUpperCase() === 'MAX' ? 'GREATEST' : 'LEAST';
      out = out.slice(0, hit.index) + fn + out.slice(hit.index + hit[1]!.length);
    }
    from = hit.index + 1;
  }
}

/** The operand that ends just before `end` (`a.b`, `fn(...)`, `$3`), as its start index. */
function operandStart(text: string, end: number): number {
  let i = end;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  if (text[i - 1] === ')') {
    let depth = 0;
    for (let j = i - 1; j >= 0; j--) {
      if (text[j] === ')') depth++;
      else if (text[j] === '(' && --depth === 0) {
        i = j;
        break;
      }
    }
  }
  while (i > 0 && /[A-Za-z0-9_.$]/.test(text[i - 1]!)) i--;
  return i;
}

/** `x = y COLLATE NOCASE` as `lower(x) = lower(y)` (SQLite's NOCASE folds ASCII, as lower() does in the C locale). */
export function nocase(text: string): string {
  let out = text;
  for (;;) {
    const m = /(=)\s*(\$\d+|[A-Za-z_][A-Za-z0-9_.]*)\s+COLLATE\s+NOCASE\b/i.exec(out);
    if (!m) return out.replace(/\s+COLLATE\s+BINARY\b/gi, '');
    const start = operandStart(out, m.index);
    const left = out.slice(start, m.index).trim();
    out = `${out.slice(0, start)}lower(${left}) = lower(${m[2]})${out.slice(m.index + m[0].length)}`;
  }
}

/**
 * Columns declared `COLLATE NOCASE` in SQLite's schema: PostgreSQL's column compares with case and its
 * unique index is on lower(col) (migrations.ts), so an equality on it in a WHERE clause compares lower().
 */
export const NOCASE_COLUMNS = ['user_code'] as const;

function nocaseColumns(text: string): string {
  const where = /\bWHERE\b/i.exec(text);
  if (!where) return text;
  const head = text.slice(0, where.index);
  let tail = text.slice(where.index);
  for (const col of NOCASE_COLUMNS) {
    tail = tail.replace(new RegExp(`(?<![\\w.(])((?:[A-Za-z_][A-Za-z0-9_]*\\.)?${col})\\s*=\\s*(\\$\\d+)`, 'g'), 'lower($1) = lower($2)');
  }
  return head + tail;
}

/** One `jsonb_each(param)` row source: its alias (or none) and where it stands. */
interface RowSource {
  alias: string | null;
}

const KEYWORDS = new Set(['where', 'join', 'cross', 'inner', 'left', 'on', 'order', 'group', 'limit', 'returning', 'and', 'or', 'union', 'set']);

/** `jsonb_each(x) v` (or json_each) as `jsonb_array_elements(x::jsonb) WITH ORDINALITY AS v(value, key)`: the stores bind arrays. */
function rowSources(text: string): { text: string; sources: RowSource[] } {
  const sources: RowSource[] = [];
  let n = 0;
  const out = text.replace(/\bjsonb?_each\s*\(\s*(\$\d+)\s*\)(\s+(?:AS\s+)?([A-Za-z_][A-Za-z0-9_]*))?/gi, (_m, param: string, aliasPart: string | undefined, alias: string | undefined) => {
    const real = alias !== undefined && !KEYWORDS.has(alias.toLowerCase()) ? alias : null;
    const name = real ?? `j${n++}`;
    sources.push({ alias: real });
    const rest = real === null && aliasPart !== undefined ? aliasPart : '';
    return `jsonb_array_elements(${param}::jsonb) WITH ORDINALITY AS ${name}(value, key)${rest}`;
  });
  return { text: out, sources };
}

/** Table aliases of the statement (`FROM attempts a`, `JOIN recipients r`, `UPDATE recipients`) → table. */
function tableAliases(text: string, schema: PgSchema): Map<string, string> {
  const aliases = new Map<string, string>();
  const re = /\b(?:FROM|JOIN|UPDATE|INTO)\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+(?:AS\s+)?([A-Za-z_][A-Za-z0-9_]*))?/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const table = m[1]!;
    if (!schema.columns.has(table)) continue;
    aliases.set(table, table);
    if (m[2] && !KEYWORDS.has(m[2].toLowerCase())) aliases.set(m[2], table);
  }
  return aliases;
}

function columnType(ref: string, aliases: Map<string, string>, schema: PgSchema): string | null {
  const [a, b] = ref.includes('.') ? ref.split('.') : [null, ref];
  if (a !== null) {
    const t = aliases.get(a!);
    return (t && schema.columns.get(t)?.get(b!)) ?? null;
  }
  for (const t of new Set(aliases.values())) {
    const type = schema.columns.get(t)?.get(b!);
    if (type) return type;
  }
  return null;
}

/**
 * Each row value (`v.value->>N`, a scalar row's `v.value`) cast to the type its context gives it:
 * PostgreSQL's `->>` is text, which it neither compares with nor assigns to a bigint (SQLite's gives
 * the JSON value's own type). The contexts: the target column of an INSERT … SELECT, the column a
 * SET assigns, the column it is compared with; in a select list without them it stays text.
 */
function typeRowValues(text: string, sources: RowSource[], schema: PgSchema, sql: string): string {
  if (sources.length === 0) return text;
  const aliases = tableAliases(text, schema);
  const names = sources.map((s, i) => s.alias ?? `j${i}`);
  const refs = names.map((n) => n.replace(/[.$]/g, '\\$&')).join('|');
  // An unaliased source is read as bare `value`.
  const bare = sources.some((s) => s.alias === null);
  const re = new RegExp(`(?<![\\w.])(?:(?:${refs})\\.value|${bare ? 'value' : '(?!)'})(?![\\w(])(\\s*->>\\s*(\\d+))?`, 'g');

  // INSERT INTO t (cols) SELECT items: the i-th item's column.
  const insert = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*SELECT\s/i.exec(text);
  let insertItems: { start: number; end: number; type: string | null }[] = [];
  if (insert) {
    const table = insert[1]!;
    const cols = insert[2]!.split(',').map((c) => c.trim());
    const listStart = insert.index + insert[0].length;
    const from = /\bFROM\b/i.exec(text.slice(listStart));
    const list = text.slice(listStart, from ? listStart + from.index : text.length);
    let at = listStart;
    insertItems = topLevelSplit(list).map((item, i) => {
      const r = { start: at, end: at + item.length, type: schema.columns.get(table)?.get(cols[i] ?? '') ?? null };
      at += item.length + 1;
      return r;
    });
  }
  // SET col = expr, …: each item's column.
  const setItems: { start: number; end: number; type: string | null }[] = [];
  const set = /^\s*UPDATE\s+([A-Za-z_][A-Za-z0-9_]*)\s+SET\s/i.exec(text);
  if (set) {
    const listStart = set.index + set[0].length;
    const end = /\b(FROM|WHERE|RETURNING)\b/i.exec(text.slice(listStart));
    const list = text.slice(listStart, end ? listStart + end.index : text.length);
    let at = listStart;
    for (const item of topLevelSplit(list)) {
      const col = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(item)?.[1];
      setItems.push({ start: at, end: at + item.length, type: col ? (schema.columns.get(set[1]!)?.get(col) ?? null) : null });
      at += item.length + 1;
    }
  }

  const selectList = (pos: number): boolean => {
    const before = text.slice(0, pos);
    const sel = before.lastIndexOf('SELECT');
    return sel >= 0 && !/\bFROM\b/i.test(before.slice(sel));
  };

  const columnList = insert ? { start: insert.index, end: insert.index + insert[0].length } : null;
  return text.replace(re, (m: string, arrow: string | undefined, index: string | undefined, pos: number) => {
    // A column named value (an INSERT's list), or a row source's own column names: not a row value.
    if (columnList && pos >= columnList.start && pos < columnList.end) return m;
    if (/\bAS\s+[A-Za-z_][A-Za-z0-9_]*\($/i.test(text.slice(0, pos))) return m;
    const base = m.slice(0, m.length - (arrow?.length ?? 0));
    const expr = index !== undefined ? `(${base}->>${index})` : `(${base} #>> '{}')`;
    const left = /((?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*)\s*(?:=|<>|!=|<=|>=|<|>)\s*$/.exec(text.slice(0, pos));
    const right = /^\s*(?:=|<>|!=|<=|>=|<|>)\s*((?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(pos + m.length));
    const inList = /((?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*)\s+(?:NOT\s+)?IN\s*\(\s*SELECT\s+$/i.exec(text.slice(0, pos));
    const compared = [left?.[1], right?.[1], inList?.[1]].find((c) => c !== undefined && !/^\$|^(value|and|or|not|where|on)$/i.test(c));
    const type = (compared !== undefined ? columnType(compared, aliases, schema) : null) ?? insertItems.find((i) => pos >= i.start && pos < i.end)?.type ?? setItems.find((i) => pos >= i.start && pos < i.end)?.type ?? null;
    if (type) return `${expr}::${type}`;
    if (compared === undefined && selectList(pos)) return expr;
    throw new TranslateError(sql, `no type for the row value ${m.trim()}`);
  });
}

/**
 * A parameter tested `IS [NOT] NULL` (`@user IS NULL OR j.user_id = @user`) cast to the type of the column
 * it is compared with elsewhere in the statement (or, positional, `? IS NULL OR col = ?`, the column the
 * next parameter is compared with): PostgreSQL types a parameter where it first meets it,
 * and IS NULL tells it nothing.
 */
function nullTestedParams(text: string, schema: PgSchema): string {
  const aliases = tableAliases(text, schema);
  return text.replace(/\$(\d+)(?=\s+IS\s+(?:NOT\s+)?NULL\b)/gi, (m, n: string) => {
    const ref = '((?:[A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*)';
    const cmp = new RegExp(`${ref}\\s*(?:=|<>|!=|<=|>=|<|>)\\s*\\$${n}(?!\\d)|\\$${n}(?!\\d)\\s*(?:=|<>|!=|<=|>=|<|>)\\s*${ref}`).exec(text);
    // Positional, the value given twice: `? IS NULL OR n.user_id = ?`.
    const pair = cmp ? null : new RegExp(`\\$${n}(?!\\d)\\s+IS\\s+NULL\\s+OR\\s+${ref}\\s*(?:=|<>|!=|<=|>=|<|>)\\s*\\$\\d+`, 'i').exec(text);
    const col = cmp?.[1] ?? cmp?.[2] ?? pair?.[1];
    const type = col ? columnType(col, aliases, schema) : null;
    return type ? `${m}::${type}` : m;
  });
}

/**
 * An alias with capitals (`AS attemptId`) quoted, and its bare uses with it: PostgreSQL folds an unquoted
 * name to lower case, SQLite keeps it as written (the stores read the rows by those names).
 */
function casedAliases(text: string): string {
  const names = new Set([...text.matchAll(/\bAS\s+([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()/gi)].map((m) => m[1]!).filter((n) => /[A-Z]/.test(n) && /[a-z]/.test(n) && !KEYWORDS.has(n.toLowerCase())));
  if (names.size === 0) return text;
  const re = new RegExp(`(?<![\\w."$])(${[...names].join('|')})(?![\\w"(])`, 'g');
  return text.replace(re, '"$1"');
}

/** A subquery in FROM without an alias (SQLite's may have none; PostgreSQL before 16 requires one). */
function subqueryAliases(text: string): string {
  let out = text;
  let from = 0;
  let n = 0;
  for (;;) {
    const m = /\bFROM\s*\(\s*SELECT\b/gi;
    m.lastIndex = from;
    const hit = m.exec(out);
    if (!hit) return out;
    const open = out.indexOf('(', hit.index);
    const close = closing(out, open);
    const after = out.slice(close + 1);
    if (/^\s*(?:AS\s+)?[A-Za-z_][A-Za-z0-9_]*/i.test(after) && !/^\s*(?:WHERE|GROUP|ORDER|LIMIT|OFFSET|JOIN|LEFT|INNER|CROSS|UNION|ON|HAVING|WINDOW|RETURNING)\b/i.test(after)) from = close + 1;
    else {
      out = `${out.slice(0, close + 1)} AS sub${n++}${after}`;
      from = close + 1;
    }
  }
}

/** The `$n` a condition (after WHERE or ON) compares with `=` or `<>` to an integer column. */
function integerParams(text: string, schema: PgSchema): Set<number> {
  const out = new Set<number>();
  const aliases = tableAliases(text, schema);
  const where = /\b(?:WHERE|ON)\b/i.exec(text);
  if (!where) return out;
  const ref = '((?:[A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*)';
  const re = new RegExp(`${ref}\\s*(?:=|<>|!=)\\s*\\$(\\d+)(?!\\d|\\s*::)|\\$(\\d+)(?!\\d)\\s*(?:=|<>|!=)\\s*${ref}`, 'g');
  for (const m of text.slice(where.index).matchAll(re)) {
    const col = m[1] ?? m[4];
    const type = col ? columnType(col, aliases, schema) : null;
    const n = Number(m[2] ?? m[3]);
    // Not one tested IS NULL as well: there NULL would mean "any".
    if ((type === 'bigint' || type === 'integer' || type === 'smallint') && !new RegExp(`\\$${n}(?!\\d)(?:::\\w+)?\\s+IS\\b`, 'i').test(text)) out.add(n);
  }
  return out;
}

/** `INSERT OR IGNORE` / `INSERT OR REPLACE` as an INSERT with its ON CONFLICT clause (before any RETURNING). */
function insertOr(text: string, schema: PgSchema, sql: string): string {
  const m = /^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^)]*)\))?/i.exec(text);
  if (!m) return text;
  const table = m[2]!;
  let clause = 'ON CONFLICT DO NOTHING';
  if (m[1]!.toUpperCase() === 'REPLACE') {
    const key = schema.primaryKeys.get(table);
    if (!key || !m[3]) throw new TranslateError(sql, `INSERT OR REPLACE into ${table} needs its primary key and a column list`);
    const cols = m[3].split(',').map((c) => c.trim());
    const sets = cols.filter((c) => !key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
    clause = `ON CONFLICT (${key.join(', ')}) ${sets.length ? `DO UPDATE SET ${sets.join(', ')}` : 'DO NOTHING'}`;
  }
  const body = text.replace(/^\s*INSERT\s+OR\s+(?:IGNORE|REPLACE)\s+INTO/i, 'INSERT INTO');
  const ret = /\bRETURNING\b/i.exec(body);
  return ret ? `${body.slice(0, ret.index)}${clause} ${body.slice(ret.index)}` : `${body.trimEnd()} ${clause}`;
}

/**
 * `ON CONFLICT DO UPDATE` without a target (SQLite's: whichever uniqueness constraint clashed) with the
 * table's primary key as its target, which PostgreSQL requires; the stores' uses are on their key.
 */
function conflictTarget(text: string, schema: PgSchema, sql: string): string {
  if (!/\bON\s+CONFLICT\s+DO\s+UPDATE\b/i.test(text)) return text;
  const table = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(text)?.[1];
  const key = table ? schema.primaryKeys.get(table) : undefined;
  if (!key) throw new TranslateError(sql, `ON CONFLICT DO UPDATE without a target needs ${table ?? 'the table'}'s primary key`);
  return text.replace(/\bON\s+CONFLICT\s+DO\s+UPDATE\b/i, `ON CONFLICT (${key.join(', ')}) DO UPDATE`);
}

/** `json_group_array(x)` as json_agg, an empty set `[]` as SQLite's is (json_agg's is NULL). */
function groupArray(text: string): string {
  let out = text;
  for (;;) {
    const m = /\bjson_group_array\s*\(/i.exec(out);
    if (!m) return out;
    const open = m.index + m[0].length - 1;
    const close = closing(out, open);
    out = `${out.slice(0, m.index)}COALESCE(json_agg(${out.slice(open + 1, close)}), '[]'::json)${out.slice(close + 1)}`;
  }
}

/** Translate one statement. `schema` is needed by the rules that type row values and by INSERT OR REPLACE. */
export function translate(sql: string, schema: PgSchema = EMPTY): Translated {
  const { text: masked, literals } = mask(sql);
  const numbered = numberPlaceholders(masked);
  let t = numbered.text;
  // Planner hints: a unary + before a column in a condition.
  t = t.replace(/(\b(?:AND|OR|WHERE|ON|NOT)\s+|\(\s*)\+(?=[A-Za-z_])/gi, '$1');
  // A condition that is the literal 1 or 0 (an admin's owner filter; no channel asked for).
  t = t.replace(/(\b(?:WHERE|AND|OR)\s+)([01])(?=\s+(?:AND|OR|ORDER|GROUP|LIMIT)\b|\s*\)|\s*$)/gi, (_, pre: string, b: string) => `${pre}${b === '1' ? 'TRUE' : 'FALSE'}`);
  // An empty list (`IN ()`: SQLite's matches nothing, NOT IN all) is a syntax error on PostgreSQL; an
  // empty array takes the type of what it is compared with.
  t = t.replace(/\bNOT\s+IN\s*\(\s*\)/gi, "<> ALL('{}')").replace(/\bIN\s*\(\s*\)/gi, "= ANY('{}')");
  // SQLite's `IS` / `IS NOT` with a value: PostgreSQL's IS [NOT] takes only NULL, TRUE, FALSE.
  t = t.replace(/\bIS\s+NOT\s+(\$\d+)/gi, 'IS DISTINCT FROM $1').replace(/\bIS\s+(\$\d+)/gi, 'IS NOT DISTINCT FROM $1');
  t = t.replace(/\bIFNULL\s*\(/gi, 'COALESCE(');
  // SQLite's planner hint naming the index to use: PostgreSQL's planner chooses.
  t = t.replace(/\s+INDEXED\s+BY\s+[A-Za-z_][A-Za-z0-9_]*/gi, '');
  // SQLite's CROSS JOIN … ON (an inner join whose order the planner keeps) is PostgreSQL's JOIN … ON.
  t = t.replace(/\bCROSS\s+JOIN(?=\s+[A-Za-z_][A-Za-z0-9_]*(?:\s+(?:AS\s+)?[A-Za-z_][A-Za-z0-9_]*)?\s+ON\b)/gi, 'JOIN');
  // SQLite's LIKE ignores ASCII case.
  t = t.replace(/\bLIKE\b/gi, 'ILIKE');
  // A JSON path on a text column: `col ->> '$.key'` (a literal, masked) as jsonb.
  t = t.replace(/([A-Za-z_][A-Za-z0-9_.]*)\s*->>\s*\uE000(\d+)\uE000/g, (m, col: string, i: string) => {
    const path = /^'\$\.([A-Za-z_][A-Za-z0-9_]*)'$/.exec(literals[Number(i)]!);
    if (!path) return m;
    literals[Number(i)] = `'${path[1]}'`;
    return `(${col})::jsonb ->> \uE000${i}\uE000`;
  });
  t = nocase(t);
  t = nocaseColumns(t);
  t = scalarMinMax(t);
  t = groupArray(t);
  t = insertOr(t, schema, sql);
  t = conflictTarget(t, schema, sql);
  t = nullTestedParams(t, schema);
  t = casedAliases(t);
  t = subqueryAliases(t);
  const ints = integerParams(t, schema);
  const sources = rowSources(t);
  t = typeRowValues(sources.text, sources.sources, schema, sql);
  let returnsIdentity: string | null = null;
  const insert = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(t);
  if (insert && !/\bRETURNING\b/i.test(t)) {
    returnsIdentity = schema.identities.get(insert[1]!) ?? null;
    if (returnsIdentity) t = `${t.trimEnd()} RETURNING ${returnsIdentity}`;
  }
  return { sql: unmask(t, literals), params: numbered.params, returnsIdentity, ...(ints.size ? { integerParams: ints } : {}) };
}
