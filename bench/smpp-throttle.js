// Benchmark (not a test): issue 12's figures for items 16 and 17, against the SMSC in its own process.
//  1. An SMSC that takes 400 submit_sm/s and answers the rest ESME_RTHROTTLED: delivered/s, share of
//     submits throttled, the most one PDU was sent (targets >= 360/s, <= 5%; before: ~190/s, one PDU 76 times)
//  2. A provider that comes back (its bind up again) with work held for it: time from the bind to the
//     first submit_sm (target <= 200 ms; before: 2.4-2.8 s)
import { forkPeer, benchDaemon, freePort } from './lib.js';
import { deliveredTestNumber } from '../dist/gateways/sandbox/sandbox.js';

const N = Number(process.env.BENCH_RECIPIENTS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SETTINGS = { window: 10, binds: 2, reconnect_min_ms: 1000, reconnect_max_ms: 1000 };
const QUIET = { log: { level: 'error' } }; // the refused connects while the SMSC is away are expected

async function post(d, auth, n, offset) {
  const recipients = Array.from({ length: n }, (_, i) => ({ destination: deliveredTestNumber(offset + i) }));
  const res = await fetch(`${d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ job_type: 'sms', message: 'Your parcel is on its way.', recipients }) });
  return (await res.json()).data;
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// 1. Throttling.
{
  const smsc = await forkPeer('./smsc-process.js', { SMSC_RATE: '400', SMSC_COUNT: '1' });
  const { d, auth, stop } = await benchDaemon({ ...QUIET, sandbox: { enabled: false }, providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port: smsc.port, username: 'bench', password: 'bench', settings: SETTINGS }] });
  const job = await post(d, auth, N, 0);
  const remaining = d.db.prepare('SELECT remaining FROM jobs WHERE id = ?');
  await until(() => remaining.get(job).remaining === 0, 120_000, 'the throttled job');
  const s = await smsc.stats();
  await stop();
  smsc.kill();
  const accepted = s.submits - s.throttled;
  const rate = (accepted - 1) / ((s.lastAcceptedAt - s.firstAcceptedAt) / 1000);
  console.log(`SMSC taking 400 submit_sm/s (binds=${SETTINGS.binds} window=${SETTINGS.window}), ${N} messages, under load:`);
  console.log(`  delivered ${Math.round(rate)}/s (target >= 360/s; before: ~190/s)`);
  console.log(`  ${((s.throttled / s.submits) * 100).toFixed(1)}% of ${s.submits} submits answered ESME_RTHROTTLED (target <= 5%)`);
  console.log(`  one PDU sent at most ${s.maxPerDestination} times (cap 1 + max_throttle_resends = 11; before: 76)`);
}

// 2. A provider coming back.
{
  const port = await freePort();
  const { d, auth, stop } = await benchDaemon({ ...QUIET, sandbox: { enabled: false }, providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'bench', password: 'bench', settings: SETTINGS }] });
  const remaining = d.db.prepare('SELECT remaining FROM jobs WHERE id = ?');
  const held = d.db.prepare("SELECT COUNT(*) AS n FROM recipients WHERE job_id = ? AND state = 'queued' AND reason LIKE '%down%'");
  const figures = [];
  for (let round = 0; round < ROUNDS; round++) {
    const job = await post(d, auth, 200, 100_000 + round * 200);
    await until(() => held.get(job).n === 200, 10_000, 'the work to be held');
    await new Promise((r) => setTimeout(r, 1500));
    const smsc = await forkPeer('./smsc-process.js', { SMSC_PORT: String(port) });
    await until(() => remaining.get(job).remaining === 0, 30_000, 'the held job');
    const s = await smsc.stats();
    figures.push(s.firstAcceptedAt - s.boundAt);
    smsc.kill();
    await new Promise((r) => setTimeout(r, 500)); // the link notices the SMSC is gone
  }
  await stop();
  console.log(`provider back after being down, work held for it (${ROUNDS} rounds, under load):`);
  console.log(`  first submit_sm ${figures.join(', ')} ms after the bind came up (target <= 200 ms; before: 2400-2800 ms)`);
}
process.exit(0);
