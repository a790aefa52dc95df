/**
 * Keyset paging: one indexed query per page, each starting after the last key seen (never OFFSET, whose
 * cost grows with the rows it skips). The page function is asynchronous so that the same loop serves a
 * store on a worker thread.
 */
export type PageOf<T> = (after: number, limit: number) => Promise<T[]>;

/** Every row `page` yields, a page at a time, in key order; stops at the first short page. */
export async function* keysetPages<T>(page: PageOf<T>, keyOf: (row: T) => number, limit: number, first = -1): AsyncGenerator<T[]> {
  let after = first;
  for (;;) {
    const rows = await page(after, limit);
    if (rows.length > 0) yield rows;
    if (rows.length < limit) return;
    after = keyOf(rows[rows.length - 1]!);
  }
}
