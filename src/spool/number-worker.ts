import { parentPort } from 'node:worker_threads';
import { validateNumber } from '../core/numbers.js';

/** A batch of numbers to validate off the main thread (libphonenumber costs ~15 µs a number). */
export interface NumberBatch {
  seq: number;
  country: string;
  items: [recipientId: number, destination: string][];
}

/** [recipientId, E.164 or null, reason when invalid] */
export type NumberResult = [recipientId: number, e164: string | null, reason: string | null];

parentPort?.on('message', (batch: NumberBatch) => {
  const results: NumberResult[] = batch.items.map(([id, destination]) => {
    const check = validateNumber(destination, batch.country);
    return check.ok ? [id, check.e164, null] : [id, null, check.reason];
  });
  parentPort!.postMessage({ seq: batch.seq, results });
});
