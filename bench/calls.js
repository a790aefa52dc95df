// Benchmark (not a test): issue 4's figures. 5,000 TTS calls through the API and the FreeSWITCH driver to
// an ESL peer in its own process (each call answered, its message played for PLAY_MS twice, then hung up),
// at most 1,000 at once. Prints originates/s sustained, peak concurrent calls, daemon CPU and RSS at peak.
// Targets: >= 200 originates/s, <= 300 MB RSS at 1,000 concurrent.
import { cpus } from 'node:os';
import { forkPeer, benchDaemon } from './lib.js';
import { deliveredTestNumber } from '../dist/gateways/sandbox/sandbox.js';

const N = Number(process.env.BENCH_CALLS ?? 5000);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 1000);
const peerProc = await forkPeer('./esl-process.js', { PLAY_MS: process.env.PLAY_MS ?? '3000' });
const stats = peerProc.stats;
const { d, auth, stop } = await benchDaemon({
  sandbox: { enabled: false },
  spool: { max_in_flight: 5000, batch_size: 500, poll_ms: 20 },
  providers: [{ name: 'fs', driver: 'freeswitch', services: ['voice'], host: '127.0.0.1', port: peerProc.port, password: 'bench-esl-secret', concurrency: CONCURRENT, settings: { gateway: 'bench', caller_id_number: '+61299990000' } }],
});
const body = JSON.stringify({ job_type: 'tts', job_name: 'bench', message: 'This is a reminder of your appointment tomorrow at ten.', recipients: Array.from({ length: N }, (_, i) => ({ destination: deliveredTestNumber(i) })) });

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const res = await fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
const { data: jobId } = await res.json();
const remaining = d.db.prepare('SELECT remaining FROM jobs WHERE id = ?');
let peakRss = 0;
let rssAtPeak = 0;
let peakLive = 0;
const samples = [];
for (;;) {
  const s = await stats();
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  if (s.live >= peakLive) ((peakLive = s.live), (rssAtPeak = rss));
  samples.push([performance.now() - t0, s.originates]);
  if (remaining.get(jobId).remaining === 0) break;
  await new Promise((r) => setTimeout(r, 100));
}
const total = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const states = d.db.prepare('SELECT state, COUNT(*) AS n FROM recipients WHERE job_id = ? GROUP BY state').all(jobId);
// Sustained rate: originates between 10% and 90% of all, over the time they took.
const at = (frac) => samples.find((x) => x[1] >= N * frac) ?? samples[samples.length - 1];
const [t10, n10] = at(0.1);
const [t90, n90] = at(0.9);
const peer = await stats();
await stop();
peerProc.kill();

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ESL peer in its own process, each call ~${(2 * Number(process.env.PLAY_MS ?? 3000)) / 1000} s of playback`);
console.log(`${N} calls in ${(total / 1000).toFixed(1)} s; originates sustained ${Math.round((n90 - n10) / ((t90 - t10) / 1000))}/s (target >= 200/s); peak concurrent ${Math.max(peakLive, peer.peak)} (limit ${CONCURRENT})`);
console.log(
  `daemon: CPU ${(((cpu.user + cpu.system) / 1000 / total) * 100).toFixed(0)}% of one core, RSS ${(rssAtPeak / 1048576).toFixed(0)} MB at peak concurrency, peak ${(peakRss / 1048576).toFixed(0)} MB (target <= 300 MB); states ${states.map((s) => `${s.state}=${s.n}`).join(' ')}`,
);
process.exit(0);
