/**
 * batch-run over the hand-made raw zone of test/fixtures/batch-lake.ts, with the real local lake
 * and embedded store. Every expected value below is worked out by hand from the fixture:
 *
 * After both days, the curated rows (latest per ind across days) joined on ind are
 *   ind 1: travel, Ann, 3000,    Chile, posted 2019, 18-24,    joined 2016  (pin p1c of day 2)
 *   ind 2: diy,    Bob, 3000,    Chile, posted 2020, 25-35,    joined 2016  (re-post p2b)
 *   ind 3: travel, —,   500,     Peru,  posted 2020, 25-35,    joined 2017  (g3z: same instant, larger event_id)
 *   ind 4: travel, Dan, 2000000, Peru,  posted 2017, 50+,      joined 2014
 *   ind 5: diy,    Eve, —,       Peru,  posted 2023, under-18, joined 2020  (2021-01-01T01:00+02:00 is 2020 in UTC)
 *   ind 7: art,    Gus, 900,     Peru,  posted 2021, 36-50,    joined 2018
 * (ind 6 and 10 have no geo/user, ind 9 no pin.)
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { LEDGER, QUALITY, type Row } from '../../src/core/tables.js';
import { BUILTIN, HISTORICAL_IDS, historical } from '../support/metrics.js';
import { runBatch, type BatchOptions } from '../../src/pipeline/batch-run/runner.js';
import { DAY1, DAY2, markDay, writeFixtureLake } from '../fixtures/batch-lake.js';
import { rowsOfFiles } from '../support/parquet-rows.js';

let cfg: Config;
let lake: LocalLake;
let store: EmbeddedStore;

beforeEach(() => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-batch-')) } });
  writeFixtureLake(path.join(cfg.dataDir, 'lake'));
  lake = new LocalLake(cfg);
  store = new EmbeddedStore(cfg);
});

afterEach(async () => {
  await store.close();
  rmSync(cfg.dataDir, { recursive: true, force: true });
});

const batch = (opts: BatchOptions = {}) => runBatch({ cfg, lake, store, logger: silentLogger, metrics: BUILTIN }, { workers: 0, ...opts });
const t1 = (hm: string) => `${DAY1}T${hm}:00.000Z`;
const t2 = (hm: string) => `${DAY2}T${hm}:00.000Z`;

/** Rows of a SQL statement over one curated Parquet file (`FILE` stands for it). */
async function parquetSql(sql: string, table: string, day: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const file = path.join(cfg.dataDir, 'lake', 'curated', table, `dt=${day}`, 'part-0.parquet');
    const r = await conn.runAndReadAll(sql.replace('FILE', `read_parquet('${file}', hive_partitioning = false)`));
    return r
      .getRowObjectsJS()
      .map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v])));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
const parquet = (table: string, day: string) => parquetSql('SELECT * FROM FILE ORDER BY ind', table, day);
const parquetTypes = async (table: string, day: string) =>
  (await parquetSql('DESCRIBE SELECT * FROM FILE', table, day)).map((o) => `${o.column_name} ${o.column_type}`);

const DAY1_R = {
  R1: [
    { minute: t1('10:00'), category: 'art', postings: 2, final: true }, // p1 (its retry counts once), p2
    { minute: t1('10:00'), category: 'travel', postings: 2, final: true }, // p3, p4
    { minute: t1('10:01'), category: 'diy', postings: 3, final: true }, // p5, p6 (partition 0 copy), p2b
  ],
  R2: [
    { minute: t1('10:00'), country: 'Chile', postings: 3, final: true }, // p1–g1, p2–g2, p3–g3 (Δ 30 s, tie with g3z → smaller event_id)
    { minute: t1('10:00'), country: 'Peru', postings: 1, final: true }, // p4: g4-a (+1 s, Peru) and g4-b (−1 s, Japan) tie → the smaller event_id g4-a
    { minute: t1('10:01'), country: 'Chile', postings: 1, final: true }, // p2b–g2b (g2 is 78 s away); p5 (g5 38 s away) and p6 unmatched
  ],
  R3: [
    { minute: t1('10:00'), age_group: '18-24', postings: 1, final: true },
    { minute: t1('10:00'), age_group: '25-35', postings: 2, final: true },
    { minute: t1('10:00'), age_group: '50+', postings: 1, final: true },
    { minute: t1('10:01'), age_group: '25-35', postings: 1, final: true },
    { minute: t1('10:01'), age_group: 'under-18', postings: 1, final: true },
  ],
  R4: [
    { minute: t1('10:00'), distinct_posters: 4, final: true }, // Ann Lee, Bob Ray, Cy Dee, Dan Fox
    { minute: t1('10:01'), distinct_posters: 2, final: true }, // Eve Gold, Bob Ray (u1's retry does not count, u9 has no name)
  ],
  R5: [
    { minute: t1('10:00'), images: 2, videos: 1, stories: 1, mean_follower_count: 500725, final: true }, // (1500 + 900 + 500 + 2000000) / 4
    { minute: t1('10:01'), images: 1, videos: 1, stories: 0, mean_follower_count: 1505, final: true }, // (10 + 3000) / 2; p5 has neither
  ],
};

const DAY2_R = {
  R1: [
    { minute: t2('00:00'), category: 'art', postings: 1, final: true },
    { minute: t2('09:00'), category: '', postings: 1, final: true }, // blank category → null → ''
    { minute: t2('09:00'), category: 'travel', postings: 1, final: true },
  ],
  R2: [{ minute: t2('00:00'), country: 'Peru', postings: 1, final: true }], // p7's geo g7 is in day 1's last hour (20 s before)
  R3: [{ minute: t2('00:00'), age_group: '36-50', postings: 1, final: true }],
  R4: [{ minute: t2('00:00'), distinct_posters: 1, final: true }],
  R5: [
    { minute: t2('00:00'), images: 1, videos: 0, stories: 0, mean_follower_count: 900, final: true },
    { minute: t2('09:00'), images: 2, videos: 0, stories: 0, mean_follower_count: 1506, final: true }, // (3000 + 12) / 2
  ],
};

const Q_BOTH_DAYS: Record<string, Row[]> = {
  Q1: [
    { country: 'Chile', category: 'diy', category_count: 1 },
    { country: 'Chile', category: 'travel', category_count: 1 },
    { country: 'Peru', category: 'travel', category_count: 2 },
  ],
  Q2: [
    { post_year: 2019, category: 'travel', category_count: 1 },
    { post_year: 2020, category: 'diy', category_count: 1 },
    { post_year: 2020, category: 'travel', category_count: 1 },
    { post_year: 2021, category: 'art', category_count: 1 },
  ],
  Q3a: [
    { country: 'Chile', poster_name: 'Ann', follower_count: 3000 },
    { country: 'Chile', poster_name: 'Bob', follower_count: 3000 },
    { country: 'Peru', poster_name: 'Dan', follower_count: 2000000 },
  ],
  Q3b: [{ country: 'Peru', follower_count: 2000000 }],
  Q4: [
    { age_group: '18-24', category: 'travel', category_count: 1 },
    { age_group: '25-35', category: 'diy', category_count: 1 },
    { age_group: '25-35', category: 'travel', category_count: 1 },
    { age_group: '36-50', category: 'art', category_count: 1 },
    { age_group: '50+', category: 'travel', category_count: 1 },
    { age_group: 'under-18', category: 'diy', category_count: 1 },
  ],
  Q5: [
    { age_group: '18-24', median_follower_count: 3000 },
    { age_group: '25-35', median_follower_count: 500 }, // [500, 3000]: the lower median
    { age_group: '36-50', median_follower_count: 900 },
    { age_group: '50+', median_follower_count: 2000000 },
  ],
  Q6: [
    { join_year: 2016, number_users_joined: 2 },
    { join_year: 2017, number_users_joined: 1 },
    { join_year: 2018, number_users_joined: 1 },
    { join_year: 2020, number_users_joined: 1 },
  ],
  Q7: [
    { join_year: 2016, median_follower_count: 3000 },
    { join_year: 2017, median_follower_count: 500 },
    { join_year: 2018, median_follower_count: 900 },
  ],
  Q8: [
    { age_group: '18-24', join_year: 2016, median_follower_count: 3000 },
    { age_group: '25-35', join_year: 2016, median_follower_count: 3000 },
    { age_group: '25-35', join_year: 2017, median_follower_count: 500 },
    { age_group: '36-50', join_year: 2018, median_follower_count: 900 },
  ],
};

async function rOf(day: string): Promise<Record<string, Row[]>> {
  const range = { column: 'minute', from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.999Z` };
  const out: Record<string, Row[]> = {};
  for (const m of BUILTIN.realtime) out[m.id] = await store.select(m.batchSpec, undefined, range);
  return out;
}

async function allHistorical(): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const m of BUILTIN.historical) out[m.id] = await store.select(m.spec);
  return out;
}

describe('batch-run', () => {
  test('default run: only the complete day, curated + R1–R5 + quality + ledger; a second run has nothing to do', async () => {
    const s = await batch();
    expect(s.days.map((d) => [d.day, d.status, d.raw_records, d.curated_rows, d.dead, d.unmatched_geo, d.unmatched_user])).toEqual([
      [DAY1, 'done', 26, 18, 0, 2, 1],
    ]);
    expect(s.failed).toBe(0);
    expect(await rOf(DAY1)).toEqual(DAY1_R);
    expect(await store.select(QUALITY)).toEqual([
      { day: DAY1, field: 'follower_count', issues: 1 },
      { day: DAY1, field: 'is_image_or_video', issues: 1 },
    ]);
    const ledger = await store.select(LEDGER);
    expect(ledger).toEqual([
      {
        day: DAY1,
        status: 'done',
        started_at: expect.any(String),
        finished_at: expect.any(String),
        raw_records: 26,
        curated_rows: 18,
        message: 'dead 0; unmatched geo 2, user 1',
        reason: 'new',
        complete: true,
        raw_objects: 5,
        raw_fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
    ]);
    // day 1 alone: ind 1 is still the art pin p1, so Chile ties art/diy
    expect(await store.select(historical('Q1').spec)).toEqual([
      { country: 'Chile', category: 'art', category_count: 1 },
      { country: 'Chile', category: 'diy', category_count: 1 },
      { country: 'Peru', category: 'travel', category_count: 2 },
    ]);

    const again = await batch();
    expect(again.days).toEqual([]);
    expect(await store.select(LEDGER)).toEqual(ledger);
  });

  test('curated Parquet of day 1: contract column names and types, de-duplicated, one row per ind', async () => {
    await batch({ date: DAY1 });
    expect(await parquetTypes('pins', DAY1)).toEqual([
      'ind BIGINT',
      'unique_id VARCHAR',
      'title VARCHAR',
      'description VARCHAR',
      'poster_name VARCHAR',
      'follower_count BIGINT',
      'tag_list VARCHAR[]',
      'media_type VARCHAR',
      'image_src VARCHAR',
      'downloaded BOOLEAN',
      'save_location VARCHAR',
      'category VARCHAR',
      'event_id VARCHAR',
      'ingested_at TIMESTAMP',
    ]);
    expect(await parquetTypes('geo', DAY1)).toEqual([
      'ind BIGINT',
      'timestamp TIMESTAMP',
      'latitude DOUBLE',
      'longitude DOUBLE',
      'coordinates DOUBLE[]',
      'country VARCHAR',
      'event_id VARCHAR',
      'ingested_at TIMESTAMP',
    ]);
    expect(await parquetTypes('users', DAY1)).toEqual([
      'ind BIGINT',
      'user_name VARCHAR',
      'age INTEGER',
      'age_group VARCHAR',
      'date_joined TIMESTAMP',
      'event_id VARCHAR',
      'ingested_at TIMESTAMP',
    ]);

    const pins = await parquet('pins', DAY1);
    expect(pins.map((p) => [p.ind, p.event_id, p.category, p.follower_count, p.media_type, p.poster_name])).toEqual([
      [1, 'p1', 'art', 1500, 'image', 'Ann'],
      [2, 'p2b', 'diy', 3000, 'video', 'Bob'],
      [3, 'p3', 'travel', 500, 'story', null],
      [4, 'p4', 'travel', 2000000, 'image', 'Dan'],
      [5, 'p5', 'diy', null, null, 'Eve'],
      [6, 'p6', 'diy', 10, 'image', 'Fay'],
    ]);
    expect(pins[0]).toMatchObject({
      unique_id: expect.stringMatching(/^00000000-/),
      title: 'Pin 1',
      description: null,
      tag_list: ['red', 'blue', 'green'],
      image_src: 'https://i.example/1.jpg',
      downloaded: true,
      save_location: '/data/art',
      ingested_at: `${DAY1}T10:00:05.000Z`,
    });
    const geo = await parquet('geo', DAY1);
    expect(geo.map((g) => [g.ind, g.event_id, g.country, g.timestamp])).toEqual([
      [1, 'g1', 'Chile', '2019-05-01T12:00:00.000Z'],
      [2, 'g2b', 'Chile', '2020-01-01T00:00:00.000Z'],
      [3, 'g3z', 'Peru', '2020-06-01T00:00:00.000Z'],
      [4, 'g4-a', 'Peru', '2017-12-31T23:59:59.000Z'],
      [5, 'g5', 'Peru', '2023-01-01T00:00:00.000Z'],
      [7, 'g7', 'Peru', '2021-02-02T00:00:00.000Z'],
    ]);
    expect(geo[0]).toMatchObject({ latitude: -12.5, longitude: 77.25, coordinates: [-12.5, 77.25] });
    const users = await parquet('users', DAY1);
    expect(users.map((u) => [u.ind, u.event_id, u.user_name, u.age, u.age_group, u.date_joined, u.ingested_at])).toEqual([
      [1, 'u1', 'Ann Lee', 20, '18-24', '2016-03-01T00:00:00.000Z', `${DAY1}T10:00:07.000Z`], // the first copy of u1
      [2, 'u2b', 'Bob Ray', 30, '25-35', '2016-07-01T00:00:00.000Z', `${DAY1}T10:01:31.000Z`],
      [3, 'u3', 'Cy Dee', 30, '25-35', '2017-01-01T00:00:00.000Z', `${DAY1}T10:00:16.000Z`],
      [4, 'u4', 'Dan Fox', 55, '50+', '2014-12-31T23:59:59.000Z', `${DAY1}T10:00:42.000Z`],
      [5, 'u5', 'Eve Gold', 16, 'under-18', '2020-12-31T23:00:00.000Z', `${DAY1}T10:01:03.000Z`],
      [9, 'u9', null, 33, '25-35', '2019-01-01T00:00:00.000Z', `${DAY1}T10:01:50.000Z`],
    ]);
  });

  test('forced incomplete day 2: dead records counted, margin join, Q1–Q8 over both days', async () => {
    await batch();
    const s = await batch({ date: DAY2 });
    expect(s.days.map((d) => [d.day, d.status, d.raw_records, d.curated_rows, d.dead, d.unmatched_geo, d.unmatched_user])).toEqual([
      [DAY2, 'done', 6, 4, 2, 2, 2],
    ]);
    expect(s.days[0]!.dead_reasons).toEqual({
      'line is not valid JSON': 1,
      'invalid geo record: timestamp must be a date-time like "2020-08-28 03:52:47" or ISO 8601 (UTC)': 1,
    });
    expect(await rOf(DAY2)).toEqual(DAY2_R);
    expect(await rOf(DAY1)).toEqual(DAY1_R); // untouched
    expect(await allHistorical()).toEqual(Q_BOTH_DAYS);
    expect((await store.select(LEDGER)).map((r) => [r.day, r.status])).toEqual([
      [DAY1, 'done'],
      [DAY2, 'done'],
    ]);
    expect(await store.select(QUALITY, { day: DAY2 })).toEqual([]);
  });

  test('backfill range: every day with raw data; re-running gives identical results', async () => {
    const s = await batch({ from: '2026-11-01', to: '2026-11-30' });
    expect(s.days.map((d) => d.day)).toEqual([DAY1, DAY2]);
    const snapshot = async () => ({
      r1: await rOf(DAY1),
      r2: await rOf(DAY2),
      q: await allHistorical(),
      quality: await store.select(QUALITY),
      // the curated files' rows (in no particular order within a file)
      files: await rowsOfFiles(
        cfg,
        ['pins', 'geo', 'users'].flatMap((t) => [DAY1, DAY2].map((d) => path.join(cfg.dataDir, 'lake', 'curated', t, `dt=${d}`, 'part-0.parquet'))),
      ),
    });
    const first = await snapshot();
    expect(first.q).toEqual(Q_BOTH_DAYS);
    expect(first.r1).toEqual(DAY1_R);
    expect(first.r2).toEqual(DAY2_R);
    const again = await batch({ from: DAY1, to: DAY2 });
    expect(again.days.map((d) => [d.day, d.status])).toEqual([
      [DAY1, 'done'],
      [DAY2, 'done'],
    ]);
    expect(await snapshot()).toEqual(first);
    expect((await batch({ from: '2026-11-22' })).days).toEqual([]);
    expect((await batch({ to: DAY1 })).days.map((d) => d.day)).toEqual([DAY1]);
  });

  test('a failing day is marked failed with the reason and leaves its previous results in place', async () => {
    await batch({ from: DAY1, to: DAY2 });
    const curated = path.join(cfg.dataDir, 'lake', 'curated', 'pins', `dt=${DAY2}`, 'part-0.parquet');
    const before = readFileSync(curated);
    writeFileSync(path.join(cfg.dataDir, 'lake', 'raw', 'pin', `dt=${DAY2}`, 'hr=09', 'pin+0+0000000009.ndjson.gz'), 'not gzip at all');
    const s = await batch({ date: DAY2 });
    expect(s.failed).toBe(1);
    expect(s.days).toEqual([
      { day: DAY2, status: 'failed', reason: 'forced', seconds: expect.any(Number), message: expect.stringMatching(/header|gzip|check/i) },
    ]);
    const ledger = await store.select(LEDGER, { day: DAY2 });
    expect(ledger).toEqual([
      {
        day: DAY2,
        status: 'failed',
        started_at: expect.any(String),
        finished_at: expect.any(String),
        raw_records: null,
        curated_rows: null,
        message: s.days[0]!.message,
        reason: 'forced',
        complete: false,
        raw_objects: expect.any(Number),
        raw_fingerprint: expect.any(String),
      },
    ]);
    expect(readFileSync(curated).equals(before)).toBe(true);
    expect(await rOf(DAY2)).toEqual(DAY2_R);
    expect(await allHistorical()).toEqual(Q_BOTH_DAYS);
    // once complete, a default run retries the day (failed is not done)
    markDay(path.join(cfg.dataDir, 'lake'), 'user', DAY2);
    expect((await batch()).days.map((d) => [d.day, d.status])).toEqual([[DAY2, 'failed']]);
  });

  test('an empty lake: nothing to do, and an empty store stays empty', async () => {
    rmSync(path.join(cfg.dataDir, 'lake', 'raw'), { recursive: true, force: true });
    const s = await batch();
    expect(s).toMatchObject({ days: [], raw_records: 0, curated_rows: 0, dead: 0, failed: 0, historical: {} });
    expect(await store.select(LEDGER)).toEqual([]);
    const forced = await batch({ date: DAY1 });
    expect(forced.days.map((d) => [d.day, d.status, d.raw_records, d.curated_rows])).toEqual([[DAY1, 'done', 0, 0]]);
    expect(await allHistorical()).toEqual(Object.fromEntries(HISTORICAL_IDS.map((k) => [k, []])));
  });
});
