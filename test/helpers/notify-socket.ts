import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * What systemd's side of sd_notify is: a unix datagram socket, here bound by python3 (Node has none of
 * its own, and a listener that is not the daemon's own module checks the wire, not the module). Every
 * datagram comes back as its text and when it came.
 */
export interface NotifySocket {
  readonly path: string;
  readonly messages: { at: number; text: string }[];
  /** The first message (after `from`, an index) for which `match` holds; waits up to `ms`. */
  next(match: (text: string) => boolean, ms?: number, from?: number): Promise<{ at: number; text: string; index: number }>;
  close(): void;
}

const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("bound"), flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

export async function notifySocket(): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-notify-'));
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: { at: number; text: string }[] = [];
  const waiters = new Set<() => void>();
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the notify listener exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const text = JSON.parse(line) as string;
      if (text === 'bound') return resolve();
      messages.push({ at: Date.now(), text });
      for (const w of waiters) w();
    });
  });
  return {
    path,
    messages,
    next(match, ms = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = messages.findIndex((m, i) => i >= from && match(m.text));
          if (index < 0) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve({ ...messages[index]!, index });
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no notification matched within ${ms} ms; got ${JSON.stringify(messages.slice(from).map((m) => m.text))}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
