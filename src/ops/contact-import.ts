import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse';
import type { StoreDb } from '../store/store-db.js';
import { ContactStore } from '../store/contacts.js';
import { UserStore } from '../store/users.js';
import { CONTACT_CSV_MAX_ROWS, CONTACT_CSV_PARSE, readContactCsv, type CsvRecord, type RejectedRow } from '../core/contact-csv.js';
import { SwitchpostError } from '../core/errors.js';
import { OpsError } from './errors.js';
import { progress } from './progress.js';

/**
 * `switchpost import FILE.csv --user CODE --list NAME|ID`: a contacts CSV into one of the user's lists
 * (ICTCore's groups, the v1 API's user_list_ids), read as `POST /groups/{id}/csv` reads it
 * (core/contact-csv.ts) and stored by the same ContactStore.importInto. It runs beside the daemon on the
 * same database (WAL: the daemon keeps reading; writes take turns): the file is read and checked whole
 * first, so a broken one stores nothing, then stored STEP rows per transaction, so the daemon's own
 * writes never wait longer than one step (its busy timeout is 5 s).
 */
export interface ImportRequest {
  file: string;
  userCode: string;
  /** A list's id, or its name among the user's lists (a new name makes a new list). */
  list: string;
}

export interface ImportResult {
  file: string;
  user: string;
  list: { id: number; name: string; created: boolean };
  imported: number;
  rejected: RejectedRow[];
}

/** Rows per transaction: about a quarter of a second of the store's time, well under the daemon's busy timeout. */
const STEP = 20_000;

export async function importContacts(db: StoreDb, req: ImportRequest, opts: { stream?: NodeJS.WriteStream; now?: () => number } = {}): Promise<ImportResult> {
  const now = opts.now ?? (() => Date.now());
  const user = new UserStore(db).byCode(req.userCode);
  if (!user) throw new OpsError('import_refused', `--user: no user "${req.userCode}"`);
  const contacts = new ContactStore(db);
  // Found before the file is read (a wrong --list costs nothing), made only once the file is good.
  let list: { id: number; name: string } | null = null;
  const name = req.list.trim();
  if (/^\d+$/.test(name)) {
    const g = contacts.groups.get(Number(name));
    if (!g || g.user_id !== user.id) throw new OpsError('import_refused', `--list: ${user.user_code} has no list ${name}`);
    list = { id: g.id, name: String(g.name) };
  } else {
    if (name === '' || name.length > 100) throw new OpsError('import_refused', '--list: a list id, or a name of 1 to 100 characters');
    const [g] = contacts.groups.list({ userId: user.id, role: 'user' }, { name }, 1);
    if (g) list = { id: g.id, name };
  }

  const size = fileSize(req.file);
  const what = basename(req.file);
  const reading = progress(`reading ${what}`, opts.stream, { unit: 'bytes' });
  let read;
  try {
    const source = createReadStream(req.file);
    let bytes = 0;
    source.on('data', (d) => reading.step((bytes += d.length), size));
    const parser = source.pipe(parse(CONTACT_CSV_PARSE));
    source.on('error', (err) => parser.destroy(err));
    read = await readContactCsv(parser as AsyncIterable<CsvRecord>, { maxRows: CONTACT_CSV_MAX_ROWS });
  } catch (err) {
    // The face's 412/413, here a sentence: a bad header, a row of the wrong width, a broken or huge file.
    if (err instanceof SwitchpostError) throw new OpsError('import_refused', `${req.file}: ${err.message}; nothing was imported`);
    throw err;
  } finally {
    reading.end();
  }

  const created = list === null;
  if (list === null) list = { id: contacts.groups.insert(user.id, { name, description: null }, now()), name };
  const storing = progress('storing contacts', opts.stream);
  let imported = 0;
  try {
    for (let i = 0; i < read.rows.length; i += STEP) {
      storing.step(imported, read.rows.length);
      imported += contacts.importInto(user.id, list.id, read.rows.slice(i, i + STEP), now());
    }
    storing.step(imported, read.rows.length);
  } catch (err) {
    // A step is all or nothing; those before it are stored. Say how far it got, then the store's own error.
    if (imported > 0) console.error(`switchpost: ${imported} of ${read.rows.length} contacts were stored in list ${list.id} before this`);
    throw err;
  } finally {
    storing.end();
  }
  return { file: req.file, user: user.user_code, list: { ...list, created }, imported, rejected: read.rejected };
}

function fileSize(file: string): number {
  try {
    const s = statSync(file);
    if (!s.isFile()) throw new OpsError('import_refused', `${file}: not a file`);
    return s.size;
  } catch (err) {
    if (err instanceof OpsError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new OpsError('import_refused', `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
}

/** Rejected rows shown one a line; past this many, a count of the rest. */
export const REJECTED_SHOWN = 100;

/** The rejected rows as the face reports them (line and problem), one a line, at most REJECTED_SHOWN. Pure. */
export function rejectedLines(r: Pick<ImportResult, 'file' | 'rejected'>): string[] {
  const shown = r.rejected.slice(0, REJECTED_SHOWN).map((x) => `${r.file}: line ${x.line}: ${x.error}`);
  const more = r.rejected.length - shown.length;
  return more > 0 ? [...shown, `${r.file}: … and ${more} more rejected row(s)`] : shown;
}

/** The last line: `imported 2 contacts into list 5 "customers" of alice (a new list); 1 row rejected`. Pure. */
export function importSummary(r: ImportResult): string {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  const rejected = r.rejected.length ? `; ${n(r.rejected.length, 'row', 'rows')} rejected` : '';
  return `imported ${n(r.imported, 'contact', 'contacts')} into list ${r.list.id} "${r.list.name}" of ${r.user}${r.list.created ? ' (a new list)' : ''}${rejected}`;
}
