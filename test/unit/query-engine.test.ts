/**
 * `pinpipe query` over the lake, in-process: the views (empty lake and the fixture lake), the
 * read-only guard, limits, and --metric ... --source lake agreeing with what batch-run stored.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { BUILTIN, historical, realtimeMetric } from '../support/metrics.js';
import type { Engine } from '../../src/engine/duckdb.js';
import { openLakeEngine, runReadOnly } from '../../src/engine/query.js';
import { metricFromLake } from '../../src/pipeline/batch-run/metric.js';
import { runBatch } from '../../src/pipeline/batch-run/runner.js';
import { DAY1, DAY2, writeFixtureLake } from '../fixtures/batch-lake.js';

const tmpCfg = (): Config => loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-query-')) } });

const VIEW_COLUMNS = {
  raw_pin:
    'index unique_id title description poster_name follower_count tag_list is_image_or_video image_src downloaded save_location category event_id ingested_at',
  raw_geo: 'ind timestamp latitude longitude country event_id ingested_at',
  raw_user: 'ind first_name last_name age date_joined event_id ingested_at',
  pins: 'ind unique_id title description poster_name follower_count tag_list media_type image_src downloaded save_location category event_id ingested_at',
  geo: 'ind timestamp latitude longitude coordinates country event_id ingested_at',
  users: 'ind user_name age age_group date_joined event_id ingested_at',
  postings:
    'ind unique_id title description poster_name follower_count tag_list media_type image_src downloaded save_location category event_id ingested_at timestamp latitude longitude coordinates country user_name age age_group date_joined',
};

async function columnsOf(engine: Engine, view: string): Promise<string> {
  const r = await runReadOnly(engine, `DESCRIBE ${view}`);
  return r.rows.map((row) => row.column_name).join(' ');
}

describe('query over an empty lake', () => {
  let cfg: Config;
  let engine: Engine;
  beforeAll(async () => {
    cfg = tmpCfg();
    engine = await openLakeEngine(cfg, new LocalLake(cfg));
  });
  afterAll(() => {
    engine.close();
    rmSync(cfg.dataDir, { recursive: true, force: true });
  });

  test('every view exists with its columns and no rows', async () => {
    for (const [view, cols] of Object.entries(VIEW_COLUMNS)) {
      expect(await columnsOf(engine, view)).toBe(cols);
      expect((await runReadOnly(engine, `SELECT count(*) AS n FROM ${view}`)).rows).toEqual([{ n: 0 }]);
    }
  });
});

describe('query over the fixture lake after batch-run', () => {
  let cfg: Config;
  let engine: Engine;
  let store: EmbeddedStore;
  let lake: LocalLake;
  beforeAll(async () => {
    cfg = tmpCfg();
    writeFixtureLake(path.join(cfg.dataDir, 'lake'));
    lake = new LocalLake(cfg);
    store = new EmbeddedStore(cfg);
    await runBatch({ cfg, lake, store, logger: silentLogger, metrics: BUILTIN }, { from: DAY1, to: DAY2, workers: 0 });
    engine = await openLakeEngine(cfg, lake);
  });
  afterAll(async () => {
    engine.close();
    await store.close();
    rmSync(cfg.dataDir, { recursive: true, force: true });
  });

  test('raw views: every raw line with its typed fields, no housekeeping fields', async () => {
    // 9 + 3 pins, 9 + 1 geo, 8 + 1 user records parse (the broken user line is left out)
    const counts = await runReadOnly(
      engine,
      'SELECT (SELECT count(*) FROM raw_pin) AS pins, (SELECT count(*) FROM raw_geo) AS geo, (SELECT count(*) FROM raw_user) AS users',
    );
    expect(counts.rows).toEqual([{ pins: 12, geo: 10, users: 9 }]);
    const p = await runReadOnly(engine, "SELECT * FROM raw_pin WHERE event_id = 'p5'");
    expect(p.rows).toEqual([
      {
        index: 5,
        unique_id: expect.any(String),
        title: 'Pin 5',
        description: 'No description available',
        poster_name: 'Eve',
        follower_count: 'lots',
        tag_list: 'red, blue,,green',
        is_image_or_video: 'gif',
        image_src: 'https://i.example/5.jpg',
        downloaded: 1,
        save_location: 'Local save in /data/diy',
        category: 'diy',
        event_id: 'p5',
        ingested_at: `${DAY1}T10:01:02.000Z`,
      },
    ]);
  });

  test('curated views: one row per ind across days, the latest wins', async () => {
    const r = await runReadOnly(engine, 'SELECT ind, event_id, category, follower_count, tag_list FROM pins ORDER BY ind');
    expect(r.columns).toEqual(['ind', 'event_id', 'category', 'follower_count', 'tag_list']);
    expect(r.rows.map((x) => [x.ind, x.event_id, x.category, x.follower_count])).toEqual([
      [1, 'p1c', 'travel', 3000],
      [2, 'p2b', 'diy', 3000],
      [3, 'p3', 'travel', 500],
      [4, 'p4', 'travel', 2000000],
      [5, 'p5', 'diy', null],
      [6, 'p6', 'diy', 10],
      [7, 'p7', 'art', 900],
      [10, 'p10', null, 12],
    ]);
    expect(r.rows[0]!.tag_list).toEqual(['red', 'blue', 'green']);
    const g = await runReadOnly(engine, 'SELECT ind, coordinates, "timestamp" FROM geo WHERE ind = 7');
    expect(g.rows).toEqual([{ ind: 7, coordinates: [-12.5, 77.25], timestamp: '2021-02-02T00:00:00.000Z' }]);
  });

  test('--limit reads at most n rows', async () => {
    const r = await runReadOnly(engine, 'SELECT * FROM range(100000) t(i)', 3);
    expect(r.rows).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect((await runReadOnly(engine, 'SELECT 1 AS x', 0)).rows).toEqual([]);
  });

  test('read-only: allowed statement kinds run', async () => {
    expect((await runReadOnly(engine, 'WITH a AS (SELECT 41 AS x) SELECT x + 1 AS y FROM a;')).rows).toEqual([{ y: 42 }]);
    expect((await runReadOnly(engine, '-- a comment\n/* another */ SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect((await runReadOnly(engine, 'SHOW TABLES')).rows.map((r) => r.name)).toEqual(['geo', 'pins', 'postings', 'raw_geo', 'raw_pin', 'raw_user', 'users']);
    expect((await runReadOnly(engine, 'SUMMARIZE users')).rows.map((r) => r.column_name)).toEqual(VIEW_COLUMNS.users.split(' '));
    expect((await runReadOnly(engine, 'EXPLAIN SELECT * FROM pins')).columns).toEqual(['explain_key', 'explain_value']);
    expect((await runReadOnly(engine, 'EXPLAIN ANALYZE SELECT count(*) FROM pins')).rows.length).toBe(1);
    expect((await runReadOnly(engine, 'FROM users SELECT count(*) AS n')).rows).toEqual([{ n: 7 }]);
  });

  test.each([
    ['INSERT INTO pins SELECT * FROM pins', /INSERT is not read-only/],
    ["COPY (SELECT 1) TO '/tmp/pinpipe-should-not-exist.csv'", /COPY is not read-only/],
    ["ATTACH '/tmp/pinpipe-should-not-exist.db' AS x", /ATTACH is not read-only/],
    ['SELECT 1; SELECT 2', /got 2 statements/],
    ['SELECT 1; DROP VIEW pins', /got 2 statements/],
    ['CREATE TABLE t AS SELECT 1', /CREATE is not read-only/],
    ['DROP VIEW pins', /DROP is not read-only/],
    ['SET threads = 1', /SET is not read-only/],
    ['PRAGMA threads = 1', /PRAGMA is not read-only/],
    ['CALL pragma_version()', /CALL is not read-only/],
    ["EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/pinpipe-should-not-exist.csv'", /EXPLAIN of COPY is not read-only/],
    ['INSTALL httpfs', /INSTALL is not read-only/],
    ['', /the query is empty/],
    ['  ;  ', /the query is empty/],
    ['SELEC 1', /SQL error: .*Parser Error: syntax error at or near "SELEC"/],
  ])('refuses %j', async (sql, message) => {
    await expect(runReadOnly(engine, sql)).rejects.toMatchObject({ code: 'QUERY_INVALID', message: expect.stringMatching(message) });
    // still intact afterwards
    expect((await runReadOnly(engine, 'SELECT count(*) AS n FROM pins')).rows).toEqual([{ n: 8 }]);
  });

  test('files outside the lake cannot be read', async () => {
    await expect(runReadOnly(engine, "SELECT * FROM read_text('/etc/hostname')")).rejects.toMatchObject({
      code: 'QUERY_INVALID',
      message: expect.stringMatching(/Permission Error/),
    });
  });

  test('--metric ... --source lake computes what batch-run stored', async () => {
    for (const id of ['Q1', 'Q3a', 'Q5', 'Q8']) {
      const r = await metricFromLake(cfg, lake, historical(id), { workers: 0 });
      expect(r.columns).toEqual(historical(id).spec.columns.map(([c]) => c));
      expect(r.rows).toEqual(await store.select(historical(id).spec));
    }
    for (const id of ['R1', 'R2', 'R3', 'R4', 'R5']) {
      const r = await metricFromLake(cfg, lake, realtimeMetric(id), { workers: 0 });
      expect(r.columns).toEqual(realtimeMetric(id).batchSpec.columns.map(([c]) => c));
      expect(r.rows).toEqual(await store.select(realtimeMetric(id).batchSpec));
    }
  });
});
