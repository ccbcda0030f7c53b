/**
 * `query --store` accepts one read-only query as the database itself parses it (issue 11, item 6):
 * pure helpers, then a real SQLite store file (node-sqlite3-wasm) with a table to protect.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { queryCheckSql, refuseFileFunctions, showTablesSql, trimStatement } from '../../src/connectors/store/readonly-sql.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig } from '../../src/core/config.js';
import { LEDGER } from '../../src/core/tables.js';
import { historical, realtimeMetric } from '../support/metrics.js';

describe('helpers', () => {
  test.each([
    ['SELECT 1', 'SELECT 1'],
    ['  select 1 ;; \n', '  select 1'],
    ["SELECT ';'", "SELECT ';'"],
  ])('trimStatement(%j)', (sql, out) => expect(trimStatement(sql)).toBe(out));

  test('an empty statement is refused', () => {
    for (const sql of ['', ' ; ', '\n']) expect(() => trimStatement(sql)).toThrow(expect.objectContaining({ code: 'QUERY_INVALID', message: expect.stringMatching(/the query is empty/) }));
  });

  test('the check wraps the statement in EXISTS, with line breaks that end a trailing comment', () => {
    expect(queryCheckSql('SELECT 1 -- c')).toBe('SELECT EXISTS (\nSELECT 1 -- c\n)');
  });

  test('SHOW TABLES is recognized in any case, with or without a semicolon; nothing else', () => {
    for (const sql of ['SHOW TABLES', ' show tables; ', 'Show  Tables']) expect(showTablesSql('embedded', sql)).toMatch(/^SELECT name AS table_name FROM sqlite_schema/);
    expect(showTablesSql('mysql', 'SHOW TABLES')).toMatch(/information_schema\.tables/);
    for (const sql of ['SHOW TABLES; DROP TABLE x', 'SELECT 1', 'SHOW DATABASES']) expect(showTablesSql('embedded', sql)).toBeNull();
  });

  test('LOAD_FILE is refused by name, however it is written', () => {
    for (const sql of ["SELECT LOAD_FILE('/etc/passwd')", "SELECT load_file ('/etc/passwd')", "SELECT 1 FROM t WHERE x = LoAd_FiLe('/x')"]) expect(() => refuseFileFunctions(sql)).toThrow(/LOAD_FILE/);
    expect(() => refuseFileFunctions('SELECT 1')).not.toThrow();
  });
});

describe('on the embedded store (SQLite)', () => {
  let dir: string;
  let store: EmbeddedStore;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-readonly-'));
    store = new EmbeddedStore(loadConfig({ env: {}, flags: { dataDir: dir } }));
    await store.upsert(LEDGER, [{ day: '2026-11-20', status: 'done' }, { day: '2026-11-21', status: 'failed' }]);
    await store.replace(historical('Q1').spec, []);
    await store.upsert(realtimeMetric('R1').spec, [{ minute: '2026-11-20T10:00:00.000Z', category: 'art', postings: 2, final: true }, { minute: '2026-11-20T10:01:00.000Z', category: 'art', postings: 1, final: false }]);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const days = async () => (await store.query('SELECT count(*) AS n FROM batch_runs'))[0]!.n;

  test.each([
    "SELECT '\\'; DELETE FROM batch_runs; --'",
    'SELECT 1; DELETE FROM batch_runs',
    'DELETE FROM batch_runs',
    'WITH x AS (SELECT 1) DELETE FROM batch_runs',
    'INSERT INTO batch_runs (day) VALUES (1) RETURNING day',
    'UPDATE batch_runs SET status = 1',
    'DROP TABLE batch_runs',
    `ATTACH '${path.join(os.tmpdir(), 'pinpipe-attached.db')}' AS o`,
    'PRAGMA query_only = 0',
    'PRAGMA user_version = 7',
    'VACUUM',
    'EXPLAIN SELECT 1',
    'SELECT 1 /* unterminated',
    "SELECT 'unterminated",
  ])('refuses %j, and nothing changes', async (sql) => {
    await expect(store.query(sql)).rejects.toMatchObject({ code: 'QUERY_INVALID', message: expect.stringMatching(/^only one read-only query is allowed/) });
    expect(await days()).toBe(2);
  });

  test.each<[string, unknown[]]>([
    ['SELECT day FROM batch_runs ORDER BY day', [{ day: '2026-11-20' }, { day: '2026-11-21' }]],
    ["SELECT day FROM batch_runs WHERE status = 'done';", [{ day: '2026-11-20' }]],
    ["SELECT '\\' AS backslash", [{ backslash: '\\' }]],
    ['WITH d AS (SELECT day FROM batch_runs) SELECT count(*) AS n FROM d -- trailing comment', [{ n: 2 }]],
    ['VALUES (1), (2)', [{ column1: 1 }, { column1: 2 }]],
    ['SELECT 1 AS a, 1 AS a2 UNION ALL SELECT 2, 2 ORDER BY 1', [{ a: 1, a2: 1 }, { a: 2, a2: 2 }]],
  ])('accepts %j', async (sql, rows) => {
    expect(await store.query(sql)).toEqual(rows);
  });

  test('SHOW TABLES lists the tables; bool columns come back as booleans, as --metric shows them', async () => {
    const tables = (await store.query('SHOW TABLES')).map((r) => r.table_name);
    expect(tables).toEqual(expect.arrayContaining(['batch_runs', 'rt_r1_postings_by_category', 'q1_category_by_country']));
    const specs = [realtimeMetric('R1').spec]; // a metric's table: pinpipe query --store passes the metrics' specs
    expect(await store.query('SELECT minute, final FROM rt_r1_postings_by_category ORDER BY minute', { specs })).toEqual([
      { minute: '2026-11-20T10:00:00.000Z', final: true },
      { minute: '2026-11-20T10:01:00.000Z', final: false },
    ]);
    // an expression or an alias is not the bool column: it stays a number
    expect(await store.query('SELECT final + 0 AS final, final AS f FROM rt_r1_postings_by_category ORDER BY minute', { specs })).toEqual([
      { final: 1, f: 1 },
      { final: 0, f: 0 },
    ]);
  });
});
