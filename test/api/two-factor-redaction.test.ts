import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, migrate, type Db } from '../../dist/store/db.js';
import { UserStore } from '../../dist/store/users.js';
import { JobStore } from '../../dist/store/jobs.js';
import { EventBus } from '../../dist/events/bus.js';
import { redactFinishedTwoFactor } from '../../dist/api/welcorp/two-factor-redaction.js';
import { plainJob } from '../../dist/core/jobs.js';

let dir: string;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('2FA redaction (its own module, wired by main)', () => {
  it('keeps only the template of a finished 2FA job; other jobs and unfinished ones keep their text', () => {
    dir = mkdtempSync(join(tmpdir(), 'switchpost-2fa-'));
    db = openDb(join(dir, 'switchpost.db'));
    migrate(db);
    const userId = new UserStore(db).add({ user_code: 'u', password: 'pw-u-secret', role: 'user', timezone: 'UTC', country: 'AU' });
    const jobs = new JobStore(db);
    const job = (text: string, options: Record<string, unknown>) =>
      jobs.create(
        plainJob({
          userId,
          face: 'welcorp',
          channel: 'sms',
          content: { kind: 'sms', text: { texts: [text] }, sms: {} },
          options,
          recipients: [{ destination: '+61491570156', name: null, reference: null, fields: null, blackouts: null }],
        }),
      );
    const twoFactor = job('Code 123456', { two_factor: true, template: 'Code [[code]]' });
    const waiting = job('Code 654321', { two_factor: true, template: 'Code [[code]]' });
    const plain = job('Hello 123456', {});
    const bus = new EventBus();
    const off = redactFinishedTwoFactor(bus, jobs);
    const finished = (jobId: number) => bus.emit({ type: 'job.finished', at: 1, userId, jobId, status: 'complete', succeeded: 1, failed: 0 });
    finished(twoFactor);
    finished(plain);
    bus.emit({ type: 'job.created', at: 1, userId, jobId: waiting, channel: 'sms', total: 1 });
    const content = (id: number) => JSON.parse(jobs.get(id)!.content);
    expect(content(twoFactor).text).toEqual({ texts: ['Code [[code]]'] });
    expect(content(waiting).text).toEqual({ texts: ['Code 654321'] });
    expect(content(plain).text).toEqual({ texts: ['Hello 123456'] });
    off();
    finished(waiting);
    expect(content(waiting).text).toEqual({ texts: ['Code 654321'] });
  });
});
