import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './setup/build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));

describe('the suite tests what the sources say', () => {
  it('every source module has its output in dist/, built no earlier than the source was written', () => {
    const stale = sources(join(ROOT, 'src')).filter((src) => {
      const out = join(ROOT, 'dist', relative(join(ROOT, 'src'), src).replace(/\.ts$/, '.js'));
      try {
        return statSync(out).mtimeMs < statSync(src).mtimeMs;
      } catch {
        return true;
      }
    });
    expect(stale.map((s) => relative(ROOT, s))).toEqual([]);
    expect(statSync(join(ROOT, 'dist', 'media', 'office-bridge.py')).isFile()).toBe(true);
    for (const f of ['status.html', 'status.js', 'status.css', 'favicon.svg']) expect(statSync(join(ROOT, 'dist', 'ops', 'status-page', f)).isFile()).toBe(true);
  });

  it('a compiler error fails the build with the compiler message, and leaves no old output behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchpost-build-'));
    try {
      mkdirSync(join(dir, 'src', 'media'), { recursive: true });
      mkdirSync(join(dir, 'dist'));
      writeFileSync(join(dir, 'dist', 'old.js'), '');
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, outDir: 'dist', rootDir: 'src', types: [] }, include: ['src/**/*.ts'] }));
      writeFileSync(join(dir, 'src', 'broken.ts'), 'export const n: number = "not a number";\n');
      writeFileSync(join(dir, 'src', 'media', 'office-bridge.py'), '');
      expect(() => build(dir)).toThrow(/build failed[\s\S]*broken\.ts[\s\S]*TS2322/);
      expect(() => statSync(join(dir, 'dist', 'old.js'))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
