import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../../dist/store/db.js';
import { MIGRATIONS } from '../../dist/store/migrations.js';
import { UserStore } from '../../dist/store/users.js';
import { parseContent } from '../../dist/core/content.js';
import { LEGACY } from '../fixtures/legacy-content.js';

describe("migration 12: stored content in the domain's words", () => {
  it('turns every legacy shape into typed content that reads back, the same job as before', () => {
    const db = openDb(':memory:');
    migrate(
      db,
      MIGRATIONS.filter((m: { version: number }) => m.version < 12),
    );
    const userId = new UserStore(db).add({ user_code: 'u', password: 'pw-u-secret', role: 'user', timezone: 'UTC', country: 'AU' });
    const insert = db.prepare('INSERT INTO jobs (user_id, face, channel, content, created_at) VALUES (?, ?, ?, ?, 1)');
    for (const [channel, content] of LEGACY) insert.run(userId, 'welcorp', channel, JSON.stringify(content));
    expect(migrate(db).map((m: { version: number }) => m.version)).toContain(12);
    const stored = (db.prepare('SELECT content FROM jobs ORDER BY id').all() as { content: string }[]).map((r) => parseContent(r.content));
    expect(stored).toEqual([
      { kind: 'sms', text: { template: 'Hi [[recipient]]' }, sms: { maxParts: 10 } },
      { kind: 'sms', text: { texts: ['first', 'second'] }, sms: { encoding: 'ucs2', invalid: 'refuse', maxParts: 255, flash: true, validityMinutes: null } },
      { kind: 'sms', text: { texts: ['Code [[code]]'] }, sms: {} },
      {
        kind: 'call',
        text: { template: 'Press 1' },
        voice: 'en-au',
        header: 'Hello',
        voicemail: null,
        recording: null,
        repeat: false,
        responses: [
          { key: '1', message: 'Thanks', redirectTo: '+6987654321' },
          { key: '2', message: null, redirectTo: '+6987654322' },
        ],
      },
      { kind: 'call', text: { template: 'Spoken' }, voice: 'default', header: null, voicemail: 'Call us', recording: null, repeat: false, responses: [] },
      { kind: 'call', text: { texts: ['Your code is 1'] }, voice: 'default', header: null, voicemail: null, recording: null, repeat: true, responses: [] },
      { kind: 'call', text: { template: '' }, voice: 'default', header: null, voicemail: null, recording: { file: '/data/media/audio/a.wav', name: 'message.mp3' }, repeat: true, responses: [] },
      { kind: 'fax', document: '/data/media/fax/a.tiff', pages: 3, fine: true, header: 'Acme', fileNames: ['a.pdf', 'b.txt'] },
    ]);
    db.close();
  });
});
