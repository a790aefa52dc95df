/** Keep the first item for each key, in order; returns the kept items and how many were dropped. */
export function dedupe<T>(items: readonly T[], key: (item: T) => string): { kept: T[]; dropped: number } {
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    kept.push(item);
  }
  return { kept, dropped: items.length - kept.length };
}
