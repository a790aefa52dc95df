import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { describeDiff, type ProviderDiff } from './provider-diff.js';
import { isLogLevel, type LogLevel } from './log-level.js';
import { systemdOf } from './systemd.js';

type Held = 'SIGHUP' | 'SIGUSR2' | 'SIGTERM' | 'SIGINT';

/** Signals taken while the daemon starts, to be acted on once it serves. */
export interface HeldSignals {
  release(): Held[];
}

/**
 * Hold the signals `serve` handles from now until it does: their default is to end the process at
 * once, and the daemon can be told them while it starts (`switchpost log-level` finds its pid in the
 * store from the moment it holds the lock; a stop during start then stops it cleanly once started).
 * A second SIGTERM or SIGINT while starting exits at once, as during a stop.
 */
export function holdSignals(exit: (code: number) => void = (code) => process.exit(code)): HeldSignals {
  const pending = new Set<Held>();
  const handlers = new Map<Held, () => void>();
  for (const sig of ['SIGHUP', 'SIGUSR2', 'SIGTERM', 'SIGINT'] as const) {
    const h = () => {
      const stops = sig === 'SIGTERM' || sig === 'SIGINT';
      if (stops && (pending.has('SIGTERM') || pending.has('SIGINT'))) exit(1);
      pending.add(sig);
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return {
    release() {
      for (const [sig, h] of handlers) process.off(sig, h);
      return [...pending];
    },
  };
}

/** What the service loop needs of a started daemon (main.ts's Daemon). */
export interface ServedDaemon {
  config: Config;
  log: Logger;
  url: string;
  probeStore(): Promise<void>;
  reload(next: Config): Promise<ProviderDiff>;
  setLogLevel(level: LogLevel): void;
  stop(): Promise<void>;
}

/** The file `switchpost log-level` writes and SIGUSR2 makes the daemon read: a level until the next reload or restart. */
export const logLevelFile = (dataDir: string): string => join(dataDir, 'log-level');

/**
 * Run a started daemon as a service until it is told to stop:
 * SIGTERM/SIGINT stop it (STOPPING=1 to systemd first); SIGHUP re-reads the config file and applies its
 * providers, rates and log level (a file that does not load is logged and the running config kept);
 * SIGUSR2 takes the log level `switchpost log-level` left in the data directory. Under systemd
 * (NOTIFY_SOCKET) READY=1 is sent now and watchdog pings while the loop and the store are healthy.
 */
export function serve(daemon: ServedDaemon, o: { readConfig: () => Config; env?: NodeJS.ProcessEnv; exit?: (code: number) => void; held?: HeldSignals }): void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const log = daemon.log.child({ part: 'service' });
  const systemd = systemdOf(o.env ?? process.env, { probe: () => daemon.probeStore(), log });

  let signals = 0;
  const onStop = (sig: string) => {
    if (++signals > 1) exit(1);
    systemd.stopping();
    const bound = setTimeout(() => exit(1), (daemon.config.shutdown.grace_seconds + 5) * 1000);
    bound.unref();
    daemon.stop().then(
      () => (systemd.close(), exit(0)),
      (err: unknown) => {
        console.error(`switchpost: error while stopping on ${sig}: ${(err as Error).message}`);
        exit(1);
      },
    );
  };

  // One reload at a time; a SIGHUP during one is applied after it, with the file as it is then.
  let reloads: Promise<void> = Promise.resolve();
  const onReload = () => {
    reloads = reloads.then(async () => {
      if (signals > 0) return;
      systemd.reloading();
      let next: Config;
      try {
        next = o.readConfig();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'reload: the config file does not load; the running config is kept');
        return systemd.reloaded('reload refused: the config file does not load (see the log)');
      }
      try {
        const diff = await daemon.reload(next);
        // The config's level holds again: a `switchpost log-level` override lasts until a reload.
        rmSync(logLevelFile(daemon.config.data_dir), { force: true });
        const what = describeDiff(diff);
        log.info({ added: diff.added.length, restarted: diff.restarted.length, retuned: diff.retuned.length, removed: diff.removed.length, level: next.log.level }, `reloaded: ${what}`);
        systemd.reloaded(`serving on ${daemon.url}; reloaded: ${what}`);
      } catch (err) {
        log.error({ err }, 'reload failed part way; the providers not reached keep their running config');
        systemd.reloaded('reload failed (see the log)');
      }
    });
  };

  const onLogLevel = () => {
    let level: string;
    try {
      level = readFileSync(logLevelFile(daemon.config.data_dir), 'utf8').trim();
    } catch (err) {
      return log.warn({ err: (err as Error).message }, 'SIGUSR2: no log level to take (switchpost log-level LEVEL writes it)');
    }
    if (!isLogLevel(level)) return log.warn({ level }, 'SIGUSR2: not a log level; the level is unchanged');
    daemon.setLogLevel(level);
    // Logged at warn so that it shows whatever the new level (silent aside).
    log.warn({ level }, `log level now ${level} (until the next reload or restart)`);
  };

  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGINT', () => onStop('SIGINT'));
  process.on('SIGHUP', onReload);
  process.on('SIGUSR2', onLogLevel);
  // What came while the daemon was starting is done now, once each.
  const held = o.held?.release() ?? [];
  const stop = held.find((sig) => sig === 'SIGTERM' || sig === 'SIGINT');
  if (stop) return onStop(stop);
  // Once every handler is in place: a `systemctl reload` right after start must not find SIGHUP's default (exit).
  systemd.ready(`serving on ${daemon.url}`);
  for (const sig of held) (sig === 'SIGHUP' ? onReload : onLogLevel)();
}
