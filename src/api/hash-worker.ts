import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { verifyPasswordSync } from '../core/passwords.js';

// This thread alone is made nicer (Linux: a thread id is a pid to setpriority), so under a flood of
// wrong passwords the scheduler still gives the event loop the CPU it needs. Elsewhere it runs as is.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), (workerData as { nice: number }).nice);
} catch {}

parentPort!.on('message', (m: { password: string; stored: string }) => parentPort!.postMessage(verifyPasswordSync(m.password, m.stored)));
