import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { hashPassword, verifyPasswordSync } from '../core/passwords.js';
import type { HashAnswer, HashTask } from './hash-pool.js';

// This thread alone is made nicer (Linux: a thread id is a pid to setpriority), so under a flood of
// wrong passwords the scheduler still gives the event loop the CPU it needs. Elsewhere it runs as is.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), (workerData as { nice: number }).nice);
} catch {}

/** A malformed stored hash (bad scrypt parameters) matches nothing, rather than ending the worker. */
const verify = (password: string, stored: string): boolean => {
  try {
    return verifyPasswordSync(password, stored);
  } catch {
    return false;
  }
};

parentPort!.on('message', (t: HashTask) => {
  const answer: HashAnswer = { result: t.kind === 'verify' ? verify(t.password, t.stored) : hashPassword(t.password), offMainThread: !isMainThread };
  parentPort!.postMessage(answer);
});
