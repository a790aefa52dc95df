import { CONTACT_LIMITS, contactFieldOf, contactProblem, type ContactField } from './contact.js';
import { SwitchpostError, ValidationError } from './errors.js';

/**
 * A contacts CSV read into contacts, as ICTCore's `POST /groups/{id}/csv` and `switchpost import` read
 * it: a header line of contact fields in any order (the v1 lists' Recipient, CustomField1–6 too), or
 * ICTCore's own headerless file. The records come from a CSV parser given CONTACT_CSV_PARSE (the
 * callers' csv-parse); what is decided about them is here, once.
 */

/** csv-parse's options for a contacts CSV (plain data: the core loads no parser). */
export const CONTACT_CSV_PARSE = { bom: true, trim: true, skip_empty_lines: true, info: true, max_record_size: 64 * 1024, relax_column_count: true } as const;

/** The most rows a contacts CSV may have (stored and rejected), at an upload and at `switchpost import`: all are held until stored. */
export const CONTACT_CSV_MAX_ROWS = 1_000_000;

/** A record as csv-parse gives it with `info`: its fields and the line it ends on. */
export interface CsvRecord {
  record: string[];
  info: { lines: number };
}

export type ContactValues = Partial<Record<ContactField, string | null>>;

/** A row left out of the import, and why (the rest are stored). */
export interface RejectedRow {
  line: number;
  error: string;
}

const FIELDS = Object.keys(CONTACT_LIMITS) as ContactField[];

/** ICTCore's contact CSV (data/contact_sample.csv, bin/contact): no header, these columns in this order. */
export const ICTCORE_COLUMNS: ContactField[] = ['phone', 'first_name', 'last_name', 'email', 'address', 'custom1', 'custom2', 'custom3', 'description'];
const PHONE_LIKE = /^\+?[0-9][0-9 ()-]{2,31}$/;

/**
 * Whether a file's first line is a record of ICTCore's headerless file rather than a header: its first
 * field is a phone number or empty (a contact with an e-mail only, as the export writes it), or none of
 * its fields names a contact field.
 */
const isHeaderless = (first: string[]): boolean => PHONE_LIKE.test(first[0] ?? '') || first[0] === '' || !first.some((h) => contactFieldOf(h) !== null);

/**
 * A header line's contact fields ("First Name" → first_name; the v1 lists' "Recipient", "CustomField1"…
 * too); a validation error naming an unknown or repeated one, or a header with no number and no email.
 */
function headerColumns(header: string[], lead: string): ContactField[] {
  const cols: ContactField[] = [];
  for (const h of header) {
    const f = contactFieldOf(h);
    if (f === null) throw ValidationError.at('header', `"${h.slice(0, 40)}" is not a contact field (${FIELDS.join(', ')}, or the v1 list columns Recipient, CustomField1–6)`, lead);
    if (cols.includes(f)) throw ValidationError.at('header', `"${h.slice(0, 40)}" repeats the column ${f}`, lead);
    cols.push(f);
  }
  if (!cols.some((c) => c === 'phone' || c === 'mobile' || c === 'fax' || c === 'email')) throw ValidationError.at('header', 'a phone, mobile, fax or email column is required', lead);
  return cols;
}

export interface ContactCsvOptions {
  /** At most this many rows (stored and rejected): `too_large` past it. */
  maxRows: number;
  /** The face's words before the field of a validation error (ICTCore's "Data validation failed, for "). */
  lead?: string;
}

/**
 * Every record of a contacts CSV as contacts to store and rows rejected with their line numbers (a row
 * with a problem: core/contact.ts contactProblem; a headerless row with more fields than ICTCore's
 * order). What refuses the whole file — a header naming no contact field, a row whose field count is not
 * the header's, a broken CSV (the parser's error, e.g. an unclosed quote) — throws a ValidationError
 * (`header`, `csv`), so nothing is stored. A SwitchpostError of the source (a body too large) passes as it is.
 */
export async function readContactCsv(records: AsyncIterable<CsvRecord>, opts: ContactCsvOptions): Promise<{ rows: ContactValues[]; rejected: RejectedRow[] }> {
  const lead = opts.lead ?? '';
  const rows: ContactValues[] = [];
  const rejected: RejectedRow[] = [];
  // A header line names the columns; ICTCore's own files have none: phone first, then its order.
  let cols: ContactField[] | null = null;
  let headerless = false;
  try {
    for await (const { record, info } of records) {
      if (cols === null) {
        headerless = isHeaderless(record);
        cols = headerless ? ICTCORE_COLUMNS : headerColumns(record, lead);
        if (!headerless) continue;
      }
      if (!headerless && record.length !== cols.length) throw ValidationError.at('csv', `line ${info.lines} has ${record.length} fields, the header ${cols.length}`, lead);
      if (record.length > cols.length) {
        rejected.push({ line: info.lines, error: `${record.length} fields, ICTCore's order has ${cols.length} (${ICTCORE_COLUMNS.join(', ')})` });
        continue;
      }
      const c: ContactValues = {};
      for (let i = 0; i < record.length; i++) if (record[i] !== '') c[cols[i]!] = record[i];
      const problem = contactProblem(c, true);
      if (problem) rejected.push({ line: info.lines, error: problem });
      else rows.push(c);
      if (rows.length + rejected.length > opts.maxRows) throw new SwitchpostError('too_large', `the CSV has more than ${opts.maxRows} rows`);
    }
  } catch (err) {
    if (err instanceof SwitchpostError) throw err;
    // The parser's own error (an unclosed quote…): the file is broken, and nothing of it is imported.
    throw ValidationError.at('csv', (err as Error).message.slice(0, 300), lead);
  }
  return { rows, rejected };
}
