// Benchmark (not a test): issue 3's figures.
//  1. 100,000 recipients through the v1 jobs API and the SMPP driver to an SMSC in a separate process on
//     loopback that sends a receipt for each: messages/s submitted, time until every receipt is stored,
//     daemon CPU and RSS (target >= 8,000 messages/s with every receipt stored)
//  2. in the same run, a bare `smpp` client (window 100, TCP_NODELAY, no daemon) against the same SMSC
//     (target: the daemon at >= 70% of its rate)
// Knobs: BENCH_RECIPIENTS, BENCH_WINDOW, BENCH_BINDS, BENCH_SYNC (full/normal), BENCH_INFLIGHT, BENCH_BATCH, BENCH_SKIP_BARE.
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { once } from 'node:events';
import smpp from 'smpp';
import { forkPeer, benchDaemon } from './lib.js';
import { deliveredTestNumber } from '../dist/gateways/sandbox/sandbox.js';

const N = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
const BINDS = Number(process.env.BENCH_BINDS ?? 1);

const smsc = await forkPeer('./smsc-process.js');
const port = smsc.port;
const smscStats = smsc.stats;

const { d, config, auth, stop } = await benchDaemon({
  sandbox: { enabled: false },
  spool: { max_in_flight: Number(process.env.BENCH_INFLIGHT ?? 5000), batch_size: Number(process.env.BENCH_BATCH ?? 2000), poll_ms: 20 },
  ...(process.env.BENCH_SYNC ? { store: { synchronous: process.env.BENCH_SYNC } } : {}),
  providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'bench', password: 'bench', settings: { window: WINDOW, binds: BINDS } }],
});

const recipients = Array.from({ length: N }, (_, i) => ({ destination: deliveredTestNumber(i), recipient: `Name ${i}` }));
const body = JSON.stringify({ job_type: 'sms', job_name: 'bench', message: 'Hello %%recipient%%, your parcel is on its way.', recipients });

const cpu0 = process.cpuUsage();
const { cpu: smscCpu0, submits: submitsBefore } = await smscStats();
// The event loop's delay over the run (the daemon runs in this process): what a stall would cost every peer.
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const t0 = performance.now();
const res = await fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
const { data: jobId } = await res.json();
const tPost = performance.now() - t0;
const remaining = d.db.prepare('SELECT remaining FROM jobs WHERE id = ?');
let tSubmitted = 0;
let peakRss = 0;
for (;;) {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  // Submitted = the SMSC has taken every submit_sm (asked over IPC: a query here would cost the daemon CPU).
  if (!tSubmitted && (await smscStats()).submits >= N + submitsBefore) tSubmitted = performance.now() - t0 - tPost;
  if (remaining.get(jobId).remaining === 0) break;
  await new Promise((r) => setTimeout(r, 25));
}
const tFinal = performance.now() - t0 - tPost;
loop.disable();
const cpu = process.cpuUsage(cpu0);
const smscCpu1 = (await smscStats()).cpu;
const smscCpuMs = (smscCpu1.user + smscCpu1.system - smscCpu0.user - smscCpu0.system) / 1000;
const states = d.db.prepare('SELECT state, COUNT(*) AS n FROM recipients WHERE job_id = ? GROUP BY state').all(jobId);
const receipts = d.db.prepare(`SELECT COUNT(*) AS n FROM attempts WHERE job_id = ? AND ended_at IS NOT NULL AND status = 'delivered'`).get(jobId).n;
await stop();

// The bare client: the same messages, window 100, no store, no API.
const bareCpu0 = (await smscStats()).cpu;
const bare = process.env.BENCH_SKIP_BARE ? { ms: 1, rate: 1, receipts: 0 } : await bareClient(port, N, 100);
const bareCpu1 = (await smscStats()).cpu;
const bareSmscCpuMs = (bareCpu1.user + bareCpu1.system - bareCpu0.user - bareCpu0.system) / 1000;
smsc.kill();

const daemonRate = N / (tSubmitted / 1000);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; SMSC in its own process on loopback; daemon binds=${BINDS} window=${WINDOW}, sqlite synchronous=${config.store.synchronous}`);
console.log(`POST with ${N} recipients: ${tPost.toFixed(0)} ms`);
console.log(
  `daemon: ${N} submitted in ${(tSubmitted / 1000).toFixed(2)} s = ${Math.round(daemonRate)} messages/s (target >= 8000/s); every receipt stored after ${(tFinal / 1000).toFixed(2)} s = ${Math.round(N / (tFinal / 1000))}/s end to end; receipts stored ${receipts}; states ${states.map((s) => `${s.state}=${s.n}`).join(' ')}`,
);
console.log(
  `daemon CPU ${(((cpu.user + cpu.system) / 1000 / (tPost + tFinal)) * 100).toFixed(0)}% of one core, peak RSS ${(peakRss / 1048576).toFixed(0)} MB (bench process, daemon in it); SMSC process CPU ${((smscCpuMs / (tPost + tFinal)) * 100).toFixed(0)}%`,
);
console.log(`bare smpp client (window 100): ${N} submit_sm answered in ${(bare.ms / 1000).toFixed(2)} s = ${Math.round(bare.rate)} messages/s, receipts received ${bare.receipts}; SMSC process CPU ${((bareSmscCpuMs / bare.ms) * 100).toFixed(0)}%`);
console.log(`daemon event-loop delay over the run: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
console.log(`daemon / bare client: ${((daemonRate / bare.rate) * 100).toFixed(0)}% (target >= 70%)`);
process.exit(0);

async function bareClient(port, n, window) {
  const session = smpp.connect({ host: '127.0.0.1', port });
  session.socket.setNoDelay(true);
  await once(session.socket, 'connect');
  await new Promise((resolve, reject) => session.bind_transceiver({ system_id: 'bare', password: 'bare' }, (pdu) => (pdu.command_status === 0 ? resolve() : reject(new Error('bind')))));
  let receipts = 0;
  session.on('deliver_sm', (pdu) => {
    receipts++;
    session.send(pdu.response());
  });
  let sent = 0;
  let answered = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const pump = () => {
      while (sent < n && sent - answered < window) {
        const i = sent++;
        session.submit_sm(
          {
            source_addr: 'Bench',
            source_addr_ton: 5,
            destination_addr: deliveredTestNumber(i).slice(1),
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            registered_delivery: 1,
            data_coding: 0,
            short_message: Buffer.from(`Hello Name ${i}, your parcel is on its way.`, 'latin1'),
          },
          () => {
            answered++;
            if (answered === n) resolve();
            else pump();
          },
        );
      }
    };
    pump();
  });
  const ms = performance.now() - t0;
  const until = Date.now() + 10_000;
  while (receipts < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  session.close();
  return { ms, rate: n / (ms / 1000), receipts };
}
