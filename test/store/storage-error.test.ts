import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PermissionDenied, permissionDeniedOf, StorageError, storageErrorOf } from '../../dist/store/storage-error.js';

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

/** What `fn` throws when run without the rights of the file's owner: as nobody when root (root passes every check). */
function thrownAsOther(fn: () => unknown): unknown {
  if (process.getuid?.() !== 0) return thrown(fn);
  process.seteuid!(65534);
  try {
    return thrown(fn);
  } finally {
    process.seteuid!(0);
  }
}

describe('permission denied and the codes that are not the disk', () => {
  it('maps a file the daemon may not open (read or write) to PermissionDenied, not a 503 storage error', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'x');
    chmodSync(file, 0o600);
    if (process.getuid?.() !== 0) chmodSync(file, 0);
    for (const err of [thrownAsOther(() => readFileSync(file)), thrownAsOther(() => writeFileSync(file, 'y'))]) {
      expect((err as NodeJS.ErrnoException).code).toBe('EACCES');
      expect(storageErrorOf(err)).toBeNull();
      const denied = permissionDeniedOf(err);
      expect(denied).toBeInstanceOf(PermissionDenied);
      expect(denied).toMatchObject({ code: 'denied', where: file });
      expect(denied!.message).not.toContain(file);
      expect(denied!.forOperator).toContain(file);
    }
    expect(permissionDeniedOf(Object.assign(new Error('EPERM'), { code: 'EPERM', syscall: 'chmod', path: '/d' }))).toMatchObject({ where: '/d' });
    expect(permissionDeniedOf(new Database.SqliteError('access permission denied', 'SQLITE_PERM'))).toMatchObject({ where: 'the database' });
  });

  it('leaves a database that cannot be opened (a directory in its place, too many open files) to the 500', () => {
    const err = thrown(() => new Database(dir));
    expect((err as { code: string }).code).toBe('SQLITE_CANTOPEN');
    expect(storageErrorOf(err)).toBeNull();
    expect(permissionDeniedOf(err)).toBeNull();
  });

  it('keeps the disk codes: SQLite full, read-only and I/O (not a moved file or memory), ENOSPC, EDQUOT, EROFS, EIO', () => {
    const sqlite = (code: string) => storageErrorOf(new Database.SqliteError('x', code))?.code ?? null;
    expect(['SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC'].map(sqlite)).toEqual(['full', 'read_only', 'read_only', 'io', 'io', 'io']);
    expect(['SQLITE_READONLY_DBMOVED', 'SQLITE_IOERR_NOMEM', 'SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_CORRUPT', 'SQLITE_NOMEM'].map(sqlite)).toEqual([null, null, null, null, null, null]);
    const errno = (code: string) => storageErrorOf(Object.assign(new Error(code), { code, syscall: 'write', path: '/d/f' }))?.code ?? null;
    expect(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM', 'EMFILE'].map(errno)).toEqual(['full', 'full', 'read_only', 'io', null, null, null]);
  });
});
