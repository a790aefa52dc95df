import type { StoreDb } from './store-db.js';
import { OwnedRows } from './owned.js';

/** ICTCore programs: what a transmission or campaign sends (type, name, parent, its message ids in data). */
export const programStore = (db: StoreDb): OwnedRows => new OwnedRows(db, { table: 'programs', columns: ['type', 'name', 'parent_id', 'data'] });
