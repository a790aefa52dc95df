import type { ReceiptStatus } from './outcomes.js';

/**
 * A long SMS is several messages on the network, each with its own receipt. The recipient's status
 * comes from all of them: a part that failed decides at once (the text cannot arrive whole);
 * delivered needs every part delivered; null while parts are still out.
 */
export function combinePartReceipts(parts: readonly (ReceiptStatus | null)[]): ReceiptStatus | null {
  const failed = parts.find((p) => p === 'undeliverable' || p === 'rejected' || p === 'expired');
  if (failed) return failed;
  if (parts.some((p) => p === null)) return null;
  return parts.every((p) => p === 'delivered') ? 'delivered' : 'unknown';
}
