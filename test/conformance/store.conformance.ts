/**
 * One conformance suite for every ServingStore (embedded SQLite, MySQL). Each test gets a fresh,
 * empty store from setup(); reopen() gives a second, independent instance on the same data.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { ServingStore } from '../../src/connectors/store/types.js';
import { ALL_TABLES, LEDGER, QUALITY, type Row, type TableSpec } from '../../src/core/tables.js';
import { historical, realtimeMetric } from '../support/metrics.js';

export interface StoreFixture {
  store: ServingStore;
  reopen(): ServingStore;
  cleanup(): Promise<void>;
}

const R1 = realtimeMetric('R1').batchSpec;
const R5 = realtimeMetric('R5').batchSpec;
const HISTORICAL = { Q1: historical('Q1').spec, Q3a: historical('Q3a').spec, Q6: historical('Q6').spec };
const r1 = (minute: string, category: string, postings: number, final = true): Row => ({ minute, category, postings, final });

export function storeConformance(name: string, setup: () => Promise<StoreFixture>): void {
  describe(`ServingStore conformance: ${name}`, () => {
    let fx: StoreFixture;
    let store: ServingStore;
    const opened: ServingStore[] = [];
    const reopen = () => {
      const s = fx.reopen();
      opened.push(s);
      return s;
    };
    beforeEach(async () => {
      fx = await setup();
      store = fx.store;
      await store.connect();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await store.close();
      await fx.cleanup();
    });

    test('connect creates every table of ALL_TABLES, empty', async () => {
      for (const t of ALL_TABLES) expect(await store.select(t)).toEqual([]);
      expect(await store.query('SELECT COUNT(*) AS n FROM batch_runs')).toEqual([{ n: 0 }]);
      await store.connect(); // idempotent
      const again = reopen();
      await again.connect();
      expect(await again.select(LEDGER)).toEqual([]);
    });

    test('replace whole table; select orders by the columns', async () => {
      const Q1 = HISTORICAL.Q1;
      await store.replace(Q1, [
        { country: 'Chile', category: 'art', category_count: 3 },
        { country: 'Albania', category: 'travel', category_count: 9 },
        { country: 'Albania', category: 'art', category_count: 9 },
      ]);
      expect(await store.select(Q1)).toEqual([
        { country: 'Albania', category: 'art', category_count: 9 },
        { country: 'Albania', category: 'travel', category_count: 9 },
        { country: 'Chile', category: 'art', category_count: 3 },
      ]);
      await store.replace(Q1, [{ country: 'Peru', category: 'diy', category_count: 1 }]);
      expect(await store.select(Q1)).toEqual([{ country: 'Peru', category: 'diy', category_count: 1 }]);
      await store.replace(Q1, []);
      expect(await store.select(Q1)).toEqual([]);
    });

    test('replace where: only the matching rows are replaced', async () => {
      await store.replace(QUALITY, [
        { day: '2026-11-26', field: 'follower_count', issues: 5 },
        { day: '2026-11-27', field: 'follower_count', issues: 7 },
        { day: '2026-11-27', field: 'age', issues: 1 },
      ]);
      await store.replace(QUALITY, [{ day: '2026-11-27', field: 'title', issues: 2 }], { day: '2026-11-27' });
      expect(await store.select(QUALITY)).toEqual([
        { day: '2026-11-26', field: 'follower_count', issues: 5 },
        { day: '2026-11-27', field: 'title', issues: 2 },
      ]);
      expect(await store.select(QUALITY, { day: '2026-11-26' })).toEqual([{ day: '2026-11-26', field: 'follower_count', issues: 5 }]);
    });

    test('replace with a range: one day of minutes, half-open, other days untouched', async () => {
      const before = [r1('2026-11-26T23:59:00.000Z', 'art', 1), r1('2026-11-27T00:00:00.000Z', 'art', 2), r1('2026-11-27T12:30:00.000Z', 'diy', 3), r1('2026-11-27T23:59:00.000Z', 'art', 4), r1('2026-11-28T00:00:00.000Z', 'art', 5)];
      await store.replace(R1, before);
      const day = { column: 'minute', from: '2026-11-27T00:00:00.000Z', to: '2026-11-28T00:00:00.000Z' };
      await store.replace(R1, [r1('2026-11-27T08:00:00.000Z', 'travel', 6)], undefined, day);
      expect(await store.select(R1)).toEqual([r1('2026-11-26T23:59:00.000Z', 'art', 1), r1('2026-11-27T08:00:00.000Z', 'travel', 6), r1('2026-11-28T00:00:00.000Z', 'art', 5)]);
      // where and range together; range bounds as epoch ms
      await store.replace(R1, [r1('2026-11-26T23:59:00.000Z', 'art', 10)], { category: 'art' }, { column: 'minute', from: Date.parse('2026-11-26T00:00:00Z'), to: Date.parse('2026-11-29T00:00:00Z') });
      expect(await store.select(R1)).toEqual([r1('2026-11-26T23:59:00.000Z', 'art', 10), r1('2026-11-27T08:00:00.000Z', 'travel', 6)]);
      expect(await store.select(R1, undefined, day)).toEqual([r1('2026-11-27T08:00:00.000Z', 'travel', 6)]);
    });

    test('upsert inserts, then updates only the columns given', async () => {
      await store.upsert(LEDGER, [{ day: '2026-11-27', status: 'running', started_at: '2026-11-28T01:00:00.000Z' }]);
      await store.upsert(LEDGER, [
        { day: '2026-11-27', status: 'done', finished_at: '2026-11-28T01:00:42.500Z', raw_records: 1000, curated_rows: 990, message: null },
        { day: '2026-11-26', status: 'failed', message: 'boom' },
      ]);
      expect(await store.select(LEDGER)).toEqual([
        { day: '2026-11-26', status: 'failed', started_at: null, finished_at: null, raw_records: null, curated_rows: null, message: 'boom', reason: null, complete: null, raw_objects: null, raw_fingerprint: null },
        { day: '2026-11-27', status: 'done', started_at: '2026-11-28T01:00:00.000Z', finished_at: '2026-11-28T01:00:42.500Z', raw_records: 1000, curated_rows: 990, message: null, reason: null, complete: null, raw_objects: null, raw_fingerprint: null },
      ]);
    });

    test('multi-row upsert of thousands of rows, then an update of some', async () => {
      const base = Date.parse('2026-11-27T00:00:00Z');
      const rows = Array.from({ length: 2600 }, (_, i) => r1(new Date(base + Math.floor(i / 2) * 60_000).toISOString(), i % 2 ? 'art' : 'diy', i, false));
      await store.upsert(R1, rows);
      await store.upsert(R1, rows.slice(0, 1200).map((r) => ({ ...r, postings: (r.postings as number) + 100_000, final: true })));
      const got = await store.select(R1);
      expect(got.length).toBe(2600);
      const expected = rows.map((r, i) => (i < 1200 ? { ...r, postings: i + 100_000, final: true } : r));
      const sortKey = (r: Row) => `${r.minute}|${r.category}`;
      expect(got).toEqual([...expected].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)));
    });

    test('booleans, nulls, numbers, text and ISO timestamps round-trip exactly', async () => {
      await store.replace(R5, [
        { minute: '2026-11-27T10:00:00Z', images: 0, videos: null, stories: 9007199254740991, mean_follower_count: 0.1 + 0.2, final: false },
        { minute: Date.parse('2026-11-27T10:01:00.000Z'), images: -1, videos: 2, stories: 0, mean_follower_count: null, final: true },
        { minute: '2026-11-27 10:02:00', images: 1, videos: 1, stories: 1, mean_follower_count: -1234567.890625, final: true },
      ]);
      expect(await store.select(R5)).toEqual([
        { minute: '2026-11-27T10:00:00.000Z', images: 0, videos: null, stories: 9007199254740991, mean_follower_count: 0.30000000000000004, final: false },
        { minute: '2026-11-27T10:01:00.000Z', images: -1, videos: 2, stories: 0, mean_follower_count: null, final: true },
        { minute: '2026-11-27T10:02:00.000Z', images: 1, videos: 1, stories: 1, mean_follower_count: -1234567.890625, final: true },
      ]);
      const texts = ["it's \"quoted\"", 'émoji 📌 ünïcode', '', 'back\\slash'];
      await store.replace(HISTORICAL.Q3a, texts.map((t, i) => ({ country: t, poster_name: i === 0 ? null : t, follower_count: i })));
      const got = await store.select(HISTORICAL.Q3a);
      expect(got.map((r) => r.country).sort()).toEqual([...texts].sort());
      expect(got.find((r) => r.follower_count === 0)).toEqual({ country: texts[0], poster_name: null, follower_count: 0 });
      expect(await store.select(HISTORICAL.Q3a, { poster_name: null })).toEqual([{ country: texts[0], poster_name: null, follower_count: 0 }]);
      expect(await store.select(R5, { final: false })).toHaveLength(1);
    });

    test('a null text key is stored and returned as empty text', async () => {
      await store.upsert(R1, [{ minute: '2026-11-27T10:00:00.000Z', category: null, postings: 4, final: false }]);
      await store.upsert(R1, [{ minute: '2026-11-27T10:00:00.000Z', category: null, postings: 5, final: true }]);
      expect(await store.select(R1)).toEqual([r1('2026-11-27T10:00:00.000Z', '', 5, true)]);
    });

    test('bad rows are refused: unknown column, wrong type, upsert without a key', async () => {
      await expect(store.upsert(R1, [{ minute: '2026-11-27T10:00:00Z', category: 'a', postings: 1, final: true, nope: 1 }])).rejects.toThrow(/nope/);
      await expect(store.upsert(R1, [{ minute: 'not a time', category: 'a', postings: 1, final: true }])).rejects.toThrow(/minute/);
      await expect(store.upsert(R1, [{ minute: '2026-11-27T10:00:00Z', category: 'a', postings: 1.5, final: true }])).rejects.toThrow(/postings/);
      await expect(store.upsert(HISTORICAL.Q1, [{ country: 'x', category: 'y', category_count: 1 }])).rejects.toThrow(/no key/);
      expect(await store.select(R1)).toEqual([]);
    });

    test('query runs a SELECT or WITH and refuses anything that writes', async () => {
      await store.replace(QUALITY, [{ day: '2026-11-27', field: 'age', issues: 3 }, { day: '2026-11-27', field: 'title', issues: 4 }]);
      expect(await store.query('SELECT field, issues FROM quality_issues ORDER BY field')).toEqual([{ field: 'age', issues: 3 }, { field: 'title', issues: 4 }]);
      expect(await store.query('  with t as (select sum(issues) as total from quality_issues) select total from t;  ')).toEqual([{ total: 7 }]);
      expect(await store.query("SELECT 'a;b' AS s -- a comment; DROP TABLE x")).toEqual([{ s: 'a;b' }]);
      const refused = [
        "INSERT INTO quality_issues (day, field, issues) VALUES ('2026-11-28', 'x', 1)",
        "DELETE FROM quality_issues",
        'DROP TABLE quality_issues',
        "UPDATE quality_issues SET issues = 0",
        'SELECT 1; DROP TABLE quality_issues',
        'SELECT 1; SELECT 2',
        'WITH t AS (SELECT 1) DELETE FROM quality_issues',
        'CREATE TABLE evil (a int)',
        '',
      ];
      for (const sql of refused) await expect(store.query(sql)).rejects.toMatchObject({ code: 'QUERY_INVALID' });
      await expect(store.query('SELECT * FROM no_such_table_here')).rejects.toMatchObject({ code: 'QUERY_INVALID' });
      expect(await store.select(QUALITY)).toHaveLength(2);
    });

    test('query: SHOW TABLES lists the tables; bool columns come back as booleans, as select gives them', async () => {
      const R4 = realtimeMetric('R4').spec;
      await store.upsert(R4, [{ minute: '2026-11-27T10:00:00.000Z', distinct_posters: 2, final: true }, { minute: '2026-11-27T10:01:00.000Z', distinct_posters: 1, final: false }]);
      expect((await store.query('show tables;')).map((r) => r.table_name)).toEqual(expect.arrayContaining(['batch_runs', 'quality_issues', R4.name]));
      const sql = `SELECT distinct_posters, final FROM ${R4.name} WHERE minute >= '2026-11-27' ORDER BY distinct_posters DESC`;
      // (a metric's table: its spec comes with the query, as pinpipe query --store passes the metrics' specs)
      expect(await store.query(sql, { specs: [R4] })).toEqual([{ distinct_posters: 2, final: true }, { distinct_posters: 1, final: false }]);
    });

    test('replace is atomic for a concurrent reader', async () => {
      const Q6 = HISTORICAL.Q6;
      const version = (v: number) => Array.from({ length: 1500 }, (_, i) => ({ join_year: i, number_users_joined: v }));
      await store.replace(Q6, version(1));
      const reader = reopen();
      await reader.connect();
      let done = false;
      const seen = new Set<string>();
      const reading = (async () => {
        while (!done) {
          const rows = await reader.select(Q6);
          const values = new Set(rows.map((r) => r.number_users_joined));
          if (rows.length !== 1500 || values.size !== 1) throw new Error(`mixed read: ${rows.length} rows, versions ${[...values].join(',')}`);
          seen.add(String([...values][0]));
        }
      })();
      for (let v = 2; v <= 5; v++) await store.replace(Q6, version(v));
      done = true;
      await reading;
      expect([...seen].every((v) => ['1', '2', '3', '4', '5'].includes(v))).toBe(true);
      expect((await store.select(Q6, { join_year: 7 }))[0]).toEqual({ join_year: 7, number_users_joined: 5 });
    });

    test('a reopened store sees the data; a changed spec adds missing columns', async () => {
      await store.upsert(LEDGER, [{ day: '2026-11-27', status: 'done', raw_records: 12 }]);
      await store.close();
      const again = reopen();
      await again.connect();
      expect(await again.select(LEDGER)).toEqual([
        { day: '2026-11-27', status: 'done', started_at: null, finished_at: null, raw_records: 12, curated_rows: null, message: null, reason: null, complete: null, raw_objects: null, raw_fingerprint: null },
      ]);
      const v1: TableSpec = { name: 'conformance_migrate', columns: [['id', 'text'], ['n', 'int']], key: ['id'] };
      const v2: TableSpec = { ...v1, columns: [...v1.columns, ['x', 'double'], ['at', 'timestamp'], ['ok', 'bool']] };
      await again.upsert(v1, [{ id: 'a', n: 1 }]);
      const third = reopen();
      await third.connect();
      expect(await third.select(v2)).toEqual([{ id: 'a', n: 1, x: null, at: null, ok: null }]);
      await third.upsert(v2, [{ id: 'a', x: 2.5, at: '2026-11-27T00:00:01.001Z', ok: true }, { id: 'b', n: 2, ok: false }]);
      expect(await again.select(v2)).toEqual([
        { id: 'a', n: 1, x: 2.5, at: '2026-11-27T00:00:01.001Z', ok: true },
        { id: 'b', n: 2, x: null, at: null, ok: false },
      ]);
    });

    test('a metric table (rebuild) whose definition changed is created again, empty; an unchanged one keeps its rows', async () => {
      const v1: TableSpec = { name: 'conformance_metric', columns: [['minute', 'timestamp'], ['k', 'text'], ['n', 'bigint'], ['final', 'bool']], key: ['minute', 'k'], rebuild: true };
      await store.upsert(v1, [{ minute: '2026-11-27T10:00:00.000Z', k: 'a', n: 1, final: true }]);
      const same = reopen();
      await same.connect();
      expect(await same.select({ ...v1 })).toEqual([{ minute: '2026-11-27T10:00:00.000Z', k: 'a', n: 1, final: true }]);
      // a value column's type changed (bigint → double) and one was added: the old rows cannot be right
      const v2: TableSpec = { ...v1, columns: [['minute', 'timestamp'], ['k', 'text'], ['n', 'double'], ['m', 'double'], ['final', 'bool']] };
      const other = reopen();
      await other.connect();
      expect(await other.select(v2)).toEqual([]);
      await other.upsert(v2, [{ minute: '2026-11-27T10:00:00.000Z', k: 'a', n: 0.5, m: 2, final: false }]);
      // the key changed: created again too
      const v3: TableSpec = { ...v2, key: ['minute'], columns: [['minute', 'timestamp'], ['n', 'double'], ['m', 'double'], ['final', 'bool']] };
      const third = reopen();
      await third.connect();
      await third.upsert(v3, [{ minute: '2026-11-27T10:00:00.000Z', n: 1, m: 1, final: true }]);
      expect(await third.select(v3)).toEqual([{ minute: '2026-11-27T10:00:00.000Z', n: 1, m: 1, final: true }]);
      expect(await third.query('SELECT COUNT(*) AS n FROM conformance_metric')).toEqual([{ n: 1 }]);
    });
  });
}
