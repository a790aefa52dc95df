// Benchmark (not a test): issue 12 item 3, matching a reply to the 2-way job it answers.
// One number has received JOBS 2-way messages, one job each, the newest OPEN still in their reply
// window; senders: the oldest job its own number, every 4th another, the rest a third. Time per reply:
// to the newest job's sender (the usual case), to the oldest open job's sender (every open attempt
// read), after every window (a late reply), and one that matches nothing — then again after ONEWAY
// one-way messages (another tenant's) were sent to the number later (before: the newest 1000 attempts
// of any kind were read, so they pushed every 2-way job out). Anchor: the old query (LIMIT 10 over all
// attempts, digits compared), which gave the older jobs' replies no job.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, migrate } from '../dist/store/db.js';
import { ReplyStore } from '../dist/store/replies.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const OPEN = Number(process.env.BENCH_OPEN ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500);
const ONEWAY = Number(process.env.BENCH_ONEWAY ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'switchpost-bench-'));
const db = openDb(join(dir, 'bench.db'));
migrate(db);
const now = Date.now();
db.prepare("INSERT INTO users (user_code, password_hash, role, timezone, country, created_at, updated_at) VALUES ('bench', 'x', 'user', 'UTC', 'AU', 0, 0)").run();
const job = db.prepare("INSERT INTO jobs (user_id, face, channel, sender, reply_until, created_at) VALUES (1, 'welcorp', 'sms2way', ?, ?, ?)");
const rcpt = db.prepare("INSERT INTO recipients (job_id, seq, destination, state, due_at) VALUES (?, 0, '+61491570156', 'delivered', 0)");
// Attempts as the spool writes them (two_way from the job's channel), one a minute up to now.
const att = db.prepare(
  "INSERT INTO attempts (recipient_id, job_id, provider_id, try, destination, sender, queued_at, status, two_way) VALUES (?, ?, 1, 1, '+61491570156', ?, ?, 'delivered', (SELECT 1 FROM jobs WHERE id = ? AND channel IN ('sms2way', 'mms')))",
);
const firstOpen = JOBS - OPEN;
db.transaction(() => {
  for (let i = 0; i < JOBS; i++) {
    const sender = i === 0 || i === firstOpen ? '+61412345600' : i % 4 === 0 ? '+61412345601' : '+61412345602';
    const j = Number(job.run(sender, i >= firstOpen ? now + 86_400_000 : now - 1000, i).lastInsertRowid);
    att.run(Number(rcpt.run(j).lastInsertRowid), j, sender, now - (JOBS - i) * 60_000, j);
  }
})();
const replies = new ReplyStore(db, 'AU');
const old = db.prepare("SELECT a.recipient_id, a.job_id, a.sender FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE a.destination = ? AND j.channel IN ('sms2way', 'mms') ORDER BY a.id DESC LIMIT 10");
const time = (fn) => {
  for (let i = 0; i < 5; i++) fn();
  const t = performance.now();
  for (let i = 0; i < ROUNDS; i++) fn();
  return ((performance.now() - t) * 1000) / ROUNDS;
};
const q = (from, to, at = now) => ({ from, to, providerId: 1, userId: null, at });
if (replies.replyTarget(q('+61491570156', '+61412345600'))?.job_id !== firstOpen + 1) throw new Error('the oldest open job was not matched');
const rows = () => [
  ["to the newest job's sender, E.164", () => replies.replyTarget(q('+61491570156', '+61412345602'))],
  ["to the newest job's sender, national (SMPP TON 2, Kannel)", () => replies.replyTarget(q('61491570156', '0412345602'))],
  [`to the oldest of ${OPEN} open jobs' sender`, () => replies.replyTarget(q('+61491570156', '+61412345600'))],
  ['after every reply window (late, recorded)', () => replies.replyTarget(q('+61491570156', '+61412345601', now + 2 * 86_400_000))],
  ['matching no job', () => replies.replyTarget(q('+61491570156', '+61499999999'))],
  ['old query (anchor)', () => old.all('+61491570156')],
];
console.log(`reply matching, ${JOBS} 2-way jobs to one number in the last ${Math.round(JOBS / 1440)} days, ${OPEN} of them open (under load):`);
for (const [name, fn] of rows()) console.log(`  ${name.padEnd(58)} ${time(fn).toFixed(1).padStart(8)} µs/reply`);
// Another tenant's one-way traffic to the number, all of it after the 2-way jobs.
db.prepare("INSERT INTO jobs (user_id, face, channel, created_at) VALUES (1, 'welcorp', 'sms', ?)").run(now);
const oneWay = JOBS + 1;
db.transaction(() => {
  for (let i = 0; i < ONEWAY; i++) att.run(Number(rcpt.run(oneWay).lastInsertRowid), oneWay, 'Promo', now, oneWay);
})();
if (replies.replyTarget(q('+61491570156', '+61412345600'))?.job_id !== firstOpen + 1) throw new Error(`${ONEWAY} one-way messages pushed the open job out`);
console.log(`after ${ONEWAY} later one-way messages to the number (the oldest open job still matched; before: no job):`);
for (const [name, fn] of rows().slice(0, 5)) console.log(`  ${name.padEnd(58)} ${time(fn).toFixed(1).padStart(8)} µs/reply`);
db.close();
rmSync(dir, { recursive: true, force: true });
