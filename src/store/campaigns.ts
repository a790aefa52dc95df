import type { StoreDb } from './store-db.js';
import { OwnedRows } from './owned.js';

/** ICTCore campaigns: a program sent to a group, paced by cpm, with its current run's job. */
export const campaignStore = (db: StoreDb): OwnedRows => new OwnedRows(db, { table: 'campaigns', columns: ['program_id', 'group_id', 'account_id', 'cpm', 'try_allowed', 'status', 'job_id'] });
