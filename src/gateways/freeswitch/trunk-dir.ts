import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Where a trunk's sofia gateway file goes when its provider names no gateway_dir. */
export function defaultGatewayDir(configDir: string, profile: string): string {
  return join(configDir, 'sip_profiles', profile);
}

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel));
};

/** `p` with symlinks resolved: the real path of its deepest existing part, then the parts still to be made. */
export function realPath(p: string): string {
  let head = resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      lstatSync(head);
      break;
    } catch {
      const up = dirname(head);
      if (up === head) break;
      tail.unshift(basename(head));
      head = up;
    }
  }
  return join(realpathSync(head), ...tail);
}

/** `dir` with its links resolved, as written when they cannot be (the write then refuses it). */
export function resolvedDir(dir: string): string {
  try {
    return realPath(dir);
  } catch {
    return dir;
  }
}

/**
 * Null when `dir` may hold trunk files: inside FreeSWITCH's configuration directory `root`, as
 * written and once symlinks are followed (a link inside must not lead out), else why not.
 */
export function gatewayDirProblem(root: string, dir: string): string | null {
  if (!isAbsolute(dir)) return 'expected an absolute directory path';
  if (dir.split('/').some((s) => s === '..' || s === '.')) return 'no "." or ".." in the path';
  const outside = `must be inside the FreeSWITCH directory ${root} (freeswitch.config_dir)`;
  if (!inside(resolve(root), resolve(dir))) return outside;
  try {
    if (!inside(realPath(root), realPath(dir))) return `${outside}; a symbolic link in the path leads out of it`;
  } catch {
    return 'cannot be resolved (a dangling symbolic link?)';
  }
  return null;
}
