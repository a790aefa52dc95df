/** Reconnect delay: min × 2^failures, capped at max, with jitter in [50%, 100%] from `rand` in [0,1). */
export function reconnectDelay(failures: number, minMs: number, maxMs: number, rand: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(failures, 16));
  return Math.round(base * (0.5 + rand / 2));
}
