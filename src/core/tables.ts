/**
 * The serving store's own tables, defined once: both store implementations create them from these
 * specs. The tables of the metrics come from the metric files (src/metrics/registry.ts).
 */
export type ColumnType = 'int' | 'bigint' | 'double' | 'text' | 'timestamp' | 'bool';

export interface TableSpec {
  name: string;
  columns: [name: string, type: ColumnType][];
  /** key for upserts (R tables, ledger); tables without a key are replaced whole */
  key?: string[];
  /**
   * a metric's table: when the stored columns differ from the spec (a changed definition), the
   * table is dropped and created again instead of gaining columns (its rows are recomputed)
   */
  rebuild?: boolean;
}

/**
 * The ledger of batch-run: one row per day, its last run (status, why it ran, whether the day was
 * complete then and which raw chunks it read, as a fingerprint: late data changes it).
 */
export const LEDGER: TableSpec = {
  name: 'batch_runs',
  columns: [
    ['day', 'text'],
    ['status', 'text'],
    ['started_at', 'timestamp'],
    ['finished_at', 'timestamp'],
    ['raw_records', 'bigint'],
    ['curated_rows', 'bigint'],
    ['message', 'text'],
    ['reason', 'text'],
    ['complete', 'bool'],
    ['raw_objects', 'bigint'],
    ['raw_fingerprint', 'text'],
  ],
  key: ['day'],
};

/** Every run of a day (the ledger keeps the last one): when, why, how it ended. */
export const BATCH_HISTORY: TableSpec = {
  name: 'batch_history',
  columns: [
    ['started_at', 'timestamp'],
    ['day', 'text'],
    ['reason', 'text'],
    ['status', 'text'],
    ['finished_at', 'timestamp'],
    ['seconds', 'double'],
    ['raw_records', 'bigint'],
    ['message', 'text'],
  ],
  key: ['started_at', 'day'],
};

export const QUALITY: TableSpec = {
  name: 'quality_issues',
  columns: [
    ['day', 'text'],
    ['field', 'text'],
    ['issues', 'bigint'],
  ],
  key: ['day', 'field'],
};

/**
 * The metric definitions the stores hold results of: the definition hash, and for realtime metrics
 * the hash the stream computes and the first window it computed with it (`stream_from`; null:
 * from the start of the log).
 */
export const METRIC_CATALOG: TableSpec = {
  name: 'metric_catalog',
  columns: [
    ['metric', 'text'],
    ['kind', 'text'],
    ['title', 'text'],
    ['hash', 'text'],
    ['table_name', 'text'],
    ['file', 'text'],
    ['stream_hash', 'text'],
    ['stream_from', 'timestamp'],
    ['updated_at', 'timestamp'],
  ],
  key: ['metric'],
};

/** What batch-run computed of each metric: per day for realtime metrics, day '' for historical ones. */
export const METRIC_RUNS: TableSpec = {
  name: 'metric_runs',
  columns: [
    ['metric', 'text'],
    ['day', 'text'],
    ['hash', 'text'],
    ['rows', 'bigint'],
    ['computed_at', 'timestamp'],
    ['seconds', 'double'],
  ],
  key: ['metric', 'day'],
};

/** Tables every store holds from its first connect (metric tables come from the metric files). */
export const ALL_TABLES: TableSpec[] = [LEDGER, BATCH_HISTORY, QUALITY, METRIC_CATALOG, METRIC_RUNS];

/** Table names a metric file may not take. */
export const RESERVED_TABLES = new Set([...ALL_TABLES.map((t) => t.name), 'stream_checkpoints']);

export type Row = Record<string, string | number | boolean | null>;
