import type { Logger } from 'pino';
import { notifySocketOf, unixNotifier, type Notifier } from './sd-notify.js';
import { startWatchdog, watchdogIntervalMs, type Watchdog } from './watchdog.js';

/** What the daemon tells systemd (Type=notify): ready once it serves, stopping at shutdown, watchdog pings while healthy. */
export interface Systemd {
  /** READY=1 and the watchdog's start: once the daemon listens and its gateways are started. */
  ready(status: string): void;
  /** RELOADING=1 … READY=1 around a reload (ExecReload), so `systemctl reload` waits for it. */
  reloading(): void;
  reloaded(status: string): void;
  /** STOPPING=1; the watchdog stops (a shutdown bounded by TimeoutStopSec, not by pings). */
  stopping(): void;
  close(): void;
}

const NONE: Systemd = { ready() {}, reloading() {}, reloaded() {}, stopping() {}, close() {} };

/**
 * From the environment systemd gives (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID): without NOTIFY_SOCKET
 * nothing is sent and no timer runs. `probe` is the store's health query.
 */
export function systemdOf(env: NodeJS.ProcessEnv, o: { probe: () => Promise<unknown>; log: Logger; pid?: number }): Systemd {
  let socket: string | null;
  try {
    socket = notifySocketOf(env);
  } catch (err) {
    o.log.warn({ err: (err as Error).message }, 'systemd notifications are off');
    return NONE;
  }
  if (!socket) return NONE;
  let failing = false;
  const notifier: Notifier = unixNotifier(socket, (err) => {
    // Once per run of failures: a socket gone (systemd restarted) must not fill the log.
    if (!failing) o.log.warn({ err: err.message }, 'systemd notification not sent');
    failing = true;
  });
  const send = (state: string) => notifier.notify(state);
  const intervalMs = watchdogIntervalMs(env, o.pid ?? process.pid);
  let watchdog: Watchdog | null = null;
  let missing = false;
  return {
    ready(status) {
      send(`READY=1\nSTATUS=${status}\nMAINPID=${o.pid ?? process.pid}`);
      if (intervalMs === null || watchdog) return;
      watchdog = startWatchdog({
        intervalMs,
        // The probe must answer well within the interval: what is slower than half of it is a stall.
        probeTimeoutMs: Math.max(1, Math.floor(intervalMs / 2)),
        probe: o.probe,
        ping: () => {
          if (missing) o.log.info('healthy again: watchdog pings resumed');
          missing = false;
          send('WATCHDOG=1');
        },
        missed: (why) => {
          if (!missing) o.log.error({ why }, 'not healthy: watchdog ping withheld (systemd restarts the daemon if this lasts WatchdogSec)');
          missing = true;
        },
      });
      o.log.info({ everyMs: intervalMs }, 'systemd watchdog armed');
    },
    reloading() {
      send(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`);
    },
    reloaded(status) {
      send(`READY=1\nSTATUS=${status}`);
    },
    stopping() {
      watchdog?.stop();
      watchdog = null;
      send('STOPPING=1\nSTATUS=stopping');
    },
    close() {
      watchdog?.stop();
      notifier.close();
    },
  };
}

/** CLOCK_MONOTONIC in microseconds, which systemd (253+) wants beside RELOADING=1. */
const monotonicUsec = (): string => String(process.hrtime.bigint() / 1000n);
