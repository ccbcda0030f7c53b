/**
 * The serving store on MySQL/MariaDB (mysql2/promise; SingleStore speaks the same protocol).
 * One pool from store.mysql.url; the schema is created or migrated on connect() from the same
 * TableSpecs as the embedded store (mysql-sql.ts). Every write is one transaction; deadlocks,
 * lock timeouts and lost connections are retried with backoff, then reported as
 * STORE_UNAVAILABLE (retriable). Messages name host, port and database, never the password.
 */
import { readFileSync } from 'node:fs';
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import type { Config } from '../../core/config.js';
import { SharedAttempt } from '../../core/serial.js';
import { PinpipeError, isPinpipeError } from '../../core/errors.js';
import { retry } from '../../core/retry.js';
import { ALL_TABLES, type Row, type TableSpec } from '../../core/tables.js';
import { addColumnSql, createTableSql, deleteSql, insertSqls, qb, sameColumns, selectSql, type MysqlFilter, type Statement } from './mysql-sql.js';
import { notOneQuery, queryCheckSql, refuseFileFunctions, showTablesSql, trimStatement } from './readonly-sql.js';
import type { QueryOptions, RowRange, ServingStore } from './types.js';
import { decodeRow, groupByColumns, normalizeRange, normalizeRow, normalizeWhere, plainValue } from './values.js';

const RETRIABLE_CODES = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ER_CON_COUNT_ERROR',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'EHOSTUNREACH',
]);
/** MySQL's column type code of TINYINT (with length 1: BOOL) */
const TINY = 1;
const isRetriable = (e: unknown): boolean => RETRIABLE_CODES.has((e as { code?: string })?.code ?? '') || (e as { fatal?: boolean })?.fatal === true;

export class MysqlStore implements ServingStore {
  readonly kind = 'mysql' as const;
  private readonly pool: Pool;
  private readonly where: string;
  private readonly ready = new Map<string, TableSpec>();
  private readonly connecting = new SharedAttempt();

  constructor(cfg: Config) {
    const mc = cfg.store.mysql;
    this.where = describe(mc.url);
    const opts: PoolOptions = {
      uri: mc.url,
      connectionLimit: mc.poolSize,
      waitForConnections: true,
      connectTimeout: 10_000,
      enableKeepAlive: true,
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      multipleStatements: false,
      charset: 'utf8mb4',
    };
    if (mc.ssl) {
      let ca: Buffer | undefined;
      try {
        ca = mc.sslCaFile ? readFileSync(mc.sslCaFile) : undefined;
      } catch (e) {
        throw new PinpipeError('CONFIG_INVALID', `store.mysql.sslCaFile: cannot read ${mc.sslCaFile}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
      opts.ssl = { ca, rejectUnauthorized: mc.sslRejectUnauthorized };
    }
    this.pool = createPool(opts);
  }

  private fail(what: string, e: unknown): PinpipeError {
    if (isPinpipeError(e)) return e;
    const err = e as { code?: string; message?: string };
    return new PinpipeError('STORE_UNAVAILABLE', `mysql ${what} at ${this.where} failed: ${err?.code ? `${err.code}: ` : ''}${err?.message ?? String(e)}`, {
      retriable: isRetriable(e),
      cause: e,
    });
  }

  /** Run fn on one pooled connection (in a transaction when tx), retrying transient failures. */
  private async withConn<T>(what: string, tx: boolean, fn: (c: PoolConnection) => Promise<T>): Promise<T> {
    try {
      return await retry(
        async () => {
          const conn = await this.pool.getConnection();
          try {
            if (tx) await conn.beginTransaction();
            const out = await fn(conn);
            if (tx) await conn.commit();
            return out;
          } catch (e) {
            if (tx) await conn.rollback().catch(() => {});
            throw e;
          } finally {
            conn.release();
          }
        },
        { retries: 3, initialMs: 100, maxMs: 2_000, shouldRetry: (e) => !isPinpipeError(e) && isRetriable(e) },
      );
    } catch (e) {
      throw this.fail(what, e);
    }
  }

  private async exec(conn: PoolConnection, st: Statement): Promise<void> {
    await conn.execute(st.sql, st.params);
  }

  /** one pooled connection answers SELECT 1 (no retries) */
  async health(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (e) {
      throw this.fail('health check', e);
    }
  }

  async connect(): Promise<void> {
    return this.connecting.run(async () => {
      await this.withConn('create tables', false, async (conn) => {
        for (const t of ALL_TABLES) await this.ensureTable(conn, t);
      });
      for (const t of ALL_TABLES) this.ready.set(t.name, t);
    });
  }

  /** create, or add missing columns; a `rebuild` table whose columns, types or key differ is dropped and created again */
  private async ensureTable(conn: PoolConnection, table: TableSpec): Promise<void> {
    await conn.query(createTableSql(table));
    const [rows] = await conn.execute(
      'SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t, COLUMN_KEY AS k FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [table.name],
    );
    const cols = rows as { c: string; t: string; k: string }[];
    if (table.rebuild) {
      if (!sameColumns(table, cols)) {
        await conn.query(`DROP TABLE IF EXISTS ${qb(table.name)}`);
        await conn.query(createTableSql(table));
      }
      return;
    }
    const have = new Set(cols.map((r) => r.c));
    for (const col of table.columns) {
      if (have.has(col[0])) continue;
      try {
        await conn.query(addColumnSql(table, col));
      } catch (e) {
        if ((e as { code?: string }).code !== 'ER_DUP_FIELDNAME') throw e; // added meanwhile by another process
      }
    }
  }

  /** Connect on first use; a spec outside ALL_TABLES (or a changed one) is created or migrated first. */
  private async prepare(table: TableSpec): Promise<void> {
    await this.connect();
    if (this.ready.get(table.name) === table) return;
    await this.withConn(`migrate ${table.name}`, false, (conn) => this.ensureTable(conn, table));
    this.ready.set(table.name, table);
  }

  async replace(table: TableSpec, rows: Row[], where?: Row, range?: RowRange): Promise<void> {
    const filter: MysqlFilter = { where: normalizeWhere(table, where), range: normalizeRange(table, range) };
    const statements = [
      deleteSql(table, filter),
      ...insertSqls(
        table,
        table.columns.map(([c]) => c),
        rows.map((r) => normalizeRow(table, r, true)),
        false,
      ),
    ];
    await this.prepare(table);
    await this.withConn(`replace ${table.name}`, true, async (conn) => {
      for (const st of statements) await this.exec(conn, st);
    });
  }

  async upsert(table: TableSpec, rows: Row[]): Promise<void> {
    if (!rows.length) return;
    const statements: Statement[] = [];
    for (const group of groupByColumns(rows.map((r) => normalizeRow(table, r, false))).values()) {
      statements.push(...insertSqls(table, Object.keys(group[0]!), group, true));
    }
    await this.prepare(table);
    await this.withConn(`upsert ${table.name}`, true, async (conn) => {
      for (const st of statements) await this.exec(conn, st);
    });
  }

  async select(table: TableSpec, where?: Row, range?: RowRange): Promise<Row[]> {
    const st = selectSql(table, { where: normalizeWhere(table, where), range: normalizeRange(table, range) });
    await this.prepare(table);
    return this.withConn(`select ${table.name}`, false, async (conn) => {
      const [rows] = await conn.execute(st.sql, st.params);
      return (rows as Record<string, unknown>[]).map((r) => decodeRow(table, r));
    });
  }

  /**
   * One read-only query (readonly-sql.ts): the server prepares it as a subquery (nothing runs; a
   * second statement, DDL, SET, INTO OUTFILE … are syntax errors there), then it runs alone in a
   * READ ONLY transaction (the pool never allows several statements per call). TINYINT(1) columns
   * (how MySQL declares BOOL, and the store's bool columns) come back as booleans.
   */
  async query(sql: string, _opts?: QueryOptions): Promise<Row[]> {
    const listing = showTablesSql('mysql', sql);
    const stmt = listing ?? trimStatement(sql);
    refuseFileFunctions(stmt);
    await this.connect();
    let conn: PoolConnection;
    try {
      conn = await this.pool.getConnection();
    } catch (e) {
      throw this.fail('query', e);
    }
    try {
      if (!listing) {
        try {
          await (await conn.prepare(queryCheckSql(stmt))).close();
        } catch (e) {
          if (isRetriable(e)) throw e;
          throw notOneQuery((e as Error).message);
        }
      }
      await conn.query('START TRANSACTION READ ONLY');
      const [rows, fields] = await conn.query(stmt);
      if (!Array.isArray(rows)) return [];
      const bools = new Set((fields ?? []).filter((f) => f.columnType === TINY && f.columnLength === 1).map((f) => f.name));
      return (rows as Record<string, unknown>[]).map((r) => {
        const out: Row = {};
        for (const [k, v] of Object.entries(r)) out[k] = bools.has(k) && (v === 0 || v === 1) ? v === 1 : plainValue(v);
        return out;
      });
    } catch (e) {
      if (isPinpipeError(e)) throw e;
      if (isRetriable(e)) throw this.fail('query', e);
      throw new PinpipeError('QUERY_INVALID', `query failed: ${(e as Error).message}`);
    } finally {
      await conn.query('ROLLBACK').catch(() => {});
      conn.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** host:port/database of a mysql URL, never its credentials. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '3306'}${u.pathname}`;
  } catch {
    return '(invalid mysql url)';
  }
}
