// Benchmark (not a test): issue 14's streamed reports. A 100,000-recipient job (written through the
// job store in one transaction), then GET /api/v1/jobs/{id} from this process while the daemon, in a
// child process, measures its event-loop delay (perf_hooks monitorEventLoopDelay) and this process
// times /health answers made during the GET. Target: no stall of the daemon's loop over 50 ms.
//   node bench/report-stream.js                              the build in dist/
//   BENCH_BEFORE_DIST=/path/to/base/dist node bench/...     also a build to compare with, side by side
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { answerLoopDelay, measureGet } from './measure-get.js';
import { plainJob } from '../dist/core/jobs.js';

const BENCH_AUTH = 'Basic ' + Buffer.from('bench:bench-password').toString('base64');

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

if (process.argv[2] === 'daemon') await daemon(process.argv[3]);
else await main();

/** The child: a daemon from the build in `dist`, a big job, and its loop's delay between 'start' and 'stop'. */
async function daemon(dist) {
  const at = (m) => import(pathToFileURL(resolve(dist, m)).href);
  const [{ mkdtempSync, rmSync }, { tmpdir }, { join }, { default: pino }] = await Promise.all(['node:fs', 'node:os', 'node:path', 'pino'].map((m) => import(m)));
  const [{ loadConfig }, { startDaemon }, { UserStore }, { JobStore }] = await Promise.all(['config/load.js', 'main.js', 'store/users.js', 'store/jobs.js'].map(at));
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-bench-'));
  const config = loadConfig({ env: {}, overrides: { data_dir: dir, http: { port: 0 }, log: { level: 'warn' } } });
  const d = await startDaemon(config, { log: pino({ level: 'warn' }) });
  const userId = new UserStore(d.db).add({ user_code: 'bench', password: 'bench-password', role: 'user', timezone: 'Australia/Sydney', country: 'AU' });
  const jobs = new JobStore(d.db);
  const now = Date.now();
  const jobId = d.db.transaction(() => {
    const id = jobs.create(
      plainJob({
        userId,
        face: 'welcorp',
        channel: 'sms',
        name: 'bench',
        content: { kind: 'sms', text: { template: 'Hello %%recipient%%' }, sms: {} },
        options: { job_type: 'sms', message: 'Hello %%recipient%%' },
        sender: '+61417914491',
        held: true,
        recipients: Array.from({ length: RECIPIENTS }, (_, i) => ({ destination: `+614915${String(i).padStart(5, '0')}`, name: `Recipient ${i}`, reference: `ref-${i}`, fields: { field1: `value ${i}` }, blackouts: null })),
      }),
    );
    // As if delivered: the report has its dates, notes and costs to write.
    d.db.prepare("UPDATE recipients SET state = 'delivered', address = destination, sent_at = ?, final_at = ?, cost = 0.05, parts = 1 WHERE job_id = ?").run(now, now, id);
    return id;
  })();
  answerLoopDelay(async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  process.send({ url: d.url, jobId });
}

async function main() {
  const builds = [['after', fileURLToPath(new URL('../dist/', import.meta.url))]];
  if (process.env.BENCH_BEFORE_DIST) builds.unshift(['before', resolve(process.env.BENCH_BEFORE_DIST)]);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${RECIPIENTS.toLocaleString('en')} recipients, ${RUNS} GETs per build`);
  const rows = [];
  for (const [name, dist] of builds) {
    const child = fork(fileURLToPath(import.meta.url), ['daemon', dist], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [{ url, jobId }] = await once(child, 'message');
    for (let i = 0; i < RUNS; i++) rows.push({ name, ...(await measureGet(child, url, `/api/v1/jobs/${jobId}`, BENCH_AUTH)) });
    child.send('exit');
    await once(child, 'exit');
  }
  console.log('build   size (MB)  first byte (ms)  total (ms)  daemon loop delay p99 / max (ms)  slowest /health (ms, n)');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(7)} ${(r.bytes / 1e6).toFixed(1).padStart(9)}  ${r.first.toFixed(0).padStart(15)}  ${r.total.toFixed(0).padStart(10)}  ${`${r.p99.toFixed(1)} / ${r.max.toFixed(1)}`.padStart(33)}  ${`${r.health.toFixed(1)} (${r.healthN})`.padStart(23)}`,
    );
  }
}
