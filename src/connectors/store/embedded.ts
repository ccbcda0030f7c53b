/**
 * The embedded serving store: one SQLite file `<dataDir>/store.db` (node-sqlite3-wasm), safe for
 * several processes at once through the cross-process lock of ../sqlite/file.ts. Types: text → TEXT,
 * int/bigint → INTEGER, double → REAL, timestamp → TEXT (ISO 8601 UTC with ms, so text order is
 * time order), bool → INTEGER 0/1 (returned as boolean).
 */
import type { Config } from '../../core/config.js';
import { SharedAttempt } from '../../core/serial.js';
import { ALL_TABLES, type Row, type TableSpec } from '../../core/tables.js';
import { readOnlyQuery } from '../sqlite/query.js';
import { SqliteFile, type SqliteDb } from '../sqlite/file.js';
import { deleteRows, ensureTable, inSlices, insertRows, selectRows, upsertRows, type Filter } from '../sqlite/sql.js';
import type { QueryOptions, RowRange, ServingStore } from './types.js';
import { normalizeRange, normalizeRow, normalizeWhere } from './values.js';

export class EmbeddedStore implements ServingStore {
  readonly kind = 'embedded' as const;
  readonly file: SqliteFile;
  /** tables known to exist with every column of their spec, by name → spec */
  private readonly ready = new Map<string, TableSpec>();
  private readonly connecting = new SharedAttempt();

  constructor(cfg: Config) {
    this.file = new SqliteFile(cfg.dataDir);
  }

  async connect(): Promise<void> {
    return this.connecting.run(async () => {
      await this.file.run('create tables', 'write', (db) => {
        for (const t of ALL_TABLES) ensureTable(db, t);
      });
      for (const t of ALL_TABLES) this.ready.set(t.name, t);
    });
  }

  /** Connect on first use; a spec outside ALL_TABLES (or a changed one) is created or migrated in the same transaction. */
  private async prepare(table: TableSpec): Promise<boolean> {
    await this.connect();
    return this.ready.get(table.name) !== table;
  }

  private async write(what: string, table: TableSpec, fn: (db: SqliteDb) => void | Promise<void>): Promise<void> {
    const migrate = await this.prepare(table);
    await this.file.run(`${what} ${table.name}`, 'write', async (db) => {
      if (migrate) ensureTable(db, table);
      await fn(db);
    });
    if (migrate) this.ready.set(table.name, table);
  }

  async replace(table: TableSpec, rows: Row[], where?: Row, range?: RowRange): Promise<void> {
    const filter: Filter = { where: normalizeWhere(table, where), range: normalizeRange(table, range) };
    // many rows are made canonical and written in slices, so that the process's other work (the
    // engine's next query in batch-run) goes on in between; one transaction all the same
    const normalized: Row[] = [];
    await inSlices(rows, (slice) => slice.forEach((r) => normalized.push(normalizeRow(table, r, true))));
    await this.write('replace', table, async (db) => {
      deleteRows(db, table, filter);
      await inSlices(normalized, (slice) => insertRows(db, table, slice));
    });
  }

  async upsert(table: TableSpec, rows: Row[]): Promise<void> {
    if (!rows.length) return;
    const normalized = rows.map((r) => normalizeRow(table, r, false));
    await this.write('upsert', table, (db) => upsertRows(db, table, normalized));
  }

  async select(table: TableSpec, where?: Row, range?: RowRange): Promise<Row[]> {
    const filter: Filter = { where: normalizeWhere(table, where), range: normalizeRange(table, range) };
    const migrate = await this.prepare(table);
    const rows = await this.file.run(`select ${table.name}`, migrate ? 'write' : 'read', (db) => {
      if (migrate) ensureTable(db, table);
      return selectRows(db, table, filter);
    });
    if (migrate) this.ready.set(table.name, table);
    return rows;
  }

  async query(sql: string, opts: QueryOptions = {}): Promise<Row[]> {
    await this.connect();
    // on a private copy: a long query never holds the store's writers up
    return this.file.snapshot((db) => readOnlyQuery(db, sql, opts.specs));
  }

  health(): Promise<void> {
    return this.file.health();
  }

  async close(): Promise<void> {
    // nothing stays open between operations
  }
}
