import type { StoreDb } from './store-db.js';
import type { OpenJobInfo } from '../core/status.js';
import { stmt } from './db.js';
import { ACTIVE_STATES } from '../core/model.js';

/** The spool's levels at one moment, for the metrics (issue 19). */
export interface SpoolLevels {
  /** Recipients not final yet, by state and their job's channel. */
  depth: { state: string; channel: string; n: number }[];
  /** The due time (epoch ms) of the oldest queued recipient, or null when none is queued. */
  oldestQueuedDueAt: number | null;
  /** Callbacks in the outbox by state: pending (waiting or retrying) and failed (given up). */
  outbox: { state: string; n: number }[];
}

/** A job with recipients not final yet, as the status page shows it (done: total less what remains). */
export type OpenJob = OpenJobInfo;

/**
 * Read at each scrape on the engine's thread (the main thread asks for it as a store call). Only the
 * open states are counted: the final ones are history, which grows without bound. Each query is on an
 * index (recipients_due, callbacks_due); the depth still reads every open row once, which is the
 * price of counting them by channel.
 */
export class SpoolGauges {
  constructor(private readonly db: StoreDb) {}

  levels(): SpoolLevels {
    const states = JSON.stringify(ACTIVE_STATES);
    const depth = stmt(
      this.db,
      `SELECT r.state AS state, j.channel AS channel, count(*) AS n FROM recipients r JOIN jobs j ON j.id = r.job_id
       WHERE r.state IN (SELECT value FROM json_each(?)) GROUP BY r.state, j.channel`,
    ).all(states) as SpoolLevels['depth'];
    const oldest = stmt(this.db, `SELECT min(due_at) AS at FROM recipients WHERE state = 'queued'`).get() as { at: number | null };
    const outbox = stmt(this.db, `SELECT state, count(*) AS n FROM callbacks WHERE state IN ('pending', 'failed') GROUP BY state`).all() as SpoolLevels['outbox'];
    return { depth, oldestQueuedDueAt: oldest.at, outbox };
  }

  /**
   * The newest `limit` jobs with open recipients, and how many jobs have them. Found from the open rows
   * (recipients_due, as the depth is): the jobs table has no index on its status, and most of it is history.
   */
  openJobs(limit: number): { count: number; jobs: OpenJob[] } {
    const states = JSON.stringify(ACTIVE_STATES);
    const open = `SELECT DISTINCT job_id FROM recipients WHERE state IN (SELECT value FROM json_each(?))`;
    const count = (stmt(this.db, `SELECT count(*) AS n FROM (${open})`).get(states) as { n: number }).n;
    const jobs = stmt(
      this.db,
      `SELECT j.id AS id, u.user_code AS user, j.channel AS channel, j.name AS name, j.total AS total, j.total - j.remaining AS done,
              j.succeeded AS succeeded, j.failed AS failed, j.created_at AS createdAt
       FROM jobs j JOIN users u ON u.id = j.user_id WHERE j.id IN (${open}) ORDER BY j.id DESC LIMIT ?`,
    ).all(states, limit) as OpenJob[];
    return { count, jobs };
  }
}
