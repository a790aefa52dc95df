import { Readable } from 'node:stream';
import { breathe } from './json-stream.js';

/** One CSV field, quoted when it must be (RFC 4180). */
const csvField = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One CSV record with its CRLF. */
export const csvLine = (values: unknown[]): string => values.map(csvField).join(',') + '\r\n';

/** One record as ICTCore writes its CSV files: every field quoted (quotes doubled), LF. */
export const quotedCsvLine = (values: unknown[]): string => values.map((v) => `"${(v === null || v === undefined ? '' : String(v)).replace(/"/g, '""')}"`).join(',') + '\n';

/**
 * A CSV body: the `header` line (none: null), then each row of `pages` as `record(row)` gives its fields
 * (written by `line`, RFC 4180's CRLF records by default), a page per
 * chunk; a page is read only when the one before has been taken (so a full socket stops the reading),
 * with a turn of the event loop between pages (as jsonStream's lists).
 */
export function csvStream<T>(header: unknown[] | null, pages: AsyncIterable<readonly T[]>, record: (row: T) => unknown[], line: (values: unknown[]) => string = csvLine): Readable {
  async function* chunks(): AsyncGenerator<string> {
    if (header) yield line(header);
    for await (const page of pages) {
      if (page.length) yield page.map((row) => line(record(row))).join('');
      await breathe();
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
