import { describe, expect, it } from 'vitest';
import { pgText } from '../../dist/store/pg/text.js';
import { JobStore } from '../../dist/store/jobs.js';
import { UserStore } from '../../dist/store/users.js';
import { ReplyStore } from '../../dist/store/replies.js';
import { RetentionStore } from '../../dist/store/retention.js';
import { plainJob } from '../../dist/core/jobs.js';
import { smsContent } from '../../dist/core/content.js';
import { storeEngines, storeUser } from '../helpers/store-engines.js';
import { ODD_TEXT, oddRecipient } from '../helpers/odd-recipients.js';

/**
 * PostgreSQL's text holds no NUL and no lone surrogate: the facade binds a string with U+FFFD in their
 * place (src/store/pg/text.ts), so a write of network input never fails on them.
 */
describe('pgText', () => {
  it('puts U+FFFD for each NUL and lone surrogate, keeping pairs and everything else', () => {
    expect(pgText('plain')).toBe('plain');
    expect(pgText('a\u0000b\u0000')).toBe('a\uFFFDb\uFFFD');
    expect(pgText('lone \ud800 high, lone \udc00 low')).toBe('lone \uFFFD high, lone \uFFFD low');
    expect(pgText('pair 😀 \ud83d\ude00')).toBe('pair 😀 😀');
    expect(pgText('\ude00\ud83d')).toBe('\uFFFD\uFFFD');
    expect(pgText('ctl \u0001\n\t')).toBe('ctl \u0001\n\t');
    // What UTF-8 encoding makes of a lone surrogate: the same.
    expect(pgText('x\ud800y')).toBe(Buffer.from('x\ud800y', 'utf8').toString('utf8'));
  });

  it("in JSON text, each escape of a NUL or a lone surrogate too (jsonb refuses them), never an escaped backslash's", () => {
    const doc = JSON.stringify({ a: 'nul \u0000', b: 'lone \ud800', c: 'pair 😀', d: 'text \\u0000 as typed' });
    const clean = pgText(doc);
    expect(JSON.parse(clean)).toEqual({ a: 'nul \uFFFD', b: 'lone \uFFFD', c: 'pair 😀', d: 'text \\u0000 as typed' });
    expect(JSON.parse(pgText('["\\ud83d\\ude00", "\\uD800", "\\\\\\u0000"]'))).toEqual(['😀', '\uFFFD', '\\\uFFFD']);
    // Text that is not JSON keeps its backslashes.
    expect(pgText('typed \\u0000')).toBe('typed \\u0000');
  });
});

const { engines } = storeEngines();

describe.each(engines)('text PostgreSQL cannot hold, on $name', ({ name, open }) => {
  it("a job's recipients, a user's profile and an MO with a NUL or a lone surrogate are stored (U+FFFD on PostgreSQL), never refused", async () => {
    const db = await open();
    const pg = name === 'PostgreSQL';
    // SQLite keeps a NUL (and a JSON escape of a lone surrogate); a lone surrogate in text it stores as its three bytes, read back as three U+FFFD.
    const stored = (s: string) => (pg ? pgText(s) : s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD\uFFFD\uFFFD'));
    const users = new UserStore(db);
    const userId = users.add(storeUser('u', { profile: { note: 'nul \u0000 lone \ud800', maximum_document_retention_hours: 1 } }));
    expect(JSON.parse(users.byId(userId)!.profile as unknown as string)).toMatchObject({ note: pg ? pgText('nul \u0000 lone \ud800') : 'nul \u0000 lone \ud800' });
    // The profile stays JSON PostgreSQL reads (retention casts it to jsonb).
    expect(new RetentionStore(db).expire(Date.now(), 10)).toBe(0);
    const recipients = ODD_TEXT.map((_, i) => oddRecipient(ODD_TEXT)(i));
    const jobs = new JobStore(db);
    const job = jobs.create(plainJob({ userId, face: 'welcorp', channel: 'sms', name: 'job \u0000', content: smsContent({ template: 'hi \u0000 \udfff' }), recipients }));
    const rows = db.prepare('SELECT name, reference FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { name: string | null; reference: string | null }[];
    expect(rows).toEqual(recipients.map((r) => ({ name: r.name === null ? null : stored(r.name), reference: r.reference === null ? null : stored(r.reference) })));
    expect(jobs.get(job)!.name).toBe(stored('job \u0000'));
    // An MO as a gateway hands it over.
    const replies = new ReplyStore(db, 'AU');
    const id = replies.insertInbound({ providerId: null, userId, channel: 'sms', from: '+61491570156', to: '+61400000000', text: 'MO \u0000 with a NUL \ud800', jobId: null, recipientId: null, at: Date.now(), data: { udh: 'x\u0000' } });
    expect(db.prepare('SELECT body, data FROM inbound WHERE id = ?').get(id)).toEqual({ body: stored('MO \u0000 with a NUL \ud800'), data: stored(JSON.stringify({ udh: 'x\u0000' })) });
  });
});
