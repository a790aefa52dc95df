// Benchmark (not a test): issue 6's figures.
// 1. With 1,000,000 transmissions stored, GET /transmissions/{id}/status from a second process
//    (bench/http-load.js, keep-alive connections): requests/s and p99 (targets >= 10,000/s, <= 20 ms).
// 2. POST /groups/{id}/csv with 100,000 rows: seconds to the answer (target <= 3 s).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { benchDaemon } from './lib.js';
import { JobStore } from '../dist/store/jobs.js';
import { plainJob } from '../dist/core/jobs.js';

const TRANSMISSIONS = Number(process.env.BENCH_TRANSMISSIONS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const b = await benchDaemon({ log: { level: 'warn' }, sandbox: { enabled: false } });
const userId = b.d.db.prepare("SELECT id FROM users WHERE user_code = 'bench'").get().id;

// 1,000,000 held transmissions: one campaign-like job, written straight through the job store.
let t = performance.now();
const jobs = new JobStore(b.d.db);
const perJob = 200_000;
for (let done = 0; done < TRANSMISSIONS; done += perJob) {
  const n = Math.min(perJob, TRANSMISSIONS - done);
  jobs.create(
    plainJob({
      userId,
      face: 'ictcore',
      channel: 'sms',
      name: 'bench',
      content: { kind: 'sms', text: { template: 'bench' }, sms: {} },
      options: { title: 'bench' },
      held: true,
      recipients: Array.from({ length: n }, (_, i) => ({
        destination: `+6149157${String(done + i)
          .padStart(4, '0')
          .slice(-4)}`,
        reference: null,
        fields: null,
        blackouts: null,
      })),
    }),
  );
}
const stored = (performance.now() - t) / 1000;
const { lo, hi } = b.d.db.prepare("SELECT MIN(r.id) AS lo, MAX(r.id) AS hi FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE j.face = 'ictcore'").get();

const login = await (await fetch(`${b.d.url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench-password' }) })).json();
const check = await fetch(`${b.d.url}/transmissions/${hi}/status`, { headers: { authorization: `Bearer ${login.token}` } });
if (check.status !== 200 || (await check.json()) !== 'pending') throw new Error(`GET status answered ${check.status}`);

const cpu0 = process.cpuUsage();
const load = fork(new URL('./http-load.js', import.meta.url), [JSON.stringify({ url: b.d.url, seconds: SECONDS, connections: CONNECTIONS, auth: `Bearer ${login.token}`, path: '/transmissions/{id}/status', lo, hi })], {
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
let out = '';
load.stdout.on('data', (d) => (out += d));
await once(load, 'exit');
const cpu = process.cpuUsage(cpu0);
const r = JSON.parse(out);

// 2. A 100,000-row CSV into a group.
const group = await (await fetch(`${b.d.url}/groups`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` }, body: JSON.stringify({ name: 'bench import' }) })).json();
const csv = ['first_name,last_name,phone,email,custom1', ...Array.from({ length: 100_000 }, (_, i) => `Name${i},Family${i},+6149157${String(i % 10_000).padStart(4, '0')},user${i}@example.com,segment ${i % 7}`)].join('\n');
t = performance.now();
const imp = await fetch(`${b.d.url}/groups/${group}/csv`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${login.token}` }, body: csv });
const imported = await imp.json();
const importSeconds = (performance.now() - t) / 1000;
if (imported.imported !== 100_000) throw new Error(`import: ${JSON.stringify(imported).slice(0, 300)}`);

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(`stored ${TRANSMISSIONS.toLocaleString('en')} transmissions in ${stored.toFixed(1)} s`);
console.log(
  `GET /transmissions/{id}/status, ${CONNECTIONS} keep-alive connections from a second process, ${SECONDS} s: ${Math.round(r.rps).toLocaleString('en')} requests/s (target >= 10,000), p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (target <= 20), max ${r.max.toFixed(1)} ms, errors ${r.errors + r.statusErrors}`,
);
console.log(`daemon CPU during the load: ${(((cpu.user + cpu.system) / 1e6 / r.seconds) * 100).toFixed(0)}% of one core; RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
console.log(`CSV import of 100,000 rows: ${importSeconds.toFixed(2)} s to the answer (target <= 3)`);
await b.stop();
