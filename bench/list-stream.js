// Benchmark (not a test): issue 14's streamed lists on the other faces. One daemon per build (a child
// process) holds a 100,000-recipient Retarus job, an ICTCore group of 100,000 contacts and a program
// of 100,000 transmissions (all written through the stores, each in one transaction); this process
// GETs each big list while the daemon measures its event-loop delay (perf_hooks monitorEventLoopDelay)
// and /health is asked every 10 ms. Target: no stall of the daemon's loop over 50 ms.
//   node bench/list-stream.js                              the build in dist/
//   BENCH_BEFORE_DIST=/path/to/base/dist node bench/...     also a build to compare with, side by side
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { answerLoopDelay, measureGet } from './measure-get.js';
import { plainJob } from '../dist/core/jobs.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BASIC = 'Basic ' + Buffer.from('bench:bench-password').toString('base64');

if (process.argv[2] === 'daemon') await daemon(process.argv[3]);
else await main();

/** The child: a daemon from the build in `dist`, the big lists, and its loop's delay between 'start' and 'stop'. */
async function daemon(dist) {
  const at = (m) => import(pathToFileURL(resolve(dist, m)).href);
  const [{ mkdtempSync, rmSync }, { tmpdir }, { join }, { default: pino }] = await Promise.all(['node:fs', 'node:os', 'node:path', 'pino'].map((m) => import(m)));
  const [{ loadConfig }, { startDaemon }, { UserStore }, { JobStore }, { ContactStore }] = await Promise.all(['config/load.js', 'main.js', 'store/users.js', 'store/jobs.js', 'store/contacts.js'].map(at));
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-bench-'));
  const config = loadConfig({ env: {}, overrides: { data_dir: dir, http: { port: 0 }, log: { level: 'warn' } } });
  const d = await startDaemon(config, { log: pino({ level: 'warn' }) });
  const userId = new UserStore(d.db).add({ user_code: 'bench', password: 'bench-password', role: 'user', timezone: 'Australia/Sydney', country: 'AU' });
  const auth = await fetch(`${d.url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench-password' }) });
  const token = `Bearer ${(await auth.json()).token}`;
  const program = await (await fetch(`${d.url}/programs/sendsms`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: JSON.stringify({ name: 'bench', data: 'Hello' }) })).json();
  const jobs = new JobStore(d.db);
  const contacts = new ContactStore(d.db);
  const group = contacts.groups.insert(userId, { name: 'bench' });
  contacts.importInto(
    userId,
    group,
    Array.from({ length: ROWS }, (_, i) => ({ first_name: `First ${i}`, last_name: `Last ${i}`, phone: `+614915${String(i).padStart(5, '0')}`, email: `c${i}@example.com` })),
  );
  const members = contacts.members(group, 0, ROWS);
  const now = Date.now();
  const job = (face, extra, contactOf) =>
    d.db.transaction(() => {
      const id = jobs.create(
        plainJob({
          userId,
          face,
          channel: 'sms',
          name: 'bench',
          content: { kind: 'sms', text: { template: 'Hello' }, sms: {} },
          held: true,
          ...extra,
          recipients: Array.from({ length: ROWS }, (_, i) => ({ destination: `+614915${String(i).padStart(5, '0')}`, name: `Recipient ${i}`, reference: `ref-${i}`, fields: null, blackouts: null, contactId: contactOf(i) })),
        }),
      );
      // As if delivered: the lists have their dates and statuses to write.
      d.db.prepare("UPDATE recipients SET state = 'delivered', sent_at = ?, final_at = ? WHERE job_id = ?").run(now, now, id);
      return id;
    })();
  job('retarus', { externalId: 'J.bench', options: { src: 'Sender' } }, () => null);
  job('ictcore', { programId: program }, (i) => members[i].id);
  answerLoopDelay(async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  process.send({
    url: d.url,
    lists: [
      ['Retarus /sms?jobId=', '/rest/v1/sms?jobId=J.bench', BASIC],
      ['ICTCore /groups/{id}/contacts', `/groups/${group}/contacts`, token],
      ['ICTCore /groups/{id}/csv', `/groups/${group}/csv`, token],
      ['ICTCore /transmissions?limit=100000', `/transmissions?program_id=${program}&limit=100000`, token],
    ],
  });
}

async function main() {
  const builds = [['after', fileURLToPath(new URL('../dist/', import.meta.url))]];
  if (process.env.BENCH_BEFORE_DIST) builds.unshift(['before', resolve(process.env.BENCH_BEFORE_DIST)]);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${ROWS.toLocaleString('en')} rows a list, ${RUNS} GETs per list and build`);
  const rows = [];
  for (const [name, dist] of builds) {
    const child = fork(fileURLToPath(import.meta.url), ['daemon', dist], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [{ url, lists }] = await once(child, 'message');
    for (const [list, path, auth] of lists) for (let i = 0; i < RUNS; i++) rows.push({ name, list, ...(await measureGet(child, url, path, auth)) });
    child.send('exit');
    await once(child, 'exit');
  }
  console.log('list                                 build   size (MB)  first byte (ms)  total (ms)  daemon loop delay p99 / max (ms)  slowest /health (ms, n)');
  for (const r of rows) {
    console.log(
      `${r.list.padEnd(36)} ${r.name.padEnd(7)} ${(r.bytes / 1e6).toFixed(1).padStart(9)}  ${r.first.toFixed(0).padStart(15)}  ${r.total.toFixed(0).padStart(10)}  ${`${r.p99.toFixed(1)} / ${r.max.toFixed(1)}`.padStart(33)}  ${`${r.health.toFixed(1)} (${r.healthN})`.padStart(23)}`,
    );
  }
}
