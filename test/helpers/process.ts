import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Run the built CLI to completion. */
export const cli = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

/** Start the built daemon as a real process; resolves once it logs its address. */
const children = new Set<ChildProcess>();

/** Kill every daemon a test started and did not stop (a failed test must not leave one running). */
export async function killAll(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

/** Start the built daemon as a real process; resolves once its own /health (its pid) answers on SWITCHPOST_HTTP_PORT. */
export async function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  child.stdout!.resume();
  const url = `http://127.0.0.1:${env.SWITCHPOST_HTTP_PORT}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${err}`);
    try {
      // Another daemon left on the port must not pass for this one: /health names the process answering.
      const res = await fetch(`${url}/health`);
      if (res.ok && ((await res.json()) as { pid?: number }).pid === child.pid) return { child, url, stderr: () => err };
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`daemon did not answer on ${url}: ${err}`);
}
export const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
