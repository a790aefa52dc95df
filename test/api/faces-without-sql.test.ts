import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const API = fileURLToPath(new URL('../../src/api', import.meta.url));
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('faces hold no SQL and no timers (issue 13: stores in src/store, schedules in the spool)', () => {
  it('no module under src/api imports the database, prepares or runs SQL, or schedules with node-cron', () => {
    const found = files(API).flatMap((f) => {
      const src = readFileSync(f, 'utf8');
      const why = [
        /from '(\.\.\/)+store\/db\.js'/.test(src) && 'imports store/db.js',
        /\.prepare\(|\.transaction\(|\bstmt\(/.test(src) && 'runs SQL',
        /\b(INSERT INTO|SELECT \S+ FROM|DELETE FROM|UPDATE \w+ SET)\b/.test(src) && 'holds SQL text',
        /from 'node-cron'/.test(src) && 'imports node-cron',
      ].filter(Boolean);
      return why.length ? [`${relative(API, f)}: ${why.join(', ')}`] : [];
    });
    expect(found).toEqual([]);
  });
});
