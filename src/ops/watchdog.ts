/**
 * The systemd watchdog (WatchdogSec=): a `WATCHDOG=1` at half the interval systemd gives, sent only
 * while the daemon is healthy — its event loop turning (the tick came on time) and its store answering
 * (a cheap query on the spool engine's thread within a bound). A daemon stuck on a stalled disk or in
 * a busy loop stops pinging and systemd restarts it; one merely slow keeps its pings.
 */

/**
 * How often to ping, from systemd's WATCHDOG_USEC (microseconds) and WATCHDOG_PID (the process it is
 * meant for, when set): null when no watchdog is asked of this process.
 */
export function watchdogIntervalMs(env: { WATCHDOG_USEC?: string | undefined; WATCHDOG_PID?: string | undefined }, pid: number): number | null {
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return null;
  if (!env.WATCHDOG_USEC || !/^\d+$/.test(env.WATCHDOG_USEC)) return null;
  const usec = Number(env.WATCHDOG_USEC);
  if (usec <= 0) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/** Whether a tick came late enough to say the event loop was held (later than a whole interval). */
export const loopHeld = (lateMs: number, intervalMs: number): boolean => lateMs > intervalMs;

export interface WatchdogOptions {
  intervalMs: number;
  /** The store probe; rejects or hangs when the store is not healthy. */
  probe: () => Promise<unknown>;
  /** How long the probe may take (a bound below the interval). */
  probeTimeoutMs: number;
  ping: () => void;
  /** Told each ping withheld, with why (for the log: once per run of misses is the caller's choice). */
  missed: (why: string) => void;
  now?: () => number;
}

export interface Watchdog {
  stop(): void;
}

export function startWatchdog(o: WatchdogOptions): Watchdog {
  const now = o.now ?? (() => performance.now());
  let expected = now() + o.intervalMs;
  let probing = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    const t = now();
    const late = t - expected;
    expected = t + o.intervalMs;
    if (loopHeld(late, o.intervalMs)) return o.missed(`the event loop was held ${Math.round(late)} ms`);
    // A probe still out from the last tick: the store has not answered for a whole interval.
    if (probing) return o.missed('the store has not answered the last probe');
    probing = true;
    // `probing` clears when the probe itself settles, not when the bound passes.
    const settled = o.probe().then(
      () => true,
      () => false,
    );
    void settled.finally(() => (probing = false));
    let bound: NodeJS.Timeout | undefined;
    const answered = await Promise.race([settled, new Promise<false>((resolve) => (bound = setTimeout(() => resolve(false), o.probeTimeoutMs)))]);
    clearTimeout(bound);
    if (stopped) return;
    if (answered) o.ping();
    else o.missed(`the store did not answer within ${o.probeTimeoutMs} ms`);
  };
  const run = () => void tick();
  const timer = setInterval(run, o.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
