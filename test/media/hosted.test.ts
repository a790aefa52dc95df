// Hosted media files in the data directory: nothing a ref says reaches outside it.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostedFiles } from '../../dist/media/hosted.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sp-hosted-'));
  dirs.push(d);
  return d;
};

describe('HostedFiles', () => {
  it('keeps an object with its type and reads it back; removes it', async () => {
    const root = temp();
    const files = new HostedFiles(join(root, 'hosted'));
    files.put('file', 'j1', { contentType: 'Image/JPEG', bytes: Buffer.from([1, 2, 3]) });
    expect(await files.read('file', 'j1')).toEqual({ contentType: 'image/jpeg', bytes: Buffer.from([1, 2, 3]) });
    expect(await files.read('mms', 'j1')).toBeNull(); // kinds are kept apart
    files.remove('file', 'j1');
    expect(await files.read('file', 'j1')).toBeNull();
  });

  it('never reads or writes outside its directory, whatever the ref', async () => {
    const root = temp();
    writeFileSync(join(root, 'secret'), 'key');
    writeFileSync(join(root, 'secret.type'), 'text/plain');
    const files = new HostedFiles(join(root, 'hosted'));
    for (const ref of ['../../secret', '..', '.', '', 'a/b', 'a\\b', '%2e%2e', 'x'.repeat(65), 'ok\0']) {
      expect(await files.read('file', ref), ref).toBeNull();
      expect(() => files.put('file', ref, { contentType: 'text/plain', bytes: Buffer.from('x') }), ref).toThrow(RangeError);
    }
    expect(() => files.put('file', 'ok', { contentType: 'not a type', bytes: Buffer.from('x') })).toThrow(RangeError);
    expect(existsSync(join(root, 'hosted', 'file', 'ok'))).toBe(false);
  });

  it('keeps an object until the latest time asked, then removes it; never one it was not asked to keep', async () => {
    const root = temp();
    const files = new HostedFiles(join(root, 'hosted'));
    files.put('file', 'j1p1', { contentType: 'image/png', bytes: Buffer.from([1]) });
    files.put('file', 'j2p1', { contentType: 'image/png', bytes: Buffer.from([2]) });
    files.keepUntil('file', 'j1p1', 2000);
    files.keepUntil('file', 'j1p1', 1000); // never moved earlier
    writeFileSync(join(root, 'hosted', 'file', '..until'), '0'); // a name no ref has
    expect(files.removeExpired('file', 1500)).toEqual([]);
    expect(files.has('file', 'j1p1')).toBe(true);
    expect(files.removeExpired('file', 2500)).toEqual(['j1p1']);
    expect(files.has('file', 'j1p1')).toBe(false);
    expect(existsSync(join(root, 'hosted', 'file', 'j1p1.until'))).toBe(false);
    expect(await files.read('file', 'j2p1')).toEqual({ contentType: 'image/png', bytes: Buffer.from([2]) });
    expect(files.removeExpired('mms', 2500)).toEqual([]); // no directory yet
  });
});
