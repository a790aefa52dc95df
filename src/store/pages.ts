/**
 * Keyset paging: one indexed query per page, each starting after the last key seen (never OFFSET, whose
 * cost grows with the rows it skips). The page function is asynchronous so that the same loop serves a
 * store on a worker thread.
 */
/** How many rows one page of a streamed list reads: a few ms of work at most. */
export const LIST_PAGE_SIZE = 500;

export type PageOf<T> = (after: number, limit: number) => Promise<T[]>;

/**
 * Every row `page` yields, a page at a time, in key order; stops at the first short page, or once `max`
 * rows came (a list the face has always cut at a bound keeps its bound).
 */
export async function* keysetPages<T>(page: PageOf<T>, keyOf: (row: T) => number, limit: number, first = -1, max = Infinity): AsyncGenerator<T[]> {
  let after = first;
  for (let left = max; left > 0;) {
    const asked = Math.min(limit, left);
    const rows = await page(after, asked);
    if (rows.length > 0) yield rows;
    if (rows.length < asked) return;
    left -= rows.length;
    after = keyOf(rows[rows.length - 1]!);
  }
}
