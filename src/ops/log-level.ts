import pino, { type Logger, type LoggerOptions, type DestinationStream } from 'pino';

/** The levels an operator may set (pino's, and silent). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const isLogLevel = (v: string): v is LogLevel => (LOG_LEVELS as readonly string[]).includes(v);

const NUMBERS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * The level every logger made from one root follows, changeable at run time. pino gives each child its
 * own level, fixed when it is made, and the daemon makes its children at start (per provider, per
 * part): so the root logs at `trace` and this gate, which children share through pino's logMethod
 * hook, drops what is below the level now. A dropped line costs a comparison, not a serialisation.
 */
export class LogLevelGate {
  private threshold: number;
  private current: LogLevel;

  constructor(level: LogLevel) {
    this.current = level;
    this.threshold = NUMBERS[level];
  }

  get level(): LogLevel {
    return this.current;
  }

  set(level: LogLevel): void {
    this.current = level;
    this.threshold = NUMBERS[level];
  }

  allows(levelNumber: number): boolean {
    return levelNumber >= this.threshold;
  }
}

/** A pino root whose level (and all its children's) is the gate's. */
export function gatedLogger(gate: LogLevelGate, options: Omit<LoggerOptions, 'level' | 'hooks'>, stream?: DestinationStream): Logger {
  const opts: LoggerOptions = {
    ...options,
    level: 'trace',
    hooks: {
      logMethod(args, method, levelNumber) {
        if (gate.allows(levelNumber)) method.apply(this, args);
      },
    },
  };
  return stream ? pino(opts, stream) : pino(opts);
}
