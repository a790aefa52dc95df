import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bearerToken } from '../../dist/core/bearer.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('Bearer parsing in one place (ICTCore face, live stream, metrics)', () => {
  it('reads the token of a Bearer header in any case; blank is ""; other schemes and none are null', () => {
    expect(bearerToken('Bearer abc.def ')).toBe('abc.def');
    expect(bearerToken('bearer\tabc')).toBe('abc');
    expect(bearerToken(['BEARER x', 'Bearer y'])).toBe('x');
    expect(bearerToken('Bearer  ')).toBe('');
    expect(bearerToken('Basic dTpw')).toBeNull();
    expect(bearerToken('Bearerabc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('no other source module parses Bearer headers itself', () => {
    const parsers = files(SRC)
      .filter((f) => /\/\^bearer/i.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(parsers).toEqual(['core/bearer.ts']);
  });
});
