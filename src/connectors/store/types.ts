/**
 * The serving store: SQL tables of historical views (Q1–Q8), real-time views, the batch-run
 * ledger. Implemented by an embedded SQLite file (embedded.ts, safe across processes) and by
 * MySQL via mysql2 (mysql.ts); both pass test/conformance/store.conformance.ts.
 * Tables come from src/core/tables.ts and are created or migrated by connect().
 */
import type { Row, TableSpec } from '../../core/tables.js';

export interface ServingStore {
  readonly kind: 'embedded' | 'mysql';
  /** connect and create or migrate every table of ALL_TABLES */
  connect(): Promise<void>;
  /**
   * Atomically replace rows: all of the table, or only those where `where` matches (e.g. one
   * day), by the given rows. Readers see the old or the new rows, never a mix.
   */
  replace(table: TableSpec, rows: Row[], where?: Row): Promise<void>;
  /** insert or update rows by the table's key (multi-row, in one transaction) */
  upsert(table: TableSpec, rows: Row[]): Promise<void>;
  /** rows of a table, optionally filtered by equality, ordered by the table's columns */
  select(table: TableSpec, where?: Row): Promise<Row[]>;
  /** read-only SQL in the store's own dialect (for `pinpipe query --store`) */
  query(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}
