/** Time is injected everywhere in the core and spool so windows and retries are testable. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
