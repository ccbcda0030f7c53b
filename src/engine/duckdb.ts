/**
 * The engine: an in-memory DuckDB over local files of the lake (batch-run, query). Nothing is
 * persisted in DuckDB itself (no database file, so no lock against other processes); spills go
 * to a temp directory under the data dir.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import type { Config } from '../core/config.js';
import { PinpipeError, errorMessage } from '../core/errors.js';
import { toPlain, toPlainRows, type Plain, type PlainRow } from './values.js';
import { duckdb } from './duckdb-load.js';

export interface EngineOptions {
  /** worker threads (default: the machine's cores) */
  threads?: number;
  /** e.g. '4GB' (default: engine.memoryLimit, else a quarter of the machine's memory, at most DEFAULT_MEMORY_CAP_MB) */
  memoryLimit?: string;
  /** keep the order of rows through scans, inserts and COPY (default false: faster, any order) */
  insertionOrder?: boolean;
}

export interface Engine {
  readonly conn: DuckDBConnection;
  /** the spill directory (under the data dir) */
  readonly tempDir: string;
  run(sql: string, params?: DuckDBValue[]): Promise<void>;
  /** rows as plain JS values (bigint → number when safe, timestamps → ISO strings) */
  all(sql: string, params?: DuckDBValue[]): Promise<PlainRow[]>;
  /** the result by columns, in select order, as plain JS values (`all`'s values without an object per row) */
  columns(sql: string, params?: DuckDBValue[]): Promise<Plain[][]>;
  close(): void;
}

/**
 * The engine's default memory limit is bounded, not a share of the machine: beyond the limit DuckDB
 * spills to the temp directory, so a process's peak stays near the limit whatever the input
 * (batch-run of 10 and 30 million records within 2 GiB of RSS; BENCHMARKS.md). `engine.memoryLimit`
 * sets another.
 */
export const DEFAULT_MEMORY_CAP_MB = 768;

export async function openEngine(cfg: Config, opts: EngineOptions = {}): Promise<Engine> {
  const tempDir = cfg.engine.tempDir ? path.resolve(cfg.engine.tempDir) : path.join(cfg.dataDir, 'tmp', 'duckdb');
  mkdirSync(tempDir, { recursive: true });
  const threads = opts.threads ?? Math.max(1, os.availableParallelism());
  const memoryLimit =
    opts.memoryLimit ?? cfg.engine.memoryLimit ?? `${Math.max(256, Math.min(DEFAULT_MEMORY_CAP_MB, Math.floor(os.totalmem() / 4 / 1_048_576)))}MB`;
  let instance: DuckDBInstance;
  try {
    // loaded here, not at import: the SQL helpers below serve modules that never open an engine
    instance = await duckdb().DuckDBInstance.create(':memory:', {
      threads: String(threads),
      memory_limit: memoryLimit,
      temp_directory: tempDir,
      preserve_insertion_order: opts.insertionOrder ? 'true' : 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
  } catch (e) {
    throw new PinpipeError('INTERNAL', `cannot start the DuckDB engine: ${errorMessage(e)}`, { cause: e });
  }
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  return {
    conn,
    tempDir,
    async run(sql, params) {
      await conn.run(sql, params);
    },
    async all(sql, params) {
      const reader = await conn.runAndReadAll(sql, params);
      return toPlainRows(reader.columnNames(), reader.getRowsJS());
    },
    async columns(sql, params) {
      const reader = await conn.runAndReadAll(sql, params);
      return reader.getColumnsJS().map((c) => c.map(toPlain));
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** A SQL string literal (for paths and other values that cannot be bound as parameters). */
export function sqlString(s: string): string {
  if (s.includes('\0')) throw new PinpipeError('INTERNAL', 'a SQL string literal cannot hold NUL');
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL list of string literals: ['a', 'b']. */
export function sqlStringList(items: readonly string[]): string {
  return `[${items.map(sqlString).join(', ')}]`;
}

/** TIMESTAMP literal of the start of a day YYYY-MM-DD (validated). */
export function sqlDayStart(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new PinpipeError('INTERNAL', `not a day: ${JSON.stringify(day)}`);
  return `TIMESTAMP '${day} 00:00:00'`;
}

/** TIMESTAMP literal of an epoch-ms instant. */
export function sqlInstant(ms: number): string {
  if (!Number.isFinite(ms)) throw new PinpipeError('INTERNAL', `not an instant: ${ms}`);
  return `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
}

/** fn with preserve_insertion_order on (rows keep their order through inserts, scans and COPY), then the engine's own setting again */
export async function withInsertionOrder<T>(engine: Engine, fn: () => Promise<T>): Promise<T> {
  const [was] = await engine.all("SELECT current_setting('preserve_insertion_order') AS v");
  await engine.run('SET preserve_insertion_order = true');
  try {
    return await fn();
  } finally {
    await engine.run(`SET preserve_insertion_order = ${was?.v === true}`);
  }
}
