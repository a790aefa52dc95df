// Benchmark (not a test): issue 7's Retarus figures.
//  1. POST /rest/v1/jobs with 10,000 recipients: time to the response (target <= 0.3 s)
//  2. GET /rest/v1/sms?jobId= for that job: time to the response (target <= 0.5 s)
// The daemon runs in this process on a temp SQLite file with the sandbox provider; bodies are built before timing.
import { cpus } from 'node:os';
import { benchDaemon } from './lib.js';
import { deliveredTestNumber } from '../dist/gateways/sandbox/sandbox.js';

const N = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const { d, auth, stop } = await benchDaemon({ retarus: { requests_per_10s: 1000 } }, { timezone: 'Europe/Berlin', country: 'DE' });
const headers = { authorization: auth, 'content-type': 'application/json' };
const body = (run) =>
  JSON.stringify({
    options: { src: 'Bench', encoding: 'standard', customerRef: `run ${run}`, invalidCharacters: 'REFUSE' },
    messages: [{ text: `Your parcel is on its way (${run}).`, recipients: Array.from({ length: N }, (_, i) => ({ dst: deliveredTestNumber(i), customerRef: `R${i}` })) }],
  });
await fetch(`${d.url}/rest/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ messages: [{ text: 'warm', recipients: [{ dst: deliveredTestNumber(N + 1) }] }] }) });

const posts = [];
const gets = [];
for (let run = 0; run < RUNS; run++) {
  const b = body(run);
  let t = performance.now();
  const res = await fetch(`${d.url}/rest/v1/jobs`, { method: 'POST', headers, body: b });
  const { jobId } = await res.json();
  posts.push(performance.now() - t);
  t = performance.now();
  const sms = await (await fetch(`${d.url}/rest/v1/sms?jobId=${jobId}`, { headers })).json();
  gets.push(performance.now() - t);
  if (sms.length !== N) throw new Error(`expected ${N} reports, got ${sms.length}`);
}
const fmt = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} ms (median ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(0)})`;
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${RUNS} runs, the spool delivering meanwhile`);
console.log(`POST /rest/v1/jobs with ${N} recipients: ${fmt(posts)} (target <= 300 ms)`);
console.log(`GET /rest/v1/sms?jobId= with ${N} reports: ${fmt(gets)} (target <= 500 ms)`);
await stop();
