import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cli } from '../helpers/process.js';
import { progressText } from '../../dist/ops/progress-text.js';
import { progress } from '../../dist/ops/progress.js';

describe('progressText', () => {
  it('says the step, the share, what is being done and the time', () => {
    expect(progressText({ label: 'converting fax', done: 2, total: 5, elapsedMs: 1234, what: 'invoice.pdf' })).toBe('converting fax  2/5  40%  invoice.pdf  1.2 s');
    expect(progressText({ label: 'migrating the store', done: 17, total: 17, elapsedMs: 65_400 })).toBe('migrating the store  17/17  100%  65 s');
    expect(progressText({ label: 'x', done: 0, total: 0, elapsedMs: 0 })).toBe('x  0/0  0%  0.0 s');
  });
  it('is cut to one column short of the terminal width', () => {
    const line = progressText({ label: 'converting fax', done: 1, total: 3, elapsedMs: 0, what: 'a-very-long-file-name-that-goes-on-and-on.pdf' }, 40);
    expect(line).toHaveLength(39);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('progress', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, s: { isTTY, columns: 80, write: (t: string) => (written.push(t), true) } as unknown as NodeJS.WriteStream };
  };
  it('redraws one line in place on a terminal, no faster than every 100 ms but always the last step, and erases it at the end', () => {
    let t = 0;
    const { written, s } = stream(true);
    const p = progress('work', s, { now: () => t });
    p.step(0, 3);
    t = 50;
    p.step(1, 3); // too soon: skipped
    t = 200;
    p.step(2, 3);
    t = 210;
    p.step(3, 3); // the last: drawn however soon
    p.end();
    expect(written).toEqual(['\r\x1b[2Kwork  0/3  0%  0.0 s', '\r\x1b[2Kwork  2/3  66%  0.2 s', '\r\x1b[2Kwork  3/3  100%  0.2 s', '\r\x1b[2K']);
  });
  it('writes nothing when not on a terminal', () => {
    const { written, s } = stream(false);
    const p = progress('work', s);
    p.step(0, 2);
    p.step(2, 2);
    p.end();
    expect(written).toEqual([]);
  });
});

describe('the CLI on a terminal and off it', () => {
  /** The line erase (carriage return, ESC [2K) made visible, for the matchers. */
  const erased = (s: string) => s.replaceAll('\r\x1b[2K', '<erase>');
  /** Under a pseudo-terminal (util-linux script), as an operator at a shell would run it. */
  const onTty = (args: string[], env: Record<string, string>) => spawnSync('script', ['-qec', [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { env: { ...process.env, ...env }, encoding: 'utf8' });

  it('convert fax shows a progress line on a terminal and none into a pipe, with the same result', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchpost-progress-'));
    try {
      const env = { SWITCHPOST_DATA_DIR: join(dir, 'data') };
      for (const n of ['a', 'b', 'c']) writeFileSync(join(dir, `${n}.txt`), `page ${n}\n`);
      const files = ['a', 'b', 'c'].map((n) => join(dir, `${n}.txt`));
      const tty = onTty(['convert', 'fax', ...files, join(dir, 'tty.tif')], env);
      expect(tty.status, tty.stderr).toBe(0);
      expect(tty.stdout).toContain('\r\x1b[2Kconverting fax  0/4  0%');
      // The steps between are drawn at most every 100 ms: a fast conversion shows the first and the last.
      const shown = erased(tty.stdout);
      expect(shown).toMatch(/<erase>converting fax {2}4\/4 {2}100% {2}3 page\(s\)/);
      expect(shown).toMatch(/<erase>wrote .*tty\.tif: 3 page\(s\)/);
      const piped = cli(['convert', 'fax', ...files, join(dir, 'pipe.tif')], env);
      expect(piped.status, piped.stderr).toBe(0);
      expect(piped.stdout).toMatch(/^wrote .*pipe\.tif: 3 page\(s\), 1728 px wide/);
      expect(piped.stdout).not.toContain('\r');
      expect(piped.stdout).not.toContain('converting fax');
      expect(existsSync(join(dir, 'pipe.tif'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('migrate shows each migration on a terminal, and prints only its result into a pipe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchpost-progress-'));
    try {
      const tty = onTty(['migrate'], { SWITCHPOST_DATA_DIR: join(dir, 'tty') });
      expect(tty.status, tty.stderr).toBe(0);
      expect(erased(tty.stdout)).toMatch(/<erase>migrating the store {2}0\/\d+ {2}0% {2}1 /);
      expect(tty.stdout).toMatch(/is at schema version \d+/);
      const piped = cli(['migrate'], { SWITCHPOST_DATA_DIR: join(dir, 'pipe') });
      expect(piped.status, piped.stderr).toBe(0);
      expect(piped.stdout).toMatch(/^database .* is at schema version \d+\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
