import { renameSync, writeFileSync } from 'node:fs';
import type { StoreDb } from '../store/store-db.js';
import { daemonPid, isPgDb } from '../store/open.js';
import type { Config } from '../config/schema.js';
import { isLogLevel, LOG_LEVELS } from './log-level.js';
import { logLevelFile } from './service.js';
import { OpsError } from './errors.js';

/**
 * `switchpost log-level LEVEL`: the level goes into the data directory, then SIGUSR2 to the daemon that
 * holds the database (its pid is in the instance row; on PostgreSQL, in its data_dir's switchpost.pid). A signal, not an HTTP route: only the daemon's
 * user and root may send it, and nothing new listens.
 */
export function tellLogLevel(db: StoreDb, config: Config, level: string | undefined): number {
  if (!level || !isLogLevel(level)) throw new OpsError('log_level_invalid', `log-level: give one of ${LOG_LEVELS.join(', ')}`);
  // On PostgreSQL several daemons share the database: the one of this data_dir is meant.
  const row = isPgDb(db) ? ((pid) => (pid === null ? undefined : { pid }))(daemonPid(config.data_dir)) : (db.prepare('SELECT pid FROM instance WHERE id = 1').get() as { pid: number } | undefined);
  if (!row || !alive(row.pid)) throw new OpsError('daemon_not_running', `no switchpost is running on ${config.data_dir}`);
  const file = logLevelFile(config.data_dir);
  // Whole or not at all: the daemon may read it at any moment.
  writeFileSync(`${file}.tmp`, `${level}\n`, { mode: 0o640 });
  renameSync(`${file}.tmp`, file);
  try {
    process.kill(row.pid, 'SIGUSR2');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    throw new OpsError('daemon_other_user', `switchpost (pid ${row.pid}) runs as another user: run this as root or as that user`, { cause: err });
  }
  console.log(`switchpost (pid ${row.pid}) now logs at ${level}, until its next reload or restart`);
  return 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user (root may still signal it; anyone else is told so below).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
