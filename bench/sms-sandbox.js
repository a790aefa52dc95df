// Benchmark (not a test): issue 2's figures.
//  1. one POST /api/v1/jobs with 100,000 recipients: time to the response, all recipients spooled (target <= 1.5 s)
//  2. that job through the sandbox provider: recipients/s from the response to every recipient final (target >= 20,000/s)
// Runs the built daemon in this process on a temp SQLite file; the client body is prepared before timing.
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { benchDaemon } from './lib.js';
import { deliveredTestNumber } from '../dist/gateways/sandbox/sandbox.js';

const N = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const { d, config, auth, stop } = await benchDaemon({
  sandbox: { accept_ms: [1, 5], receipt_ms: [20, 200] },
  spool: { max_in_flight: 5000, batch_size: 2000, poll_ms: 20 },
  ...(process.env.BENCH_SYNC ? { store: { synchronous: process.env.BENCH_SYNC } } : {}),
});

const recipients = Array.from({ length: N }, (_, i) => ({ destination: deliveredTestNumber(i), reference: `ref-${i}`, recipient: `Name ${i}`, field1: `value ${i}` }));
const body = JSON.stringify({ job_type: 'sms', job_name: 'bench', message: 'Hello %%recipient%%, your code is %%field1%%', recipients });
// Warm up the route, auth cache and statements with a small job.
await fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ job_type: 'sms', message: 'warm', recipients: [{ destination: deliveredTestNumber(N + 1) }] }) });
await new Promise((r) => setTimeout(r, 500));

const cpu0 = process.cpuUsage();
// The event loop's delay over the run (the daemon runs in this process): what a stall would cost every peer.
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const t0 = performance.now();
const res = await fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
const { data: jobId } = await res.json();
const tPost = performance.now() - t0;
const spooled = d.db.prepare('SELECT COUNT(*) AS n FROM recipients WHERE job_id = ?').get(jobId).n;

const done = () => d.db.prepare('SELECT remaining FROM jobs WHERE id = ?').get(jobId).remaining === 0;
let peakRss = 0;
while (!done()) {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await new Promise((r) => setTimeout(r, 50));
}
const tFinal = performance.now() - t0 - tPost;
loop.disable();
const cpu = process.cpuUsage(cpu0);
const states = d.db.prepare('SELECT state, COUNT(*) AS n FROM recipients WHERE job_id = ? GROUP BY state').all(jobId);

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, sqlite synchronous=${config.store.synchronous}`);
console.log(`POST with ${N} recipients: ${tPost.toFixed(0)} ms to the response, ${spooled} spooled (target <= 1500 ms)`);
console.log(`sandbox delivery: ${N} recipients final in ${(tFinal / 1000).toFixed(2)} s = ${Math.round(N / (tFinal / 1000))} recipients/s (target >= 20000/s); states ${states.map((s) => `${s.state}=${s.n}`).join(' ')}`);
console.log(`event-loop delay over the run: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
console.log(`daemon CPU ${(((cpu.user + cpu.system) / 1000 / (tPost + tFinal)) * 100).toFixed(0)}% of one core over the run, peak RSS ${(peakRss / 1048576).toFixed(0)} MB`);
await stop();
