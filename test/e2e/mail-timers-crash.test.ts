import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cli, exited, freePort, killAll, startProcess } from '../helpers/process.js';
import { basic } from '../helpers/daemon.js';

// A batch of replies waits on a durable timer (mail_timers): a daemon killed while it waits sends the
// batch e-mail after its restart, once.
let dir: string;
let env: Record<string, string>;

const withDb = <T>(fn: (d: Database.Database) => T, readonly = true): T => {
  const d = new Database(join(dir, 'switchpost.db'), { readonly });
  try {
    return fn(d);
  } finally {
    d.close();
  }
};
const count = (sql: string, ...p: unknown[]) => withDb((d) => (d.prepare(sql).get(...p) as { n: number }).n);
const until = async (fn: () => boolean, ms = 15_000) => {
  for (const end = Date.now() + ms; !fn();) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-mail-crash-'));
});
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('batched reply e-mails survive a crash', () => {
  beforeAll(async () => {
    env = {
      SWITCHPOST_DATA_DIR: dir,
      SWITCHPOST_HTTP_PORT: String(await freePort()),
      SWITCHPOST_LOG_LEVEL: 'warn',
      SWITCHPOST_SPOOL_POLL_MS: '20',
      SWITCHPOST_SANDBOX_ACCEPT_MS: '[1, 5]',
      SWITCHPOST_SANDBOX_RECEIPT_MS: '[5, 20]',
      SWITCHPOST_SANDBOX_REPLY_MS: '10',
      SWITCHPOST_EMAIL_SYSTEM_FROM: 'noreply@switchpost.test',
    };
    expect(cli(['user', 'add', 'mail', '--role', 'user', '--password', 'mail-password'], env).status).toBe(0);
  });

  it('SIGKILL while the timer waits; after the restart its e-mail job is made once, with every reply', async () => {
    let p = await startProcess(env);
    const res = await fetch(`${p.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('mail', 'mail-password'), 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: '2 way sms', job_name: 'crash', message: 'Reply?', response_email_address: 'batch@example.com', batch_replies: true, recipients: [{ destination: '+61491570006' }, { destination: '+61491570007' }] }),
    });
    expect(res.status).toBe(200);
    const job = ((await res.json()) as { data: number }).data;
    await until(() => count('SELECT COUNT(*) AS n FROM inbound WHERE job_id = ?', job) === 2);
    expect(count('SELECT COUNT(*) AS n FROM mail_timers WHERE job_id = ?', job)).toBe(1);
    const gone = exited(p.child);
    p.child.kill('SIGKILL');
    await gone;
    // Its reply window has ended while the daemon was down.
    withDb((d) => {
      d.prepare('UPDATE mail_timers SET due_at = ? WHERE job_id = ?').run(Date.now(), job);
      d.prepare('UPDATE jobs SET reply_until = ? WHERE id = ?').run(Date.now(), job);
    }, false);
    p = await startProcess(env);
    const mailJobs = `SELECT COUNT(*) AS n FROM jobs WHERE json_extract(options, '$.for_job') = ? AND json_extract(options, '$.system') = 'replies'`;
    await until(() => count(mailJobs, job) === 1 && count("SELECT COUNT(*) AS n FROM jobs WHERE json_extract(options, '$.for_job') = ? AND status = 'complete'", job) === 1);
    expect(count('SELECT COUNT(*) AS n FROM mail_timers WHERE job_id = ?', job)).toBe(0);
    const text = withDb((d) => JSON.parse((d.prepare(`SELECT content FROM jobs WHERE json_extract(options, '$.for_job') = ?`).get(job) as { content: string }).content).text as string);
    expect(text).toContain('Yes, thanks');
    expect(text).toContain('\n\nSTOP\n');
    await new Promise((r) => setTimeout(r, 1500));
    expect(count(mailJobs, job)).toBe(1);
    const stopped = exited(p.child);
    p.child.kill('SIGTERM');
    expect((await stopped).code).toBe(0);
  }, 60_000);
});
