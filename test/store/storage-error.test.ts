import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError, storageErrorOf } from '../../dist/store/storage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'switchpost-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `fn` throws (it must throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('storageErrorOf', () => {
  it('maps SQLite refusing a write to a typed StorageError', () => {
    const file = join(dir, 'ro.db');
    new Database(file).exec('CREATE TABLE t (x)');
    const ro = new Database(file, { readonly: true });
    const err = thrown(() => ro.exec('INSERT INTO t VALUES (1)'));
    ro.close();
    const s = storageErrorOf(err);
    expect(s).toBeInstanceOf(StorageError);
    expect(s).toMatchObject({ code: 'read_only', where: 'the database', message: 'storage is read-only' });
    expect(s!.publicMessage).toBe('storage is read-only; nothing was stored, try again later');
  });

  it('maps a file system call, naming its path for the log', () => {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write', path: '/data/media/x.tmp' });
    expect(storageErrorOf(err)).toMatchObject({ code: 'full', where: '/data/media/x.tmp' });
    expect(storageErrorOf(Object.assign(new Error('EROFS'), { code: 'EROFS', syscall: 'open', path: '/d' }))).toMatchObject({ code: 'read_only' });
  });

  it('leaves other errors alone: a constraint, a missing file, a child that cannot run, a port refused', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x UNIQUE)');
    db.exec('INSERT INTO t VALUES (1)');
    expect(storageErrorOf(thrown(() => db.exec('INSERT INTO t VALUES (1)')))).toBeNull();
    expect(storageErrorOf(thrown(() => writeFileSync(join(dir, 'no', 'such', 'dir'), 'x')))).toBeNull();
    const script = join(dir, 'not-executable');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o644);
    const child = spawnSync(script);
    expect((child.error as NodeJS.ErrnoException).code).toBe('EACCES');
    expect(storageErrorOf(child.error)).toBeNull();
    // What Node throws for a port below 1024 without the privilege (tests run as root, so made by hand).
    const listenErr = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES', errno: -13, syscall: 'listen', address: '0.0.0.0', port: 80 });
    expect(storageErrorOf(listenErr)).toBeNull();
    expect(storageErrorOf(new Error('plain'))).toBeNull();
    expect(storageErrorOf('text')).toBeNull();
  });
});
