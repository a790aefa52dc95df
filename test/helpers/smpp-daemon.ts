import { expect } from 'vitest';
import { testDaemon, type TestDaemon } from './daemon.js';
import { TestSmsc } from '../peers/smsc.js';

/** Short timers for tests: a dead link is seen and a bind retried within a second. */
export const FAST_SMPP = { window: 10, reconnect_min_ms: 50, reconnect_max_ms: 200, response_timeout_ms: 1500, enquire_link_ms: 30_000, inactivity_ms: 60_000, throttle_pause_ms: 100 };

/** Until the daemon's /health says a provider is up. */
export async function waitUp(dd: TestDaemon): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const h = await dd.api('GET', '/health');
    if (h.json?.providers?.some((p: { up: boolean }) => p.up)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('provider never came up');
}

/** A real SMSC peer on loopback and a daemon whose only provider binds to it, up; and a user. */
export async function smppDaemon(script?: ConstructorParameters<typeof TestSmsc>[0]['script'], settings: Record<string, unknown> = {}, smscOpts: Record<string, unknown> = {}) {
  const smsc = new TestSmsc({ systemId: 'esme', password: 'secret', script, ...smscOpts });
  const port = await smsc.listen();
  const d = await testDaemon({
    sandbox: { enabled: false },
    providers: [{ name: 'smsc', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port, username: 'esme', password: 'secret', settings: { ...FAST_SMPP, ...settings } }],
  });
  return { d, smsc, u: d.addUser('u', 'user') };
}

/** A v1 SMS job posted as the user; its id. */
export const postSms = async (dd: TestDaemon, auth: string, body: Record<string, unknown>): Promise<number> => {
  const r = await dd.api('POST', '/api/v1/jobs', { auth, body: { job_type: 'sms', ...body } });
  expect(r.status).toBe(200);
  return r.json.data as number;
};

/** Whether the job has completed, for waitFor. */
export const jobComplete = (dd: TestDaemon, job: number) => () => (dd.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
