import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../dist/config/load.js';
import { startDaemon, type Daemon } from '../../dist/main.js';
import { UserStore } from '../../dist/store/users.js';
import type { Role } from '../../dist/core/model.js';
import { dropTestDatabase, freshTestDatabase } from './pg-db.js';

export interface TestDaemon extends Daemon {
  dir: string;
  addUser(code: string, role: Role, opts?: { agent?: number; timezone?: string; password?: string; email?: string; profile?: Record<string, unknown> }): { id: number; auth: string };
  api(method: string, path: string, opts?: { auth?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; json: any; text: string }>;
  waitFor<T>(fn: () => T | undefined | null | false, ms?: number): Promise<T>;
  close(): Promise<void>;
}

export const basic = (user: string, pass: string) => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

/** The store a test daemon runs on: SQLite unless SWITCHPOST_TEST_STORE=postgres (vitest.config.ts's pg project) or the caller says. */
export type TestStore = 'sqlite' | 'postgres';
export const testStore = (): TestStore => (process.env.SWITCHPOST_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite');

/** Each data directory's PostgreSQL database: a daemon started again on the same data_dir (a restart) finds its store. */
const databases = new Map<string, string>();

/** The `store` config for a daemon on `dir`: SQLite's file there, or a fresh database of the run's cluster (the same one again for the same dir). */
export async function testStoreConfig(dir: string, store: TestStore = testStore()): Promise<Record<string, unknown>> {
  if (store === 'sqlite') return { synchronous: 'normal' };
  let url = databases.get(dir);
  if (!url) databases.set(dir, (url = (await freshTestDatabase()).url));
  return { driver: 'postgres', url, synchronous: 'normal' };
}

/**
 * A real daemon on a temp SQLite file (or, `store` or SWITCHPOST_TEST_STORE postgres, a fresh database
 * of the run's PostgreSQL) and an ephemeral loopback port, with a fast sandbox.
 */
export async function testDaemon(overrides: Record<string, unknown> = {}, opts: { mailResolver?: (name: string, rrtype: string) => Promise<string[][] | string[]>; store?: TestStore } = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-test-'));
  const { store: storeOverrides, ...rest } = overrides as { store?: Record<string, unknown> };
  const dataDir = typeof overrides.data_dir === 'string' ? overrides.data_dir : dir;
  const config = loadConfig({
    env: {},
    overrides: {
      data_dir: dir,
      http: { port: 0 },
      log: { level: 'silent' },
      store: { ...(await testStoreConfig(dataDir, opts.store)), ...storeOverrides },
      sandbox: { accept_ms: [1, 5], receipt_ms: [5, 20], delayed_receipt_ms: 300, reply_ms: 10 },
      spool: { poll_ms: 20, retry: { tries: 3, backoff_seconds: 0.05, backoff_max_seconds: 1 } },
      callbacks: { allow_private: ['127.0.0.1'], backoff_seconds: 0.05 },
      ...rest,
    },
  });
  const d = await startDaemon(config, { log: pino({ level: 'silent' }), ...(opts.mailResolver ? { mailResolver: opts.mailResolver } : {}) });
  const users = new UserStore(d.db);
  return Object.assign(d, {
    dir,
    addUser(code: string, role: Role, opts: { agent?: number; timezone?: string; password?: string; email?: string; profile?: Record<string, unknown> } = {}) {
      const password = opts.password ?? `pw-${code}-secret`;
      const id = users.add({ user_code: code, password, role, agent_id: opts.agent ?? null, timezone: opts.timezone ?? 'Australia/Sydney', country: 'AU', email: opts.email ?? null, ...(opts.profile ? { profile: opts.profile } : {}) });
      return { id, auth: basic(code, password) };
    },
    async api(method: string, path: string, opts: { auth?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
      if (opts.auth) headers.authorization = opts.auth;
      let body: string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(d.url + path, { method, headers, body });
      const text = await res.text();
      let json: any = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: res.status, json, text };
    },
    async waitFor<T>(fn: () => T | undefined | null | false, ms = 30_000): Promise<T> {
      const until = Date.now() + ms;
      for (;;) {
        const v = fn();
        if (v) return v;
        if (Date.now() > until) throw new Error('waitFor: condition not met in time');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
      const url = databases.get(dataDir);
      databases.delete(dataDir);
      if (url) await dropTestDatabase(url);
    },
  });
}

/** "Bearer <token>" for a user, from the ICTCore face's POST /authenticate (fails loudly otherwise). */
export async function bearer(d: { url: string }, username: string, password: string): Promise<string> {
  const res = await fetch(`${d.url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || !body.token) throw new Error(`POST /authenticate for ${username}: ${res.status} ${JSON.stringify(body)}`);
  return `Bearer ${body.token}`;
}
