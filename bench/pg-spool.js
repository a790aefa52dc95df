// Benchmark (not a test): issue 15's speed part. In one run, the same SMS job through the SMPP driver to the
// SMSC peer in its own process (bench/smsc-process.js, a DELIVRD receipt for each submit_sm):
//   (a) one daemon on SQLite, (b) one daemon on PostgreSQL, (c) three daemons on the same PostgreSQL,
// every daemon a real process (`node dist/cli.js start`, its own data_dir, HTTP port and node.id; in (c) the
// job split in three, one part posted to each daemon's API). Printed: recipients/s until every receipt is
// stored, PostgreSQL / SQLite, three daemons' aggregate beside one's, the CPU of each process (daemons,
// SMSC, PostgreSQL's server processes), /health's latency as a cheap bound on each daemon's main-loop
// delay, the load average; and per message on PostgreSQL: transactions, statements (pg_stat_statements,
// when the server has it loaded), rows written, WAL bytes, bytes on the daemons' PostgreSQL connections.
// PostgreSQL: $SWITCHPOST_PG_URL (a superuser's URL: the bench creates and drops its databases there), else a
// throwaway cluster of its own with durable settings (fsync on, synchronous_commit on, full_page_writes on:
// SQLite runs synchronous=full, so both wait for the disk at each commit). BENCH_ASYNC=1 adds a row (b')
// with synchronous_commit off (that database only).
// Knobs: BENCH_RECIPIENTS (100000), BENCH_WINDOW (100), BENCH_BINDS (1 per node), BENCH_NODES (3),
// BENCH_INFLIGHT (5000), BENCH_BATCH (2000), BENCH_ONLY (a,b,c: the scenarios to run). After npm run build.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import Database from 'better-sqlite3';
import { forkPeer, freePort } from './lib.js';
import { deliveredTestNumber } from '../dist/gateways/sandbox/sandbox.js';
import { startPgServer } from '../test/helpers/pg-server.mjs';

const N = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const BINDS = Number(process.env.BENCH_BINDS ?? 1);
const NODES = Number(process.env.BENCH_NODES ?? 3);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'a,b,c').split(','));
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const AUTH = 'Basic ' + Buffer.from('bench:bench-password').toString('base64');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();

/** CPU seconds (user + system, every thread) of a process, from /proc/<pid>/stat; 0 once it is gone. */
function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** The PostgreSQL server's processes: the postmaster and its children (only for the bench's own cluster). */
function pgPids(postmaster) {
  if (!postmaster) return [];
  const out = [postmaster];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) out.push(Number(p));
    } catch {}
  }
  return out;
}
const pgCpu = (postmaster) => new Map(pgPids(postmaster).map((p) => [p, cpuOf(p)]));
/** CPU seconds the server's processes used between two snapshots (a process born between counts from 0). */
const pgCpuDelta = (a, b) => [...b].reduce((s, [p, c]) => s + c - (a.get(p) ?? 0), 0);

/** Bytes both ways on the TCP connections to the PostgreSQL port, from `ss` (the server's side of each). */
function pgWireBytes(port) {
  const r = spawnSync('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  let sent = 0;
  let received = 0;
  for (const m of r.stdout.matchAll(/bytes_sent:(\d+)/g)) sent += Number(m[1]);
  for (const m of r.stdout.matchAll(/bytes_received:(\d+)/g)) received += Number(m[1]);
  return { sent, received, ok: r.status === 0 };
}

// The PostgreSQL server: the one given, or our own with durable settings.
let server = null;
let adminUrl = process.env.SWITCHPOST_PG_URL;
let postmaster = 0;
let statements = false;
if (!adminUrl) {
  const hasPss = spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/lib/pg_stat_statements.so']).status === 0;
  server = await startPgServer({
    label: 'switchpost benchmark cluster (bench/pg-spool.js): durable, as SQLite synchronous=full is',
    settings: {
      fsync: 'on',
      synchronous_commit: 'on',
      full_page_writes: 'on',
      max_connections: '100',
      shared_buffers: '256MB',
      ...(hasPss ? { shared_preload_libraries: "'pg_stat_statements'", 'pg_stat_statements.max': '1000' } : {}),
    },
  });
  adminUrl = server.url;
  postmaster = Number(readFileSync(join(server.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
}
const pgPort = Number(new URL(adminUrl).port || 5432);
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
const pgVersion = (await admin.query('SHOW server_version')).rows[0].server_version;
const pgSettings = (await admin.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers')`)).rows.map((r) => `${r.name}=${r.setting}`).join(' ');
try {
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await admin.query('SELECT pg_stat_statements_reset()');
  statements = true;
} catch {}

const smsc = await forkPeer('./smsc-process.js');

// settings.nodes (a provider held by N nodes) arrived after this bench: a build without it runs (c) without it, and says so.
let nodesSetting = true;
const provider = (nodes) => ({
  name: 'smsc',
  driver: 'smpp',
  services: ['sms'],
  host: '127.0.0.1',
  port: smsc.port,
  username: 'bench',
  password: 'bench',
  settings: { window: WINDOW, binds: BINDS, ...(nodes > 1 && nodesSetting ? { nodes } : {}) },
});

/** A daemon process on `store` (env), its own data_dir, port and node id; resolves once its provider is up. */
async function startDaemon(store, nodeId, nodes, dir = mkdtempSync(join(tmpdir(), 'switchpost-bench-'))) {
  const port = await freePort();
  const env = {
    ...process.env,
    ...store,
    SWITCHPOST_DATA_DIR: dir,
    SWITCHPOST_HTTP_PORT: String(port),
    SWITCHPOST_NODE_ID: nodeId,
    SWITCHPOST_LOG_LEVEL: 'warn',
    SWITCHPOST_SANDBOX_ENABLED: 'false',
    SWITCHPOST_PROVIDERS: JSON.stringify([provider(nodes)]),
    SWITCHPOST_SPOOL_MAX_IN_FLIGHT: String(process.env.BENCH_INFLIGHT ?? 5000),
    SWITCHPOST_SPOOL_BATCH_SIZE: String(process.env.BENCH_BATCH ?? 2000),
    SWITCHPOST_SPOOL_POLL_MS: '20',
  };
  const child = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Its log (stdout, level warn) and stderr, the tail kept to say why it failed.
  let err = '';
  const keep = (c) => (err = (err + c).slice(-8000));
  child.stderr.on('data', keep);
  child.stdout.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null && nodesSetting && /Unrecognized key: "nodes"/.test(err)) {
      console.log('(this build has no provider settings.nodes: every node binds the provider on its own)');
      nodesSetting = false;
      return startDaemon(store, nodeId, nodes, dir);
    }
    if (child.exitCode !== null) throw new Error(`daemon ${nodeId} exited with ${child.exitCode}: ${err}`);
    if (i > 1200) throw new Error(`daemon ${nodeId} did not come up: ${err}`);
    try {
      const h = await (await fetch(`${url}/health`)).json();
      if (h.pid === child.pid && h.providers.some((p) => p.up)) break;
    } catch {}
    await sleep(50);
  }
  return {
    nodeId,
    child,
    url,
    dir,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cliRun = (args, env) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, SWITCHPOST_LOG_LEVEL: 'silent' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`switchpost ${args.join(' ')}: ${r.stderr}`);
};

const jobBody = (from, to) =>
  JSON.stringify({
    job_type: 'sms',
    job_name: 'bench',
    message: 'Hello %%recipient%%, your parcel is on its way.',
    recipients: Array.from({ length: to - from }, (_, k) => ({ destination: deliveredTestNumber(from + k), recipient: `Name ${from + k}` })),
  });

/** PostgreSQL's counters for one database (and the cluster's WAL). */
async function pgCounters(dbName) {
  const d = (await admin.query('SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned FROM pg_stat_database WHERE datname = $1', [dbName])).rows[0];
  const w = (await admin.query('SELECT wal_records, wal_bytes, wal_fpi FROM pg_stat_wal')).rows[0];
  const s = statements ? (await admin.query('SELECT COALESCE(sum(calls), 0) AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1', [dbName])).rows[0] : { calls: 0 };
  return Object.fromEntries(Object.entries({ ...d, ...w, ...s }).map(([k, v]) => [k, Number(v)]));
}

/** One scenario: `nodes` daemons on `engine`, the job split across them; the figures. */
async function scenario(label, engine, nodes, { async = false } = {}) {
  let store = { SWITCHPOST_STORE_DRIVER: 'sqlite' };
  let dbName = null;
  let dbUrl = null;
  if (engine === 'postgres') {
    dbName = `bench_${label.replace(/\W/g, '')}_${process.pid}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    if (async) await admin.query(`ALTER DATABASE ${dbName} SET synchronous_commit = off`);
    // BENCH_PLAN_CACHE=force_custom_plan: every execution of a prepared statement planned for its own list (a probe).
    if (process.env.BENCH_PLAN_CACHE) await admin.query(`ALTER DATABASE ${dbName} SET plan_cache_mode = ${process.env.BENCH_PLAN_CACHE.replace(/\W/g, '')}`);
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();
    store = { SWITCHPOST_STORE_DRIVER: 'postgres', SWITCHPOST_STORE_URL: dbUrl };
  }
  const daemons = [];
  let sqliteDir = null;
  let reader = null;
  try {
    // The schema and the user through the CLI first (SQLite: in the daemon's data_dir; PostgreSQL: once, shared).
    sqliteDir = engine === 'sqlite' ? mkdtempSync(join(tmpdir(), 'switchpost-bench-')) : null;
    const cliEnv = { ...store, SWITCHPOST_DATA_DIR: sqliteDir ?? mkdtempSync(join(tmpdir(), 'switchpost-bench-')) };
    cliRun(['migrate'], cliEnv);
    cliRun(['user', 'add', 'bench', '--role', 'user', '--password', 'bench-password', '--timezone', 'UTC', '--country', 'AU'], cliEnv);
    if (!sqliteDir) rmSync(cliEnv.SWITCHPOST_DATA_DIR, { recursive: true, force: true });
    for (let i = 1; i <= nodes; i++) daemons.push(await startDaemon(store, `node-${i}`, nodes, ...(sqliteDir ? [sqliteDir] : [])));
    reader =
      engine === 'sqlite'
        ? (() => {
            const db = new Database(join(sqliteDir, 'switchpost.db'), { readonly: true, fileMustExist: true });
            const q = db.prepare('SELECT COALESCE(SUM(remaining), 0) AS n FROM jobs');
            const r = db.prepare(`SELECT COUNT(*) AS n FROM attempts WHERE ended_at IS NOT NULL AND status = 'delivered'`);
            return { remaining: async () => q.get().n, receipts: async () => r.get().n, close: async () => db.close() };
          })()
        : await (async () => {
            const c = new pg.Client({ connectionString: dbUrl });
            c.on('error', () => undefined);
            await c.connect();
            return {
              remaining: async () => Number((await c.query('SELECT COALESCE(SUM(remaining), 0) AS n FROM jobs')).rows[0].n),
              receipts: async () => Number((await c.query(`SELECT COUNT(*) AS n FROM attempts WHERE ended_at IS NOT NULL AND status = 'delivered'`)).rows[0].n),
              close: () => c.end(),
            };
          })();
    const bodies = daemons.map((_, i) => jobBody(Math.floor((N * i) / nodes), Math.floor((N * (i + 1)) / nodes)));
    await sleep(500);
    const before = engine === 'postgres' ? await pgCounters(dbName) : null;
    const wire0 = engine === 'postgres' ? pgWireBytes(pgPort) : null;
    const daemonCpu0 = daemons.map((d) => cpuOf(d.child.pid));
    const smsc0 = await smsc.stats();
    const pg0 = pgCpu(postmaster);
    const load0 = loadavg()[0];
    const health = daemons.map(() => []);
    const t0 = performance.now();
    const posts = await Promise.all(
      daemons.map((d, i) =>
        fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: bodies[i] }).then(
          async (r) => ({ status: r.status, ms: performance.now() - t0, body: await r.json() }),
          (err) => {
            throw new Error(`POST to daemon ${d.nodeId}: ${err.message} (${err.cause?.message ?? ''}); its stderr: ${d.stderr().slice(-2000)}`);
          },
        ),
      ),
    );
    for (const p of posts) if (p.status !== 200 && p.status !== 201) throw new Error(`POST: ${p.status} ${JSON.stringify(p.body).slice(0, 500)}`);
    const tPost = Math.max(...posts.map((p) => p.ms));
    let tSubmitted = 0;
    for (;;) {
      // /health's answer time: a stalled main loop would show here (a cheap bound, not the loop's own histogram).
      await Promise.all(
        daemons.map(async (d, i) => {
          const h0 = performance.now();
          await fetch(`${d.url}/health`)
            .then((r) => r.arrayBuffer())
            .catch(async (err) => {
              await sleep(200);
              throw new Error(`/health of daemon ${d.nodeId}: ${err.message}; exit ${d.child.exitCode}; its stderr: ${d.stderr().slice(-2000)}`);
            });
          health[i].push(performance.now() - h0);
        }),
      );
      if (!tSubmitted && (await smsc.stats()).submits >= smsc0.submits + N) tSubmitted = performance.now() - t0;
      if ((await reader.remaining()) === 0) break;
      if (performance.now() - t0 > 1_800_000) throw new Error('not final after 30 min');
      await sleep(100);
    }
    const tFinal = performance.now() - t0;
    const daemonCpu = daemons.map((d, i) => cpuOf(d.child.pid) - daemonCpu0[i]);
    const smsc1 = await smsc.stats();
    const pgServerCpu = pgCpuDelta(pg0, pgCpu(postmaster));
    const wire1 = engine === 'postgres' ? pgWireBytes(pgPort) : null;
    const load1 = loadavg()[0];
    // The daemons' connections to the database (the bench's reader is one more).
    const connections = dbName ? Number((await admin.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [dbName])).rows[0].n) - 1 : 0;
    const receipts = await reader.receipts();
    await reader.close();
    reader = null;
    for (const d of daemons.splice(0)) await d.stop();
    // Stopped daemons have flushed their statistics (a backend reports at its exit at the latest).
    await sleep(700);
    const after = engine === 'postgres' ? await pgCounters(dbName) : null;
    const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;
    return {
      label,
      engine,
      nodes,
      async,
      rate: N / (tFinal / 1000),
      submitRate: N / ((tSubmitted || tFinal) / 1000),
      tPost,
      tFinal,
      receipts,
      connections,
      daemonCpu,
      smscCpu: (smsc1.cpu.user + smsc1.cpu.system - smsc0.cpu.user - smsc0.cpu.system) / 1e6,
      pgServerCpu,
      health: health.map((h) => ({ p99: p99(h), max: Math.max(...h) })),
      load: [load0, load1],
      delta: before && after ? Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])) : null,
      wire: wire0 && wire1?.ok ? { sent: wire1.sent - wire0.sent, received: wire1.received - wire0.received } : null,
      tables: dbName ? await tableWrites(dbUrl) : null,
      top: dbName && statements ? await topStatements(dbName) : [],
    };
  } finally {
    await reader?.close().catch(() => undefined);
    for (const d of daemons) await d.stop().catch(() => undefined);
    if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
    if (dbName) await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
  }
}

/** The statements that cost the server most in this database (pg_stat_statements), then reset for the next. */
async function topStatements(dbName) {
  const rows = (
    await admin.query(
      `SELECT calls, rows, total_exec_time AS ms, shared_blks_hit + shared_blks_read AS blocks, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 ORDER BY total_exec_time DESC LIMIT 6`,
      [dbName],
    )
  ).rows;
  return rows.map((r) => ({ calls: Number(r.calls), rows: Number(r.rows), ms: Number(r.ms), blocks: Number(r.blocks), query: r.query }));
}

/** Rows written per table over the database's life (the run's, plus migrations and the one user). */
async function tableWrites(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const rows = (
    await c.query(
      'SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot, n_tup_del AS del, seq_scan, seq_tup_read FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del + seq_tup_read > 0 ORDER BY n_tup_ins + n_tup_upd + n_tup_del DESC',
    )
  ).rows;
  await c.end();
  return rows.map((r) => ({ table: r.relname, ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot), del: Number(r.del), seqScans: Number(r.seq_scan), seqRead: Number(r.seq_tup_read) }));
}

const results = [];
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; PostgreSQL ${pgVersion} ${server ? "(the bench's own cluster)" : `(${new URL(adminUrl).host})`}: ${pgSettings}${statements ? ', pg_stat_statements loaded' : ''}`,
);
console.log(`${N} recipients, SMPP window ${WINDOW}, binds ${BINDS}; SMSC in its own process (a receipt for each); ${uptime()}`);
try {
  // A scenario that fails is said and the others still run.
  const one = (...args) =>
    scenario(...args).then(
      (r) => results.push(r),
      (err) => console.log(`\n(${args[0]}) failed: ${err.message}`),
    );
  if (ONLY.has('a')) await one('a-sqlite', 'sqlite', 1);
  if (ONLY.has('b')) await one('b-pg', 'postgres', 1);
  if (process.env.BENCH_ASYNC === '1') await one('b-pg-async', 'postgres', 1, { async: true });
  if (ONLY.has('c')) await one(`c-pg-${NODES}`, 'postgres', NODES);
} finally {
  smsc.kill();
  await admin.end();
  await server?.stop();
}

const pct = (s, ms) => `${((s / (ms / 1000)) * 100).toFixed(0)}%`;
for (const r of results) {
  const name = `(${r.label[0]}${r.async ? "'" : ''}) ${r.nodes} daemon${r.nodes > 1 ? 's' : ''} on ${r.engine === 'sqlite' ? 'SQLite' : `PostgreSQL${r.async ? ' synchronous_commit=off' : ''}`}`;
  console.log(
    `\n${name}: ${Math.round(r.rate)} recipients/s to final (${(r.tFinal / 1000).toFixed(1)} s, POST ${r.tPost.toFixed(0)} ms, every submit_sm taken at ${Math.round(r.submitRate)}/s), receipts stored ${r.receipts}${r.engine === 'postgres' ? `, ${r.connections} PostgreSQL connections held by the daemons` : ''}; load ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)}`,
  );
  const cpuLine = r.daemonCpu.map((c, i) => `daemon ${i + 1} ${pct(c, r.tFinal)} (${((c / N) * 1e6).toFixed(0)} µs/msg)`).join(', ');
  console.log(
    `  CPU of one core: ${cpuLine}; SMSC ${pct(r.smscCpu, r.tFinal)} (${((r.smscCpu / N) * 1e6).toFixed(0)} µs/msg)${r.engine === 'postgres' && postmaster ? `; PostgreSQL server ${pct(r.pgServerCpu, r.tFinal)} (${((r.pgServerCpu / N) * 1e6).toFixed(0)} µs/msg)` : ''}`,
  );
  console.log(`  /health answer time (main loop bound): ${r.health.map((h, i) => `daemon ${i + 1} p99 ${h.p99.toFixed(0)} ms max ${h.max.toFixed(0)} ms`).join(', ')}`);
  if (r.delta) {
    const per = (k) => (r.delta[k] / N).toFixed(2);
    console.log(
      `  per message on PostgreSQL: ${per('xact_commit')} commits, ${per('xact_rollback')} rollbacks${statements ? `, ${per('calls')} statements (pg_stat_statements, BEGIN/COMMIT included)` : ''}, rows ${per('tup_inserted')} inserted ${per('tup_updated')} updated ${per('tup_deleted')} deleted ${per('tup_returned')} returned, WAL ${Math.round(r.delta.wal_bytes / N)} bytes (${per('wal_records')} records, ${per('wal_fpi')} full pages)${r.wire ? `, wire ${Math.round(r.wire.received / N)} bytes to the server and ${Math.round(r.wire.sent / N)} back` : ''}`,
    );
    console.log(`  rows written by table (its life): ${r.tables.map((t) => `${t.table} ${t.ins}i/${t.upd}u(${t.hot} hot)/${t.del}d`).join(', ')}`);
    console.log(
      `  sequential scans (its life): ${r.tables
        .filter((t) => t.seqScans)
        .map((t) => `${t.table} ${t.seqScans} reading ${t.seqRead} rows`)
        .join(', ')}`,
    );
    for (const t of r.top) console.log(`  top: ${t.ms.toFixed(0)} ms in ${t.calls} calls (${t.rows} rows, ${t.blocks} blocks): ${t.query}`);
  }
}
const a = results.find((r) => r.label === 'a-sqlite');
const b = results.find((r) => r.label === 'b-pg');
const c = results.find((r) => r.nodes > 1);
console.log('');
if (a && b) console.log(`PostgreSQL / SQLite, one daemon: ${((b.rate / a.rate) * 100).toFixed(0)}% (target >= 50%)`);
if (b && c) console.log(`${c.nodes} daemons on one PostgreSQL: ${Math.round(c.rate)}/s aggregate beside one daemon's ${Math.round(b.rate)}/s (${(c.rate / b.rate).toFixed(2)}x) on ${cpus().length} cores`);
console.log(`${new Date().toISOString()} ${uptime()}`);
process.exit(0);
