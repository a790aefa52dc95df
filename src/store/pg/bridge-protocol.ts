import type { MessagePort } from 'node:worker_threads';

/** The messages between the synchronous bridge (`bridge.ts`) and its PostgreSQL worker (`bridge-worker.ts`). */

/** Slots of the shared Int32Array both sides hold. */
export const SLOT = {
  /** Bumped by the worker after each answer it posts (the caller waits on it). */
  answered: 0,
  /** Set by the worker as it exits, however it exits. */
  exited: 1,
  /** Bumped by the worker's timer: a worker that stops beating is stalled. */
  beat: 2,
} as const;
export const SLOTS = 3;
export const BEAT_MS = 100;

export interface WorkerData {
  flags: SharedArrayBuffer;
  port: MessagePort;
  /** Where the worker posts the NOTIFYs its connection receives (`Notice`), apart from the answers. */
  notices: MessagePort;
  connectionString: string;
  /** node-postgres's query_timeout: a connection that stops answering fails the query. */
  queryTimeoutMs: number;
}

/** `before`: statements to run first (a BEGIN or SAVEPOINT the caller deferred to its next request, saving a trip). */
export type Request = { id: number; kind: 'connect' } | { id: number; kind: 'query'; sql: string; params: unknown[]; before: string[] } | { id: number; kind: 'exec'; sql: string; before: string[] } | { id: number; kind: 'close' };

/** A NOTIFY on a channel the connection LISTENs to; `self`: sent by this same session. */
export interface Notice {
  channel: string;
  payload: string;
  self: boolean;
}

/** A PostgreSQL error as it crosses: node-postgres's DatabaseError fields, or a connection's loss. */
export interface WireError {
  message: string;
  /** The SQLSTATE (23505…), or null when the error is not the server's answer (a lost connection, a timeout). */
  sqlstate: string | null;
  constraint: string | null;
  table: string | null;
  column: string | null;
  detail: string | null;
  /** The connection is gone: nothing more can run on it. */
  lost: boolean;
}

export type Answer = { id: number; ok: true; rows: Record<string, unknown>[]; rowCount: number } | { id: number; ok: false; error: WireError };
