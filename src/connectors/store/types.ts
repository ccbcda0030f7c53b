/**
 * The serving store: SQL tables of historical views (Q1–Q8), real-time views, the batch-run
 * ledger. Implemented by an embedded SQLite file (embedded.ts, safe across processes) and by
 * MySQL via mysql2 (mysql.ts); both pass test/conformance/store.conformance.ts.
 * Tables come from src/core/tables.ts and are created or migrated by connect(); a spec outside
 * ALL_TABLES is created or migrated on its first use. Timestamps are stored in UTC and returned
 * as ISO strings with milliseconds (`2026-11-27T10:00:00.000Z`).
 */
import type { Row, TableSpec } from '../../core/tables.js';

/**
 * A half-open range on one column: from <= column < to. For a timestamp column the bounds are ISO
 * strings (or epoch ms); e.g. one day of the batch_* R tables:
 * `{ column: 'minute', from: '2026-11-27T00:00:00.000Z', to: '2026-11-28T00:00:00.000Z' }`.
 */
export interface RowRange {
  column: string;
  from: string | number;
  to: string | number;
}

export interface QueryOptions {
  /**
   * specs of tables beyond ALL_TABLES (the metrics' tables), so that their bool columns come back
   * as booleans where the database cannot tell (SQLite)
   */
  specs?: TableSpec[];
}

export interface ServingStore {
  readonly kind: 'embedded' | 'mysql';
  /** connect and create or migrate every table of ALL_TABLES */
  connect(): Promise<void>;
  /**
   * Atomically replace rows: delete all of the table, or only the rows where `where` matches
   * (equality on every given column; null matches null) AND, if given, `range` holds
   * (from <= column < to), then insert the given rows; one transaction. Readers see the old or
   * the new rows, never a mix. Rows may omit columns (stored as null).
   */
  replace(table: TableSpec, rows: Row[], where?: Row, range?: RowRange): Promise<void>;
  /**
   * Insert or update rows by the table's key (multi-row, in one transaction). An existing row is
   * updated only in the columns that the given row carries; a row must carry every key column.
   */
  upsert(table: TableSpec, rows: Row[]): Promise<void>;
  /**
   * Rows of a table, optionally filtered by equality (and a range), ordered by the table's
   * columns in spec order. Values come back typed by the spec: bool as boolean, timestamp as an
   * ISO 8601 UTC string with milliseconds, numbers as numbers. A null text key column is stored
   * and returned as ''.
   */
  select(table: TableSpec, where?: Row, range?: RowRange): Promise<Row[]>;
  /**
   * Read-only SQL in the store's own dialect (for `pinpipe query --store`): one SELECT or WITH
   * statement; anything else is refused with QUERY_INVALID (also enforced by the database: a
   * query-only connection / read-only transaction).
   */
  query(sql: string, opts?: QueryOptions): Promise<Row[]>;
  close(): Promise<void>;
}
