import { describe, expect, it } from 'vitest';
import { JobStore } from '../../dist/store/jobs.js';
import { plainJob } from '../../dist/core/jobs.js';
import { smsContent } from '../../dist/core/content.js';
import { SwitchpostError, ValidationError, errorCodeOf } from '../../dist/core/errors.js';
import { reviveError, sendError } from '../../dist/store/remote-errors.js';
import { tempDb, seedJob } from '../helpers/temp-db.js';

// A face checks its caller, then the engine's thread writes: a user or a row deleted in between must be
// answered as what it is (401, 409), never as a server failure.
describe('writes that refer to something deleted meanwhile', () => {
  const db = tempDb();
  const job = (userId: number) => plainJob({ userId, face: 'v1', channel: 'sms', content: smsContent({ template: 'Hi' }), recipients: [{ destination: '+61491570001', name: null, reference: null, fields: null, blackouts: null }] });

  it('a job for a user deleted after its request was authenticated is refused as unauthenticated, and nothing of it is stored', () => {
    const jobs = new JobStore(db());
    seedJob(db(), 0);
    expect(jobs.create(job(1))).toBeGreaterThan(0);
    const before = db().prepare('SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM recipients) AS recipients').get();
    let thrown: unknown;
    try {
      jobs.create(job(42));
    } catch (err) {
      thrown = err;
    }
    expect(errorCodeOf(thrown)).toBe('unauthenticated');
    // Across the engine's thread it stays what it is.
    const revived = reviveError(sendError(thrown));
    expect(revived).toBeInstanceOf(SwitchpostError);
    expect(errorCodeOf(revived)).toBe('unauthenticated');
    expect(db().prepare('SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM recipients) AS recipients').get()).toEqual(before);
  });

  it("any other store's foreign-key refusal crosses the thread as a conflict (409 in every face), not an untyped error", () => {
    seedJob(db(), 0);
    let thrown: unknown;
    try {
      db().prepare(`INSERT INTO contacts (user_id, created_at, updated_at) VALUES (42, 0, 0)`).run();
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { code?: string }).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
    const sent = sendError(thrown);
    expect(sent.errorCode).toBe('conflict');
    const revived = reviveError(sent);
    expect(errorCodeOf(revived)).toBe('conflict');
    expect(revived.message).toMatch(/deleted meanwhile; nothing was stored/);
  });

  it('a validation error keeps its field across the thread; an untyped error stays untyped (the face answers it 500)', () => {
    const v = reviveError(sendError(ValidationError.at('recipients.0.destination', 'not a number')));
    expect(v).toBeInstanceOf(ValidationError);
    expect((v as ValidationError).field).toBe('recipients.0.destination');
    expect(v.message).toBe('recipients.0.destination: not a number');
    const plain = reviveError(sendError(new TypeError('boom')));
    expect(errorCodeOf(plain)).toBeNull();
    expect(plain.name).toBe('TypeError');
  });
});
