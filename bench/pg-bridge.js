// The PostgreSQL bridge's round trip (src/store/pg/bridge.ts): µs per trivial query, synchronous through
// the worker thread, beside node-postgres awaited on its own connection and SQLite in memory.
// Needs a PostgreSQL URL: SWITCHPOST_PG_URL=postgres://user@127.0.0.1:5432/db node bench/pg-bridge.js
// (after npm run build). It creates nothing in the database.
import pg from 'pg';
import Database from 'better-sqlite3';
import { PgBridge } from '../dist/store/pg/bridge.js';

const url = process.env.SWITCHPOST_PG_URL;
if (!url) {
  console.error('set SWITCHPOST_PG_URL to a PostgreSQL database URL');
  process.exit(2);
}
const N = Number(process.env.N ?? 2000);
// Several rounds, the best and the median shown: on a shared machine one round can be descheduled.
const ROUNDS = 5;

const show = (label, rounds) => {
  const s = [...rounds].sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} best ${s[0].toFixed(1).padStart(7)}  median ${s[Math.floor(s.length / 2)].toFixed(1).padStart(7)} µs/call`);
};

function perQuery(label, fn) {
  for (let i = 0; i < 200; i++) fn(i); // warm up (prepared statements, JIT)
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / N);
  }
  show(label, rounds);
}

async function perQueryAsync(label, fn) {
  for (let i = 0; i < 200; i++) await fn(i);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn(i);
    rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / N);
  }
  show(label, rounds);
}

const bridge = new PgBridge({ connectionString: url });
perQuery('bridge: SELECT $1::int (sync, worker thread)', (i) => bridge.query('SELECT $1::int AS x', [i]));
perQuery('bridge: BEGIN; SELECT; COMMIT', (i) => bridge.transaction(() => bridge.query('SELECT $1::int AS x', [i])));
bridge.close();

const client = new pg.Client({ connectionString: url });
await client.connect();
await perQueryAsync('node-postgres awaited: SELECT $1::int', (i) => client.query({ name: 'x', text: 'SELECT $1::int AS x', values: [i] }));
await perQueryAsync('node-postgres awaited: BEGIN; SELECT; COMMIT', async (i) => {
  await client.query('BEGIN');
  await client.query({ name: 'x', text: 'SELECT $1::int AS x', values: [i] });
  await client.query('COMMIT');
});
await client.end();

const sqlite = new Database(':memory:');
const s = sqlite.prepare('SELECT ? AS x');
perQuery('SQLite in memory: SELECT ?', (i) => s.get(i));
sqlite.close();
console.log(`N=${N} x ${ROUNDS} rounds, Node ${process.version}, load ${(await import('node:os')).loadavg()[0].toFixed(1)}, ${new Date().toISOString()}`);
