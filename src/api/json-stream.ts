import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

/** Items of a big list, a page at a time (a store's keyset pages, mapped to what the face shows). */
export type ItemPages = AsyncIterable<readonly unknown[]>;

/** The content type Fastify gives a JSON answer, for streamed ones to say the same. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Let timers, I/O and other requests run between two pages. */
export const breathe = () => new Promise<void>((done) => setImmediate(done));

/** The pages of `pages` mapped item by item (the face's view of each row). */
export async function* mapPages<T, U>(pages: AsyncIterable<readonly T[]>, view: (row: T) => U): AsyncGenerator<U[]> {
  for await (const page of pages) yield page.map(view);
}

/**
 * The text of JSON.stringify(doc), byte for byte, where each array made by `list(pages)` is streamed
 * from its pages: the document is written around them, and each page is serialised and handed on only
 * when the one before has been taken (so a full socket stops the reading), with a turn of the event
 * loop between pages. `build` gets `list` and returns the document; a list is an array in the output.
 */
export function jsonStream(build: (list: (pages: ItemPages) => unknown) => unknown): Readable {
  // A placeholder no value a client sent can equal: its JSON text is cut out and the list written there.
  const nonce = randomUUID();
  const lists: ItemPages[] = [];
  const doc = build((pages) => `\u0000list:${nonce}:${lists.push(pages) - 1}`);
  const text = JSON.stringify(doc);
  const marker = new RegExp(`"\\\\u0000list:${nonce}:(\\d+)"`, 'g');
  async function* chunks(): AsyncGenerator<string> {
    let at = 0;
    for (const m of text.matchAll(marker)) {
      if (m.index > at) yield text.slice(at, m.index);
      at = m.index + m[0].length;
      yield* listText(lists[Number(m[1])]!);
    }
    yield text.slice(at);
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** One list as JSON: `[`, items as JSON.stringify writes array items, `]`, a page per chunk. */
async function* listText(pages: ItemPages): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const page of pages) {
    let s = '';
    for (const item of page) {
      s += (first ? '' : ',') + (JSON.stringify(item) ?? 'null');
      first = false;
    }
    if (s) yield s;
    await breathe();
  }
  yield ']';
}
