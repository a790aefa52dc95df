import { workerData as data } from 'node:worker_threads';
import pg from 'pg';
import { BEAT_MS, SLOT, type Answer, type Notice, type Request, type WireError, type WorkerData } from './bridge-protocol.js';

/**
 * The PostgreSQL worker of `bridge.ts`: owns one connection and runs what the bridge posts, one request
 * at a time in the order posted (so a transaction is the caller's sequence of statements), posting each
 * answer and then waking the caller through the shared flags.
 */
const { flags: buffer, port, notices, connectionString, queryTimeoutMs } = data as WorkerData;
const flags = new Int32Array(buffer);

const wake = (): void => {
  Atomics.add(flags, SLOT.answered, 1);
  Atomics.notify(flags, SLOT.answered);
};
process.on('exit', () => {
  Atomics.store(flags, SLOT.exited, 1);
  wake();
});
setInterval(() => Atomics.add(flags, SLOT.beat, 1), BEAT_MS);

// What SQLite gives the stores: bigint and numeric as numbers, booleans as 1/0, JSON as its text.
const asNumber = (v: string): number => Number(v);
const PARSERS = new Map<number, (v: string) => unknown>([
  [20, asNumber],
  [1700, asNumber],
  [16, (v) => (v === 't' ? 1 : 0)],
  [114, (v) => v],
  [3802, (v) => v],
]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => PARSERS.get(oid) ?? (pg.types.getTypeParser(oid, format as 'text') as (v: string) => unknown)) as typeof pg.types.getTypeParser,
};

// Every execution planned for its own parameters: a store's statements are prepared once for the daemon's
// life, and a generic plan made while a table was small (a scan of `attempts` at each flush) would stay
// as it grows (test/store/pg-plans.test.ts; bench/pg-spool.js: a third of a daemon's time).
const client = new pg.Client({ connectionString, types, query_timeout: queryTimeoutMs, options: '-c plan_cache_mode=force_custom_plan' });
let lost: Error | null = null;
/** This session's server process, to tell its own NOTIFYs from other sessions'. */
let backendPid = 0;
client.on('error', (err) => {
  lost = err;
});
// The server sends a NOTIFY between the session's transactions; it goes to the caller's event loop, not its waits.
client.on('notification', (n) => {
  notices.postMessage({ channel: n.channel, payload: n.payload ?? '', self: n.processId === backendPid } satisfies Notice);
});
client.on('end', () => {
  lost ??= new Error('the connection to PostgreSQL ended');
});

function wire(err: unknown, isLost: boolean): WireError {
  const e = err as Partial<Record<'message' | 'code' | 'constraint' | 'table' | 'column' | 'detail', string>>;
  const sqlstate = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
  return { message: String(e.message ?? err), sqlstate, constraint: e.constraint ?? null, table: e.table ?? null, column: e.column ?? null, detail: e.detail ?? null, lost: isLost || sqlstate === null };
}

/** One name per statement text: node-postgres then parses each once per connection. */
const names = new Map<string, string>();
const named = (sql: string): string => {
  let n = names.get(sql);
  if (!n) names.set(sql, (n = `s${names.size}`));
  return n;
};

async function run(req: Request): Promise<Answer> {
  if (lost && req.kind !== 'close') return { id: req.id, ok: false, error: wire(lost, true) };
  try {
    switch (req.kind) {
      case 'connect':
        await client.connect();
        backendPid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
        return { id: req.id, ok: true, rows: [], rowCount: 0 };
      case 'query': {
        for (const b of req.before) await client.query(b);
        const r = await client.query({ name: named(req.sql), text: req.sql, values: req.params });
        return { id: req.id, ok: true, rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
      }
      case 'exec': {
        for (const b of req.before) await client.query(b);
        await client.query(req.sql);
        return { id: req.id, ok: true, rows: [], rowCount: 0 };
      }
      case 'close':
        if (!lost) await client.end();
        return { id: req.id, ok: true, rows: [], rowCount: 0 };
    }
  } catch (err) {
    return { id: req.id, ok: false, error: wire(err, lost !== null) };
  }
}

let queue = Promise.resolve();
port.on('message', (req: Request) => {
  queue = queue.then(async () => {
    port.postMessage(await run(req));
    wake();
    if (req.kind === 'close') process.exit(0);
  });
});
