/**
 * Campaign pacing: `cpm` sends a minute, from `from`. The i-th recipient's due time; the spool takes
 * each when it is due, so a run of any size goes out at that rate without a timer of its own.
 */
export const pacedDueAt =
  (cpm: number, from: number) =>
  (i: number): number =>
    from + Math.floor(i * (60_000 / cpm));
