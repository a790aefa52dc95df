import type { StoreDb } from './store-db.js';

export interface CompanyRow {
  id: number;
  name: string;
  details: string;
  created_at: number;
}

export class CompanyStore {
  constructor(private readonly db: StoreDb) {}

  add(name: string, details: Record<string, unknown>, now = Date.now()): number {
    return Number(this.db.prepare('INSERT INTO companies (name, details, created_at) VALUES (?, ?, ?)').run(name, JSON.stringify(details), now).lastInsertRowid);
  }

  byId(id: number): CompanyRow | undefined {
    return this.db.prepare('SELECT * FROM companies WHERE id = ?').get(id) as CompanyRow | undefined;
  }
}
