/**
 * A store as the faces hold it: every method asynchronous, because the store runs on the spool
 * engine's thread (`spool/engine.ts`) and answers by message. The store classes stay synchronous
 * there, where a statement may block; on the main thread nothing waits on the disk.
 */

type Method = (...args: never[]) => unknown;

/** Methods that hand out pages as they read them (an async generator), crossing one page per message. */
type PagedKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => AsyncGenerator<unknown> ? K : never }[keyof T];

/** `T`'s methods, each returning a promise of what it returned; paging methods stay async generators. */
export type Remote<T> = {
  readonly [K in keyof T as T[K] extends Method ? K : never]: T[K] extends (...args: infer A) => AsyncGenerator<infer P> ? (...args: A) => AsyncGenerator<P> : T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** How a remote store reaches its store: one call, and the paging calls (open, next page, close). */
export interface StoreChannel {
  call(store: string, method: string, args: unknown[]): Promise<unknown>;
  open(store: string, method: string, args: unknown[]): Promise<number>;
  next(gen: number): Promise<{ done: boolean; value: unknown }>;
  close(gen: number): Promise<void>;
}

/** The names of `T`'s paging methods, checked against its type. */
export type PagedMethods<T> = readonly PagedKeys<T>[];

/** A remote of the store called `name` on the other side of `channel`. */
export function remote<T>(channel: StoreChannel, name: string, paged: PagedMethods<T> = []): Remote<T> {
  const generators = new Set<PropertyKey>(paged);
  return new Proxy({} as Remote<T>, {
    get(_target, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      if (generators.has(method)) return (...args: unknown[]) => pages(channel, name, method, args);
      return (...args: unknown[]) => channel.call(name, method, args);
    },
  });
}

async function* pages(channel: StoreChannel, store: string, method: string, args: unknown[]): AsyncGenerator<unknown> {
  const gen = await channel.open(store, method, args);
  let done = false;
  try {
    for (;;) {
      const step = await channel.next(gen);
      if (step.done) {
        done = true;
        return;
      }
      yield step.value;
    }
  } finally {
    // A reader that stops early (the client went away) ends the generator over there too.
    if (!done) await channel.close(gen).catch(() => undefined);
  }
}

/**
 * The same interface over a store in this thread (the CLI, tests that build a face on their own
 * database): each call answers on a later turn, as a remote one would.
 */
export function local<T extends object>(store: T): Remote<T> {
  return new Proxy({} as Remote<T>, {
    get(_target, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      const fn = (store as Record<string, unknown>)[method];
      if (typeof fn !== 'function') return undefined;
      return (...args: unknown[]) => {
        let out: unknown;
        try {
          out = (fn as (...a: unknown[]) => unknown).apply(store, args);
        } catch (err) {
          return Promise.reject(err as Error);
        }
        if (out !== null && typeof out === 'object' && Symbol.asyncIterator in out) return out;
        return Promise.resolve(out);
      };
    },
  });
}
