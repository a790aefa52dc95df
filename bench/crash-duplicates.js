// Benchmark (not a test): issue 12, item 15. A 100,000-message SMPP run (2 binds, window 50,
// max_in_flight 2000) against the SMSC on loopback, the daemon SIGKILLed at random moments and started
// again: the copies the SMSC got twice per kill, beside the bound 2 × binds × window (before: up to 435
// per kill), and nothing lost. Bounded: BENCH_KILLS kills, and at most BENCH_SECONDS in all.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { TestSmsc } from '../test/peers/smsc.js';
import { freePort } from './lib.js';

const N = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const KILLS = Number(process.env.BENCH_KILLS ?? 5);
const DEADLINE = Date.now() + Number(process.env.BENCH_SECONDS ?? 240) * 1000;
const [BINDS, WINDOW] = [2, 50];
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A copy sent again is laid to the kill that ended the run its previous copy went in.
let run = 0;
const lastRun = new Map();
const copies = new Array(KILLS).fill(0);
const smsc = new TestSmsc({
  record: false,
  script: (sub) => {
    const prev = lastRun.get(sub.destination_addr);
    if (prev !== undefined) copies[prev]++;
    lastRun.set(sub.destination_addr, run);
    return {};
  },
});
const smscPort = await smsc.listen();

const dir = mkdtempSync(join(tmpdir(), 'switchpost-crash-bench-'));
const config = join(dir, 'config.json');
writeFileSync(
  config,
  JSON.stringify({ providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port: smscPort, username: 'bench', password: 'bench', settings: { window: WINDOW, binds: BINDS, reconnect_min_ms: 100, reconnect_max_ms: 300 } }] }),
);
const env = {
  ...process.env,
  SWITCHPOST_CONFIG: config,
  SWITCHPOST_DATA_DIR: dir,
  SWITCHPOST_HTTP_PORT: String(await freePort()),
  SWITCHPOST_LOG_LEVEL: 'error',
  SWITCHPOST_SANDBOX_ENABLED: 'false',
  SWITCHPOST_SPOOL_MAX_IN_FLIGHT: '2000',
  SWITCHPOST_SPOOL_BATCH_SIZE: '2000',
  SWITCHPOST_SPOOL_POLL_MS: '20',
  // Receipts that died with a run: the message ends 'sent' after this.
  SWITCHPOST_SPOOL_RECEIPT_TIMEOUT_HOURS: '0.001',
};
const url = `http://127.0.0.1:${env.SWITCHPOST_HTTP_PORT}`;
spawnSync(process.execPath, [CLI, 'user', 'add', 'bench', '--role', 'user', '--password', 'bench-password'], { env });

async function start() {
  const child = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return child;
    } catch {}
    await sleep(25);
  }
  throw new Error('the daemon did not start');
}
const kill = (child, signal) =>
  new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill(signal);
  });
const db = new Database(join(dir, 'switchpost.db'), { readonly: true, fileMustExist: false });

let child = await start();
const recipients = Array.from({ length: N }, (_, i) => ({ destination: `+6149${String(i).padStart(7, '0')}` }));
const t0 = Date.now();
const res = await fetch(`${url}/api/v1/jobs`, {
  method: 'POST',
  headers: { authorization: 'Basic ' + Buffer.from('bench:bench-password').toString('base64'), 'content-type': 'application/json' },
  body: JSON.stringify({ job_type: 'sms', message: 'crash bench', recipients }),
});
const { data: jobId } = await res.json();
for (let k = 0; k < KILLS; k++) {
  const at = ((k + 1 + Math.random() / 2) * N) / (KILLS + 1);
  while ((smsc.submitCount ?? 0) < at && Date.now() < DEADLINE) await sleep(5);
  await kill(child, 'SIGKILL');
  run++;
  child = await start();
}
const remaining = db.prepare('SELECT remaining FROM jobs WHERE id = ?');
while (remaining.get(jobId).remaining > 0 && Date.now() < DEADLINE) await sleep(100);
const states = db.prepare('SELECT state, COUNT(*) AS n FROM recipients WHERE job_id = ? GROUP BY state').all(jobId);
const left = remaining.get(jobId).remaining;
const seconds = (Date.now() - t0) / 1000;
await kill(child, 'SIGTERM');
db.close();
await smsc.close();
rmSync(dir, { recursive: true, force: true });

const bound = 2 * BINDS * WINDOW;
console.log(`${N} messages over SMPP (binds=${BINDS}, window=${WINDOW}, max_in_flight=2000), ${KILLS} SIGKILLs at random moments, ${seconds.toFixed(0)} s in all, under load`);
console.log(`copies sent twice per kill: ${copies.join(', ')} (max ${Math.max(...copies)}; bound 2 × binds × window = ${bound}; before: up to 435 in the issue, 104-300 here under load)`);
console.log(`destinations reached ${lastRun.size}/${N}; recipients not final ${left}; states ${states.map((s) => `${s.state}=${s.n}`).join(' ')} (target: 0 lost)`);
process.exit(0);
