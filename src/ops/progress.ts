import { progressText } from './progress-text.js';

/**
 * A long command's progress (converting many documents, migrating a large store): on a terminal one line
 * redrawn in place (carriage return, erase line), at most every `everyMs`; elsewhere (a pipe, a log,
 * systemd's journal) nothing at all, so that what a script reads is the command's output alone.
 */
export interface Progress {
  step(done: number, total: number, what?: string): void;
  /** Erase the line: the command's own summary follows on a clean line. */
  end(): void;
}

const QUIET: Progress = { step() {}, end() {} };

export function progress(label: string, stream: NodeJS.WriteStream = process.stdout, opts: { everyMs?: number; now?: () => number; unit?: 'count' | 'bytes' } = {}): Progress {
  if (!stream.isTTY) return QUIET;
  const now = opts.now ?? (() => Date.now());
  const everyMs = opts.everyMs ?? 100;
  const started = now();
  let last = -Infinity;
  let drawn = false;
  return {
    step(done, total, what) {
      const t = now();
      // The first and the last step are always drawn; between them, no faster than the eye reads.
      if (drawn && done < total && t - last < everyMs) return;
      last = t;
      drawn = true;
      stream.write(`\r\x1b[2K${progressText({ label, done, total, elapsedMs: t - started, ...(what ? { what } : {}), ...(opts.unit ? { unit: opts.unit } : {}) }, stream.columns || 80)}`);
    },
    end() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
