// What the benchmarks share: a peer in its own process, and the built daemon on a temp SQLite file.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:net';
import pino from 'pino';
import { loadConfig } from '../dist/config/load.js';
import { startDaemon } from '../dist/main.js';
import { UserStore } from '../dist/store/users.js';

/** A free TCP port on 127.0.0.1 (for a daemon process's HTTP port). */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Fork a peer script that prints its port and answers 'stats' over IPC. */
export async function forkPeer(script, env = {}) {
  const proc = fork(new URL(script, import.meta.url), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const [line] = await once(proc.stdout, 'data');
  return {
    port: Number(String(line).trim()),
    async stats() {
      proc.send('stats');
      const [m] = await once(proc, 'message');
      return m;
    },
    kill: () => proc.kill('SIGTERM'),
  };
}

/** The daemon with `overrides`, a user "bench", and (when providers are given) every provider up. */
export async function benchDaemon(overrides, user = { timezone: 'UTC', country: 'AU' }) {
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-bench-'));
  const config = loadConfig({ env: {}, overrides: { data_dir: dir, http: { port: 0 }, log: { level: 'warn' }, ...overrides } });
  const d = await startDaemon(config, { log: pino({ level: config.log.level }) });
  new UserStore(d.db).add({ user_code: 'bench', password: 'bench-password', role: 'user', ...user });
  for (let i = 0; i < 500 && overrides.providers?.length; i++) {
    if ((await (await fetch(`${d.url}/health`)).json()).providers.some((p) => p.up)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    d,
    config,
    auth: 'Basic ' + Buffer.from('bench:bench-password').toString('base64'),
    async stop() {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
