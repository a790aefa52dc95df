import type { StoreDb } from './store-db.js';
import { OwnedRows } from './owned.js';

/** ICTCore's message kinds, all in one table. */
export type MessageKind = 'document' | 'recording' | 'template' | 'text';

/** Documents, recordings, templates and texts: one owned-rows view per kind. */
export class MessageStore {
  readonly kinds: Record<MessageKind, OwnedRows>;
  constructor(db: StoreDb) {
    const spec = (kind: MessageKind) => new OwnedRows(db, { table: 'messages', columns: ['name', 'description', 'type', 'data', 'media'], fixed: { kind } });
    this.kinds = { document: spec('document'), recording: spec('recording'), template: spec('template'), text: spec('text') };
  }
}
