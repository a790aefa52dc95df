// Benchmark (not a test): issue 16's figures.
//  1. a BENCH_RECIPIENTS (100,000) recipient v1 e-mail job (small HTML + text, one 100 KB attachment by
//     URL) through the smtp driver to a local SMTP sink in its own process: messages/s with every SMTP
//     answer stored, the daemon's peak RSS (flat: not growing with the job), fetches of the attachment
//     (exactly one), event-loop delay;
//  2. in the same run, a bare nodemailer pool (the same connections and messages per connection) sending
//     the same messages to the same sink (target: the daemon at >= 70% of it, >= 1,000 messages/s), and
//     the same pool with the attachment's MIME part made once, as the daemon's driver makes it.
// Knobs: BENCH_RECIPIENTS, BENCH_CONNECTIONS (5), BENCH_THREADS (the driver's SMTP threads, 1), BENCH_SKIP_BARE.
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node';
import { forkPeer, benchDaemon } from './lib.js';

const N = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 5);
const MESSAGES_PER_CONNECTION = 1000;
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const ATTACHMENT = randomBytes(100 * 1024);

const sink = await forkPeer('./smtp-sink-process.js');
let fetches = 0;
const files = http.createServer((_req, res) => {
  fetches++;
  res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': ATTACHMENT.length }).end(ATTACHMENT);
});
await new Promise((r) => files.listen(0, '127.0.0.1', r));
const fileUrl = `http://127.0.0.1:${files.address().port}/brochure.pdf`;

// The bench user's own address is on the From's domain: without allowed senders that is what it may send from.
const { d, config, auth, stop } = await benchDaemon(
  {
    sandbox: { enabled: false },
    media: { allow_private: ['127.0.0.1'] },
    email: { bounce_domain: 'bounces.example.net' },
    spool: { max_in_flight: 5000, batch_size: 2000, poll_ms: 20 },
    providers: [
      {
        name: 'relay',
        driver: 'smtp',
        services: ['email'],
        host: '127.0.0.1',
        port: sink.port,
        settings: { security: 'none', max_connections: CONNECTIONS, max_messages: MESSAGES_PER_CONNECTION, threads: THREADS },
      },
    ],
  },
  { timezone: 'UTC', country: 'AU', email: 'bench@example.com' },
);

const HTML = '<p>Hello %%recipient%%,</p><p>Your statement for this month is attached. Thank you for being with us.</p>';
const TEXT = 'Hello %%recipient%%,\nYour statement for this month is attached. Thank you for being with us.';
const recipients = Array.from({ length: N }, (_, i) => ({ destination: `customer${i}@example.org`, recipient: `Customer ${i}` }));
const body = JSON.stringify({
  job_type: 'email',
  job_name: 'bench',
  subject: 'Your statement, %%recipient%%',
  html_message: HTML,
  text_message: TEXT,
  from_name: 'Bench',
  from_email: 'statements@example.com',
  attachments: [{ name: 'brochure.pdf', url: fileUrl }],
  recipients,
});

const cpu0 = process.cpuUsage();
const threads0 = threadTicks();
const sink0 = await sink.stats();
const elu0 = performance.eventLoopUtilization();
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const t0 = performance.now();
const res = await fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
const posted = await res.json();
if (res.status !== 200) throw new Error(`POST: ${res.status} ${JSON.stringify(posted)}`);
const jobId = posted.data;
const tPost = performance.now() - t0;
const remaining = d.db.prepare('SELECT remaining FROM jobs WHERE id = ?');
let peakRss = 0;
const rssAt = [];
for (;;) {
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  const left = remaining.get(jobId).remaining;
  rssAt.push([N - left, rss]);
  if (left === 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
const tFinal = performance.now() - t0 - tPost;
loop.disable();
const elu = performance.eventLoopUtilization(elu0);
const cpu = process.cpuUsage(cpu0);
const threads1 = threadTicks();
const sink1 = await sink.stats();
const states = d.db.prepare('SELECT state, COUNT(*) AS n FROM recipients WHERE job_id = ? GROUP BY state').all(jobId);
const answers = d.db.prepare(`SELECT COUNT(*) AS n FROM attempts WHERE job_id = ? AND peer_id IS NOT NULL`).get(jobId).n;
await stop();
// RSS after a tenth and at the end of the job: flat means the job is not held in memory.
const rssTenth = rssAt.find(([done]) => done >= N / 10)?.[1] ?? 0;

const bare = process.env.BENCH_SKIP_BARE ? null : await bareNodemailer(sink.port, N, false);
// The same pool with the attachment's part made once (as the daemon's smtp driver does): the anchor on equal footing.
const barePart = process.env.BENCH_SKIP_BARE ? null : await bareNodemailer(sink.port, N, true);
sink.kill();
files.close();

const daemonRate = N / (tFinal / 1000);
const sinkCpuMs = (sink1.cpu.user + sink1.cpu.system - sink0.cpu.user - sink0.cpu.system) / 1000;
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; SMTP sink in its own process on loopback; ${CONNECTIONS} connections in ${THREADS} SMTP thread(s), ${MESSAGES_PER_CONNECTION} messages each; sqlite synchronous=${config.store.synchronous}`,
);
console.log(`POST with ${N} recipients and one 100 KB attachment by URL: ${tPost.toFixed(0)} ms; attachment fetched ${fetches} time(s) (target 1)`);
console.log(
  `daemon: ${N} messages with every SMTP answer stored in ${(tFinal / 1000).toFixed(2)} s = ${Math.round(daemonRate)} messages/s (target >= 1000/s); answers stored ${answers}; states ${states.map((s) => `${s.state}=${s.n}`).join(' ')}; sink took ${sink1.messages - sink0.messages} messages, ${((sink1.bytes - sink0.bytes) / 1048576).toFixed(0)} MB`,
);
console.log(
  `daemon CPU ${(((cpu.user + cpu.system) / 1000 / (tPost + tFinal)) * 100).toFixed(0)}% of one core (${((cpu.user + cpu.system) / 1000 / N).toFixed(2)} ms a message), its main thread busy ${(elu.utilization * 100).toFixed(0)}%; RSS at a tenth of the job ${(rssTenth / 1048576).toFixed(0)} MB, peak ${(peakRss / 1048576).toFixed(0)} MB (bench process, daemon in it); sink CPU ${((sinkCpuMs / (tPost + tFinal)) * 100).toFixed(0)}% (${(sinkCpuMs / N).toFixed(2)} ms a message)`,
);
// Linux's per-thread CPU (clock ticks of 10 ms): the main thread (its id is the pid's) and the busiest others.
const perThread = [...threads1]
  .map(([tid, t]) => [tid, ((t - (threads0.get(tid) ?? 0)) * 10) / N])
  .filter(([, ms]) => ms > 0.01)
  .sort((a, b) => (a[0] === String(process.pid) ? -1 : b[0] === String(process.pid) ? 1 : b[1] - a[1]));
console.log(`daemon CPU by thread, ms a message: ${perThread.map(([tid, ms], i) => `${i === 0 ? 'main' : `thread ${tid}`} ${ms.toFixed(2)}`).join(', ')}`);
console.log(`daemon event-loop delay over the run: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
if (bare) {
  console.log(
    `bare nodemailer pool (${CONNECTIONS} connections): ${N} messages answered in ${(bare.ms / 1000).toFixed(2)} s = ${Math.round(bare.rate)} messages/s, ${bare.cpuMsPerMessage.toFixed(2)} ms of CPU a message (the sink ${bare.sinkMsPerMessage.toFixed(2)} ms)`,
  );
  console.log(`daemon / bare pool: ${((daemonRate / bare.rate) * 100).toFixed(0)}% (target >= 70%)`);
}
if (barePart) {
  console.log(
    `bare nodemailer pool, the attachment's part made once: ${N} messages in ${(barePart.ms / 1000).toFixed(2)} s = ${Math.round(barePart.rate)} messages/s, ${barePart.cpuMsPerMessage.toFixed(2)} ms of CPU a message (the sink ${barePart.sinkMsPerMessage.toFixed(2)} ms)`,
  );
  console.log(`daemon / that pool: ${((daemonRate / barePart.rate) * 100).toFixed(0)}%`);
}
process.exit(0);

/** Each thread's CPU (user + system clock ticks) by thread id, from /proc (Linux); empty elsewhere. */
function threadTicks() {
  const ticks = new Map();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, Number(f[11]) + Number(f[12]));
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return ticks;
}

/**
 * The same messages through a nodemailer pool alone: no API, no store, the attachment in memory; with
 * `madeOnce`, its MIME part (headers and base64) built once by MimeNode and given as `raw`.
 */
async function bareNodemailer(port, n, madeOnce) {
  const part = new MimeNode('multipart/mixed').createChild('application/pdf', { filename: 'brochure.pdf' });
  part.setHeader('Content-Transfer-Encoding', 'base64');
  part.setHeader('Content-Disposition', 'attachment');
  part.setContent(ATTACHMENT);
  const raw = await part.build();
  const transport = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port, secure: false, ignoreTLS: true, maxConnections: CONNECTIONS, maxMessages: MESSAGES_PER_CONNECTION });
  const s0 = await sink.stats();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let next = 0;
  // As many in flight as the pool has connections, each next message sent as one is answered.
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const name = `Customer ${i}`;
      await transport.sendMail({
        from: { name: 'Bench', address: 'statements@example.com' },
        to: `customer${i}@example.org`,
        subject: `Your statement, ${name}`,
        text: TEXT.replace('%%recipient%%', name),
        html: HTML.replace('%%recipient%%', name),
        attachments: [madeOnce ? { raw } : { filename: 'brochure.pdf', content: ATTACHMENT, contentType: 'application/pdf' }],
      });
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const s1 = await sink.stats();
  transport.close();
  const sinkMs = (s1.cpu.user + s1.cpu.system - s0.cpu.user - s0.cpu.system) / 1000;
  return { ms, rate: n / (ms / 1000), cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / n, sinkMsPerMessage: sinkMs / n };
}
