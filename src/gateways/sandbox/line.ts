import type { Outcome } from '../../core/outcomes.js';

/**
 * What the sandbox's channel simulations (calls.ts, fax.ts) use of the sandbox: its sink for one
 * attempt's outcomes, its timers (stopped with it) and its timing, so each channel lives in its own file.
 */
export interface SandboxLine {
  report(attemptId: number, outcome: Outcome): void;
  /** Runs `fn` after `ms` unless the sandbox stopped meanwhile. */
  later(ms: number, fn: () => void): void;
  /** A new peer id, unique across restarts (a call's id, as FreeSWITCH's UUID is). */
  peerId(): string;
  /** How long until a dialled number answers, and until an answered call ends: a time within `sandbox.receipt_ms`. */
  ringMs(): number;
}
