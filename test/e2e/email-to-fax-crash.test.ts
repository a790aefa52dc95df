import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTransport } from 'nodemailer';
import { cli, freePort, killAll, startProcess } from '../helpers/process.js';

// E-mail to fax answers 250 to DATA only once its fax job is committed: the daemon, a real process,
// is killed (SIGKILL) the moment the 250 arrives; the job is in its database after it, and is sent
// when the daemon starts again.
const dir = mkdtempSync(join(tmpdir(), 'switchpost-etof-crash-'));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = <T>(sql: string, ...p: unknown[]): T => {
  const db = new Database(join(dir, 'switchpost.db'), { readonly: true });
  try {
    return db.prepare(sql).get(...p) as T;
  } finally {
    db.close();
  }
};

describe('e-mail to fax across a crash', () => {
  it('a fax job answered 250 survives SIGKILL right after, and is sent after the restart', async () => {
    const smtpPort = await freePort();
    const env = {
      SWITCHPOST_DATA_DIR: dir,
      SWITCHPOST_HTTP_PORT: String(await freePort()),
      SWITCHPOST_LOG_LEVEL: 'warn',
      SWITCHPOST_SPOOL_POLL_MS: '20',
      SWITCHPOST_EMAIL_SYSTEM_FROM: 'noreply@switchpost.test',
      SWITCHPOST_EMAIL_LISTENER_ENABLED: 'true',
      SWITCHPOST_EMAIL_LISTENER_PORT: String(smtpPort),
      SWITCHPOST_EMAIL_LISTENER_MAX_MESSAGE_KB: '1024',
      SWITCHPOST_EMAIL_LISTENER_FAX_DOMAINS: '["fax.switchpost.test"]',
      SWITCHPOST_EMAIL_LISTENER_ALLOW_INSECURE_AUTH: 'true',
      // Held long enough that the job is still queued when the process dies.
      SWITCHPOST_SANDBOX_ACCEPT_MS: '[20, 80]',
    };
    expect(cli(['user', 'add', 'faxer', '--role', 'user', '--password', 'faxer-password'], env).status).toBe(0);
    const first = await startProcess(env);
    const mail = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, auth: { user: 'faxer', pass: 'faxer-password' }, logger: false });
    const info = await mail.sendMail({ from: 'faxer@example.com', to: '+61491570021@fax.switchpost.test', subject: 'Crash', text: 'x', attachments: [{ filename: 'page.txt', content: 'One page of text\n' }] });
    first.child.kill('SIGKILL');
    expect(info.response).toMatch(/^250 .*fax job \d+/);
    const jobId = Number(/fax job (\d+)/.exec(info.response)![1]);
    await new Promise((r) => first.child.once('exit', r));
    expect(read<{ channel: string; total: number }>('SELECT channel, total FROM jobs WHERE id = ?', jobId)).toEqual({ channel: 'fax', total: 1 });
    // After the restart the spool sends what was stored.
    await startProcess(env);
    const until = Date.now() + 60_000;
    let state = '';
    while (Date.now() < until) {
      state = read<{ state: string }>('SELECT state FROM recipients WHERE job_id = ?', jobId).state;
      if (state === 'delivered') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('delivered');
  }, 120_000);
});
