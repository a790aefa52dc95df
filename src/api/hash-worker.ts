import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { hashPassword, verifyPasswordSync } from '../core/passwords.js';
import type { HashTask } from './hash-pool.js';

// This thread alone is made nicer (Linux: a thread id is a pid to setpriority), so under a flood of
// wrong passwords the scheduler still gives the event loop the CPU it needs. Elsewhere it runs as is.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), (workerData as { nice: number }).nice);
} catch {}

parentPort!.on('message', (t: HashTask) => parentPort!.postMessage(t.kind === 'verify' ? verifyPasswordSync(t.password, t.stored) : hashPassword(t.password)));
