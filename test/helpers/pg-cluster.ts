import { pgBinDir as binDir, startPgServer } from './pg-server.mjs';

/** A PostgreSQL server of the test run's own: a fresh cluster in a temp directory, on 127.0.0.1. */
export interface PgCluster {
  /** The superuser's URL of the `postgres` database (postgres://postgres@127.0.0.1:port/postgres). */
  url: string;
  port: number;
  /** The temp directory: the cluster (data/), its unix socket and its log (server.log). */
  dir: string;
  /** Stop the server and remove the directory. */
  stop(): Promise<void>;
}

/**
 * The directory holding initdb and pg_ctl: $SWITCHPOST_PG_BIN, else the one on PATH, else Debian's
 * /usr/lib/postgresql/<newest>/bin. A missing PostgreSQL throws, saying what to install.
 */
export const pgBinDir = (): string => binDir();

/**
 * Settings for a throwaway server: nothing is flushed to disk (a crash loses the cluster, which the
 * run would remove anyway), no WAL beyond what recovery needs, no background vacuum.
 */
const SETTINGS = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  autovacuum: 'off',
  max_connections: '200',
  shared_buffers: '64MB',
};

/** A fresh cluster with the settings above (test/helpers/pg-server.mjs starts it; the benchmarks use it too). */
export const startPgCluster = (): Promise<PgCluster> => startPgServer({ settings: SETTINGS, label: 'switchpost test cluster (test/helpers/pg-cluster.ts)' });
