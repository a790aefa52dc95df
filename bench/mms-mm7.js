// Benchmark (not a test): issue 20's figures. A 10,000-recipient v1 mms job with a 1 MB photo through
// the mm7 driver to an MMSC in a separate process on loopback, which answers each SubmitReq and posts a
// DeliveryReportReq back: the photo's fitting (once per job, not per recipient), MM7 submits/s, the time
// until every report is stored, the daemon's peak RSS and its event-loop delay.
// Knobs: BENCH_RECIPIENTS, BENCH_CONCURRENCY (SubmitReqs in flight), BENCH_INFLIGHT.
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { forkPeer, benchDaemon } from './lib.js';
import { deliveredTestNumber } from '../dist/gateways/sandbox/sandbox.js';
import { fitMedia, MMS_RESERVED_BYTES } from '../dist/media/mms.js';

const N = Number(process.env.BENCH_RECIPIENTS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

// A photo-like JPEG of about 1 MB: gradients under noise, which JPEG cannot squeeze away.
async function photo() {
  const [w, h] = [2400, 1800];
  const raw = Buffer.alloc(w * h * 3);
  let seed = 1;
  for (let i = 0; i < raw.length; i++) raw[i] = (((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0x7f) + ((i % (w * 3)) % 128);
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 60 })
    .toBuffer();
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

const jpeg = await photo();
const httpPort = await freePort();
const mmsc = await forkPeer('./mmsc-process.js', { MMSC_REPORT_TO: `http://127.0.0.1:${httpPort}/gateways/mm7/mmsc` });
const { d, auth, stop } = await benchDaemon({
  http: { port: httpPort },
  sandbox: { enabled: false },
  spool: { max_in_flight: Number(process.env.BENCH_INFLIGHT ?? 2000), poll_ms: 20 },
  providers: [{ name: 'mmsc', driver: 'mm7', services: ['mms'], host: '127.0.0.1', port: mmsc.port, settings: { vasp_id: 'bench', vas_id: 'bench', sender_address: '12345', concurrency: CONCURRENCY } }],
});

// The fitting alone, as the POST does it once (a second fit of the same bytes, outside the daemon's HTTP path).
const tf0 = performance.now();
const fitted = await fitMedia(jpeg, 300 * 1024 - MMS_RESERVED_BYTES);
const tFitAlone = performance.now() - tf0;

const recipients = Array.from({ length: N }, (_, i) => ({ destination: deliveredTestNumber(i), recipient: `Name ${i}` }));
const body = JSON.stringify({ job_type: 'mms', job_name: 'bench', subject: 'For %%recipient%%', message: 'Hello %%recipient%%, your photo.', files: [{ name: 'photo.jpg', base64content: jpeg.toString('base64') }], recipients });

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const res = await fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
const answer = await res.json();
if (res.status !== 200) throw new Error(`POST: ${res.status} ${JSON.stringify(answer)}`);
const jobId = answer.data;
const tPost = performance.now() - t0;
const remaining = d.db.prepare('SELECT remaining FROM jobs WHERE id = ?');
let peakRss = process.memoryUsage().rss;
let tSubmitted = 0;
for (;;) {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (!tSubmitted && (await mmsc.stats()).submits >= N) tSubmitted = performance.now() - t0 - tPost;
  if (remaining.get(jobId).remaining === 0) break;
  await new Promise((r) => setTimeout(r, 25));
}
const tFinal = performance.now() - t0 - tPost;
loop.disable();
const cpu = process.cpuUsage(cpu0);
const stats = await mmsc.stats();
const states = d.db.prepare('SELECT state, COUNT(*) AS n FROM recipients WHERE job_id = ? GROUP BY state').all(jobId);
const content = JSON.parse(d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(jobId).content);
const stored = readdirSync(join(d.config.data_dir, 'media', 'mms')).length;
await stop();
mmsc.kill();

const rate = N / ((stats.lastAt - stats.firstAt) / 1000);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; MMSC in its own process on loopback; ${CONCURRENCY} SubmitReqs in flight`);
console.log(
  `photo: ${(jpeg.length / 1048576).toFixed(2)} MB JPEG → fitted ${content.media[0].contentType} ${(content.media[0].size / 1024).toFixed(0)} KB (limit 300 KB less 8 KB); files stored for the job: ${stored} (fitted once); fit alone ${tFitAlone.toFixed(0)} ms (${(fitted.bytes.length / 1024).toFixed(0)} KB)`,
);
console.log(`POST with ${N} recipients and the photo (fit included): ${tPost.toFixed(0)} ms`);
console.log(
  `MM7: ${stats.submits} SubmitReqs in ${(tSubmitted / 1000).toFixed(2)} s after the POST; ${Math.round(rate)} submits/s at the MMSC (first to last); every DeliveryReportReq stored after ${(tFinal / 1000).toFixed(2)} s; states ${states.map((s) => `${s.state}=${s.n}`).join(' ')}`,
);
console.log(
  `daemon CPU ${(((cpu.user + cpu.system) / 1000 / (tPost + tFinal)) * 100).toFixed(0)}% of one core, peak RSS ${(peakRss / 1048576).toFixed(0)} MB (bench process, daemon in it); MMSC process CPU ${(((stats.cpu.user + stats.cpu.system) / 1000 / (tPost + tFinal)) * 100).toFixed(0)}%`,
);
console.log(`daemon event-loop delay over the run: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
process.exit(0);
