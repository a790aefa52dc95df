import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A small ext4 file system on a loop device that a test can freeze (fsfreeze -f) and thaw: every write
 * to it blocks in the kernel until thawed, as on a stalled disk. Needs root and util-linux/e2fsprogs.
 *
 * A thread that writes to a frozen file system sits in D state and cannot be killed, so every freeze
 * arms a detached guard process that thaws at a fixed deadline whatever happens to this process.
 */
export interface FrozenDisk {
  /** The mount point: put what should stall inside it. */
  readonly mnt: string;
  /** A directory beside the image, on the ordinary disk (configs, logs). */
  readonly base: string;
  /** Freeze now; a detached guard thaws after `thawWithinMs` even if this process is blocked or gone. */
  freeze(thawWithinMs: number): void;
  /** Thaw now (nothing happens if not frozen). */
  thaw(): void;
  /** Thaw, unmount, detach the loop device, delete the image. Safe to call more than once. */
  cleanup(): void;
}

const TOOLS = ['mkfs.ext4', 'mount', 'umount', 'losetup', 'fsfreeze'] as const;
type Tool = (typeof TOOLS)[number];

/** A tool's full path, from PATH and the sbin directories (often not on a test runner's PATH). */
function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return null;
}

/** Fails loudly (never skips): a test that needs a frozen disk must not pass without one. */
function requireTools(): Record<Tool, string> {
  if (process.getuid?.() !== 0) throw new Error(`frozen-disk: needs root to mount a loop device and fsfreeze it (running as uid ${process.getuid?.()})`);
  const found = Object.fromEntries(TOOLS.map((t) => [t, findTool(t)]));
  const missing = TOOLS.filter((t) => !found[t]);
  if (missing.length) throw new Error(`frozen-disk: missing ${missing.join(', ')} (install util-linux and e2fsprogs)`);
  return found as Record<Tool, string>;
}

const run = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`frozen-disk: ${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
};

// The guard: waits until an absolute deadline, then thaws. A fixed script; the paths come as argv.
const GUARD = `
const [deadline, fsfreeze, mnt] = process.argv.slice(1);
setTimeout(() => {
  try { require('node:child_process').execFileSync(fsfreeze, ['-u', mnt], { stdio: 'ignore' }); } catch {}
}, Math.max(0, Number(deadline) - Date.now()));
`;

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Make, format and mount a `sizeMb` image under the temp directory. */
export function createFrozenDisk(sizeMb = 256): FrozenDisk {
  const tool = requireTools();
  const base = mkdtempSync(join(tmpdir(), 'switchpost-frozen-'));
  const img = join(base, 'disk.img');
  const mnt = join(base, 'mnt');
  let mounted = false;
  let guard: ChildProcess | null = null;
  mkdirSync(mnt);
  writeFileSync(img, '');
  truncateSync(img, sizeMb * 1024 * 1024); // sparse: costs nothing until written
  const disk: FrozenDisk = {
    mnt,
    base,
    freeze(thawWithinMs) {
      if (!mounted) throw new Error('frozen-disk: not mounted');
      // The guard first: if the freeze works and this process then blocks, it still thaws.
      guard = spawn(process.execPath, ['-e', GUARD, String(Date.now() + thawWithinMs), tool.fsfreeze, mnt], { detached: true, stdio: 'ignore' });
      guard.unref();
      run(tool.fsfreeze, ['-f', mnt]);
    },
    thaw() {
      if (!mounted) return;
      try {
        execFileSync(tool.fsfreeze, ['-u', mnt], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        // EINVAL: it was not frozen (the guard got there first).
        const stderr = String((err as { stderr?: string }).stderr ?? '');
        if (!/Invalid argument/.test(stderr)) throw new Error(`frozen-disk: fsfreeze -u ${mnt} failed: ${stderr.trim()}`, { cause: err });
      }
      if (guard?.exitCode === null && guard.pid) guard.kill();
      guard = null;
    },
    cleanup() {
      disk.thaw();
      if (mounted) {
        // A process that just exited may still hold a file for a moment: retry before giving up.
        for (let i = 0; ; i++) {
          try {
            run(tool.umount, [mnt]);
            break;
          } catch (err) {
            if (i >= 50) throw err;
            sleepSync(100);
          }
        }
        mounted = false;
      }
      // mount -o loop sets autoclear; detach by hand if the device is still there anyway.
      for (const line of run(tool.losetup, ['-j', img]).split('\n').filter(Boolean)) run(tool.losetup, ['-d', line.slice(0, line.indexOf(':'))]);
      rmSync(base, { recursive: true, force: true });
    },
  };
  try {
    run(tool['mkfs.ext4'], ['-q', '-F', img]);
    run(tool.mount, ['-o', 'loop', img, mnt]);
    mounted = true;
  } catch (err) {
    disk.cleanup();
    throw err;
  }
  return disk;
}
