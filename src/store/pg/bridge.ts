import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { BEAT_MS, SLOT, SLOTS, type Answer, type Notice, type Request, type WorkerData } from './bridge-protocol.js';
import { PgBridgeError, PgError } from './errors.js';

export interface BridgeOptions {
  connectionString: string;
  /** How long one call may wait for its answer before the bridge gives up (and is broken). */
  callTimeoutMs?: number;
  /** How long starting the worker and connecting may take (default 30 s): a thread's start, a TCP connect and authentication, apart from the calls' bound. */
  connectTimeoutMs?: number;
  /** How long the worker may go without beating before it is taken for stalled. */
  stallMs?: number;
}

export interface QueryResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/** A channel name as LISTEN takes it unquoted (so it needs no escaping). */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** How long one Atomics.wait lasts before the caller looks whether the worker is still there. */
const SLICE_MS = 50;

/**
 * A synchronous PostgreSQL client for a thread where blocking is by design (the spool engine's): each
 * call posts its request to a worker thread that owns the connection (`bridge-worker.ts`), then
 * blocks in Atomics.wait until the worker signals, and takes the answer with receiveMessageOnPort.
 * The wait is sliced: between slices the caller checks that the worker has not exited or stopped
 * beating, and the call's deadline, so a dead worker or a lost connection is a PgBridgeError, never a
 * hang. Not synckit: its calls time out but do not see a worker's death, and the bridge needs one
 * stateful connection (transactions) with its own failure rules; this is its ~100 lines.
 */
export class PgBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flags: Int32Array;
  private readonly callTimeoutMs: number;
  private readonly stallMs: number;
  private seq = 0;
  private broken: PgBridgeError | null = null;
  /** Open transaction levels: 0 none, 1 a transaction, 2+ savepoints inside it. */
  private depth = 0;
  /** The BEGIN and SAVEPOINTs not sent yet: they go with the next request (a trip saved), or not at all for a level that ran nothing. */
  private readonly deferred: string[] = [];
  private readonly notices: MessagePort;
  private readonly listeners = new Map<string, ((n: Notice) => void)[]>();

  constructor(opts: BridgeOptions) {
    this.callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    this.stallMs = opts.stallMs ?? 5_000;
    const buffer = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.flags = new Int32Array(buffer);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // NOTIFYs come on a port of their own, read by this thread's event loop: the answers' port is read only in waits.
    const notices = new MessageChannel();
    this.notices = notices.port1;
    this.notices.on('message', (n: Notice) => {
      for (const fn of this.listeners.get(n.channel) ?? []) fn(n);
    });
    this.notices.unref();
    const data: WorkerData = { flags: buffer, port: port2, notices: notices.port2, connectionString: opts.connectionString, queryTimeoutMs: this.callTimeoutMs };
    this.worker = new Worker(new URL('./bridge-worker.js', import.meta.url), { workerData: data, transferList: [port2, notices.port2] });
    // Its errors are seen through the exit flag; an unhandled 'error' event would throw on this thread.
    this.worker.on('error', () => {});
    this.worker.unref();
    try {
      this.call({ id: 0, kind: 'connect' }, opts.connectTimeoutMs ?? 30_000);
    } catch (err) {
      this.broken = new PgBridgeError('connect_failed', `could not connect to PostgreSQL: ${(err as Error).message}`);
      void this.worker.terminate();
      throw this.broken;
    }
  }

  /** One statement with `$n` parameters: its rows (an empty list for a statement without RETURNING). */
  query(sql: string, params: readonly unknown[] = []): QueryResult {
    const a = this.call({ id: 0, kind: 'query', sql, params: [...params], before: this.deferred.splice(0) });
    return { rows: a.rows, rowCount: a.rowCount };
  }

  /** Statements without parameters, several at once (the simple query protocol). */
  exec(sql: string): void {
    this.call({ id: 0, kind: 'exec', sql, before: this.deferred.splice(0) });
  }

  /**
   * LISTEN on `channel`: `fn` gets each NOTIFY on it, its own session's too (`self`), on this thread's
   * event loop (after the call blocking it, if any). The server delivers them between transactions.
   */
  listen(channel: string, fn: (n: Notice) => void): void {
    if (!CHANNEL.test(channel)) throw new RangeError(`a NOTIFY channel is a lower-case name of at most 63 characters: ${JSON.stringify(channel)}`);
    if (this.depth > 0) throw new Error('LISTEN inside a transaction would wait for its commit: listen outside one');
    const fns = this.listeners.get(channel);
    if (fns) return void fns.push(fn);
    this.exec(`LISTEN ${channel}`);
    this.listeners.set(channel, [fn]);
  }

  /** NOTIFY `channel` (inside a transaction, sent when it commits; dropped when it rolls back). */
  notify(channel: string, payload = ''): void {
    if (!CHANNEL.test(channel)) throw new RangeError(`a NOTIFY channel is a lower-case name of at most 63 characters: ${JSON.stringify(channel)}`);
    this.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** BEGIN, or inside a transaction a savepoint, as better-sqlite3's nested db.transaction does. */
  begin(): void {
    if (this.broken) throw this.broken;
    this.deferred.push(this.depth === 0 ? 'BEGIN' : `SAVEPOINT sp${this.depth}`);
    this.depth++;
  }

  commit(): void {
    if (this.depth === 0) throw new Error('commit outside a transaction');
    this.depth--;
    // A level whose BEGIN or SAVEPOINT was never sent ran nothing: nothing to end.
    if (this.deferred.length) this.deferred.pop();
    else this.exec(this.depth === 0 ? 'COMMIT' : `RELEASE sp${this.depth}`);
  }

  rollback(): void {
    if (this.depth === 0) throw new Error('rollback outside a transaction');
    this.depth--;
    if (this.deferred.length) this.deferred.pop();
    else this.exec(this.depth === 0 ? 'ROLLBACK' : `ROLLBACK TO sp${this.depth}; RELEASE sp${this.depth}`);
  }

  /** `fn` in a transaction (a savepoint when nested): committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T {
    this.begin();
    let result: T;
    try {
      result = fn();
      // As better-sqlite3 refuses one: the transaction would commit before the promise settles.
      if (typeof (result as { then?: unknown } | null)?.then === 'function') throw new TypeError('Transaction function cannot return a promise');
    } catch (err) {
      // A broken bridge cannot roll back; the server does when the connection goes.
      if (!this.broken) this.rollback();
      throw err;
    }
    this.commit();
    return result;
  }

  close(): void {
    if (this.broken) return;
    try {
      this.call({ id: 0, kind: 'close' });
    } catch {
      // Closing a bridge that failed meanwhile: nothing more to do.
    }
    this.broken = new PgBridgeError('closed', 'the PostgreSQL bridge is closed');
    this.port.close();
    this.notices.close();
  }

  private call(req: Request, timeoutMs = this.callTimeoutMs): Answer & { ok: true } {
    if (this.broken) throw this.broken;
    const id = ++this.seq;
    let seen = Atomics.load(this.flags, SLOT.answered);
    this.port.postMessage({ ...req, id });
    const started = Date.now();
    let beat = Atomics.load(this.flags, SLOT.beat);
    let beatAt = started;
    for (;;) {
      Atomics.wait(this.flags, SLOT.answered, seen, SLICE_MS);
      seen = Atomics.load(this.flags, SLOT.answered);
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
        const a = m.message as Answer;
        // An answer to an earlier call that timed out is dropped (the bridge is broken since anyway).
        if (a.id !== id) continue;
        if (a.ok) return a;
        // Class 08 (connection exception) and 57P (the server shutting it down) end the session too.
        if (a.error.lost || a.error.sqlstate === null || /^(08|57P)/.test(a.error.sqlstate)) throw this.fail('connection_lost', `lost the connection to PostgreSQL: ${a.error.message}`);
        throw new PgError({ ...a.error, sqlstate: a.error.sqlstate });
      }
      const now = Date.now();
      if (Atomics.load(this.flags, SLOT.exited)) throw this.fail('worker_died', 'the PostgreSQL worker thread exited');
      const b = Atomics.load(this.flags, SLOT.beat);
      if (b !== beat) ((beat = b), (beatAt = now));
      else if (now - beatAt > Math.max(this.stallMs, 4 * BEAT_MS)) throw this.fail('worker_stalled', `the PostgreSQL worker thread stopped for ${now - beatAt} ms`);
      if (now - started > timeoutMs) throw this.fail('timeout', `no answer from PostgreSQL in ${timeoutMs} ms`);
    }
  }

  private fail(failure: ConstructorParameters<typeof PgBridgeError>[0], message: string): PgBridgeError {
    this.broken = new PgBridgeError(failure, message);
    void this.worker.terminate();
    return this.broken;
  }
}
