import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// TypeScript 7 (the alias typescript-native): `typescript` itself is 6.0, for the lint tools' JS API (see package.json).
const TSC = join(ROOT, 'node_modules', 'typescript-native', 'bin', 'tsc');

/**
 * Build `root`'s dist/ from its sources as `npm run build` does: emptied first (a module deleted from
 * src/ must not live on in the output), then tsc, then the office bridge and the status page's files
 * copied beside their modules.
 * A compiler error throws with the compiler's own message.
 */
export function build(root: string): void {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    // eslint-disable-next-line preserve-caught-error -- the message carries the compiler's output; a cause would print it twice
    throw new Error(`the build failed (tsc -p tsconfig.json):\n${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`);
  }
  copyFileSync(join(root, 'src', 'media', 'office-bridge.py'), join(root, 'dist', 'media', 'office-bridge.py'));
  cpSync(join(root, 'src', 'ops', 'status-page'), join(root, 'dist', 'ops', 'status-page'), { recursive: true });
}

/**
 * Vitest's global setup: tests import dist/ (the daemon, its CLI and its worker threads run from there
 * as separate processes), so it is built once before any test runs; `npx vitest run` then never tests
 * what was built last.
 */
export default function setup(): void {
  build(ROOT);
}
