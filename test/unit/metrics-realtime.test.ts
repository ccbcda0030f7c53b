/**
 * R1–R5 SQL (src/engine/metrics/realtime.ts) over small de-duplicated record tables, expected
 * rows worked out by hand: the join window edge (inclusive), the closest partner, ties by the
 * smaller event_id, partners in other minutes, null keys as '', distinct names, means.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.js';
import { openEngine, type Engine } from '../../src/engine/duckdb.js';
import { pinMatchesSql, unmatchedSql, type RealtimeInputs } from '../../src/engine/metrics/index.js';
import { computeRealtimeRange } from '../../src/pipeline/batch-run/curate.js';
import { BUILTIN, realtimeMetric } from '../support/metrics.js';

let cfg: Config;
let engine: Engine;
const T = (s: string) => `2026-11-20 ${s}`;
const M = (hm: string) => `2026-11-20T${hm}:00.000Z`;

beforeAll(async () => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-rsql-')) } });
  engine = await openEngine(cfg, { threads: 1, memoryLimit: '256MB' });
  await engine.run('CREATE TABLE d_pin (event_id VARCHAR, ind BIGINT, ingested_at TIMESTAMP, category VARCHAR, media_type VARCHAR, follower_count BIGINT)');
  await engine.run('CREATE TABLE d_geo (event_id VARCHAR, ind BIGINT, ingested_at TIMESTAMP, country VARCHAR)');
  await engine.run('CREATE TABLE d_user (event_id VARCHAR, ind BIGINT, ingested_at TIMESTAMP, age_group VARCHAR, user_name VARCHAR)');
  const pins: [string, number, string, string | null, string | null, number | null][] = [
    ['a', 1, '10:00:00.000', 'art', 'image', 10],
    ['b', 2, '10:00:10.000', 'art', 'video', null],
    ['c', 3, '10:00:20.000', null, 'story', 21],
    ['d', 4, '10:00:59.999', 'diy', null, 4],
    ['e', 5, '10:01:00.000', 'diy', 'image', null],
    ['f', 6, '10:02:00.000', 'art', 'image', 1], // outside [from, to) when the range ends at 10:02
  ];
  for (const [e, ind, t, c, m, f] of pins) await engine.run('INSERT INTO d_pin VALUES ($1, $2, CAST($3 AS TIMESTAMP), $4, $5, $6)', [e, ind, T(t), c, m, f]);
  const geos: [string, number, string, string | null][] = [
    ['g1', 1, '10:00:30.000', 'Chile'], // +30.000 s: inside (inclusive)
    ['g2', 2, '10:00:40.001', 'Chile'], // +30.001 s: outside → pin b unmatched
    ['g3x', 3, '10:00:15.000', 'Peru'], // −5 s
    ['g3w', 3, '10:00:25.000', 'Japan'], // +5 s: tie with g3x, smaller event_id wins → Japan
    ['g3a', 3, '10:00:10.000', 'France'], // −10 s: farther
    ['g4', 4, '10:01:20.000', null], // +20.001 s, next minute: the pin's minute counts; null country → ''
    ['g5', 5, '10:00:31.000', 'Peru'], // −29 s
    ['g5b', 5, '10:00:31.000', 'Chile'], // same instant: smaller event_id g5 → Peru
  ];
  for (const [e, ind, t, c] of geos) await engine.run('INSERT INTO d_geo VALUES ($1, $2, CAST($3 AS TIMESTAMP), $4)', [e, ind, T(t), c]);
  const users: [string, number, string, string, string | null][] = [
    ['u1', 1, '09:59:31.000', '18-24', 'Ann Lee'], // −29 s, previous minute: counts in R4 at 09:59
    ['u3', 3, '10:00:20.000', '25-35', 'Cy Dee'],
    ['u4', 4, '10:00:50.000', '50+', 'Ann Lee'],
    ['u9', 9, '10:00:55.000', '25-35', null],
    ['u5', 5, '10:01:10.000', 'under-18', null],
  ];
  for (const [e, ind, t, a, n] of users) await engine.run('INSERT INTO d_user VALUES ($1, $2, CAST($3 AS TIMESTAMP), $4, $5)', [e, ind, T(t), a, n]);
});

afterAll(() => {
  engine.close();
  rmSync(cfg.dataDir, { recursive: true, force: true });
});

const inputs: RealtimeInputs = {
  pin: 'd_pin',
  geo: 'd_geo',
  user: 'd_user',
  joinWindowMs: 30_000,
  from: Date.parse('2026-11-20T09:00:00Z'),
  to: Date.parse('2026-11-20T10:02:00Z'),
};
/** a built-in metric's file, computed the batch way (its plan in SQL over the pin matches) */
const r = async (id: string, i: RealtimeInputs = inputs) => (await computeRealtimeRange(engine, i, [realtimeMetric(id)])).results[0]!.rows;

describe('R1–R5 with the stream semantics', () => {
  test('R1: postings per minute and category; null category as ""; range half-open', async () => {
    expect(await r('R1')).toEqual([
      { minute: M('10:00'), category: '', postings: 1, final: true },
      { minute: M('10:00'), category: 'art', postings: 2, final: true },
      { minute: M('10:00'), category: 'diy', postings: 1, final: true },
      { minute: M('10:01'), category: 'diy', postings: 1, final: true },
    ]);
  });

  test('R2: closest geo within ±30 s inclusive, ties by the smaller event_id', async () => {
    // a→g1 (Chile, +30 s), b unmatched (+30.001 s), c→g3w (Japan; tie with g3x), d→g4 (null → ''), e→g5 (Peru)
    expect(await r('R2')).toEqual([
      { minute: M('10:00'), country: '', postings: 1, final: true },
      { minute: M('10:00'), country: 'Chile', postings: 1, final: true },
      { minute: M('10:00'), country: 'Japan', postings: 1, final: true },
      { minute: M('10:01'), country: 'Peru', postings: 1, final: true },
    ]);
  });

  test('R3: closest user; pins without a user partner are not counted', async () => {
    // a→u1 (−29 s), b none, c→u3 (0 s), d→u4 (−9.999 s), e→u5 (+10 s)
    expect(await r('R3')).toEqual([
      { minute: M('10:00'), age_group: '18-24', postings: 1, final: true },
      { minute: M('10:00'), age_group: '25-35', postings: 1, final: true },
      { minute: M('10:00'), age_group: '50+', postings: 1, final: true },
      { minute: M('10:01'), age_group: 'under-18', postings: 1, final: true },
    ]);
    expect(await engine.all(unmatchedSql(inputs))).toEqual([{ unmatched_geo: 1, unmatched_user: 1 }]);
  });

  test('R4: distinct non-null user names per minute of the user records', async () => {
    expect(await r('R4')).toEqual([
      { minute: M('09:59'), distinct_posters: 1, final: true },
      { minute: M('10:00'), distinct_posters: 2, final: true }, // Cy Dee, Ann Lee (u9 has no name)
      { minute: M('10:01'), distinct_posters: 0, final: true }, // only u5, without a name
    ]);
  });

  test('R5: media mix and the exact mean of non-null follower counts', async () => {
    expect(await r('R5')).toEqual([
      { minute: M('10:00'), images: 1, videos: 1, stories: 1, mean_follower_count: 35 / 3, final: true }, // (10 + 21 + 4) / 3
      { minute: M('10:01'), images: 1, videos: 0, stories: 0, mean_follower_count: null, final: true },
    ]);
  });

  test('one pin_matches for all five gives the same rows; another join window changes R2', async () => {
    const all = await computeRealtimeRange(engine, inputs, BUILTIN.realtime);
    for (const res of all.results) expect(res.rows).toEqual(await r(res.metric.id));
    expect([all.unmatchedGeo, all.unmatchedUser]).toEqual([1, 1]);
    // with a 40 s window pin b finds g2 (+30.001 s) and pin a still g1
    expect(await r('R2', { ...inputs, joinWindowMs: 40_000 })).toEqual([
      { minute: M('10:00'), country: '', postings: 1, final: true },
      { minute: M('10:00'), country: 'Chile', postings: 2, final: true },
      { minute: M('10:00'), country: 'Japan', postings: 1, final: true },
      { minute: M('10:01'), country: 'Peru', postings: 1, final: true },
    ]);
    // without a range every minute is in (pin f at 10:02 has no partners)
    expect(await r('R1', { ...inputs, from: undefined, to: undefined })).toContainEqual({ minute: M('10:02'), category: 'art', postings: 1, final: true });
  });

  test("the caller's relations of repeated inds: an empty one leaves the general matching out, with the same rows", async () => {
    await engine.run('CREATE OR REPLACE TABLE r_geo AS SELECT ind FROM d_geo GROUP BY ind HAVING count(*) > 1');
    await engine.run('CREATE OR REPLACE TABLE r_user AS SELECT ind FROM d_user GROUP BY ind HAVING count(*) > 1');
    expect((await engine.all('SELECT ind FROM r_geo ORDER BY ind')).map((x) => x.ind)).toEqual([3, 5]);
    expect(await engine.all('SELECT count(*) AS n FROM r_user')).toEqual([{ n: 0 }]);
    const plain = await computeRealtimeRange(engine, inputs, BUILTIN.realtime);
    const known = await computeRealtimeRange(engine, { ...inputs, repeated: { geo: 'r_geo', user: 'r_user' } }, BUILTIN.realtime);
    const rowsOf = (x: typeof plain) => ({ ...x, results: x.results.map((res) => ({ id: res.metric.id, rows: res.rows })) });
    expect(rowsOf(known)).toEqual(rowsOf(plain));
    expect(known.results.find((x) => x.metric.id === 'R3')!.rows).toHaveLength(4);

    const cols = { pin: ['category'], geo: ['country'], user: ['age_group'] };
    const ctes = (sql: string) => [...sql.matchAll(/\b([a-z]_[a-z]+|p) AS( MATERIALIZED)? \(/g)].map((m) => m[1] + (m[2] ?? ''));
    expect(ctes(pinMatchesSql({ ...inputs, repeated: { geo: 'r_geo', user: null } }, cols))).toEqual([
      'p MATERIALIZED',
      'n_geo MATERIALIZED',
      's_geo',
      'q_geo',
      'm_geo',
      's_user',
    ]);
    const simple = pinMatchesSql({ ...inputs, repeated: { geo: null, user: null } }, cols);
    expect(ctes(simple)).toEqual(['p', 's_geo', 's_user']);
    expect(simple).not.toContain('row_number');
    // only the columns asked for (no event_id: materializing strings nobody reads cost most of the relation)
    const got = await engine.all(`SELECT * FROM (${simple}) WHERE p_category = 'diy' ORDER BY ingested_at, g_country`);
    expect(got[0]).toEqual({
      ingested_at: '2026-11-20T10:00:59.999Z',
      p_category: 'diy',
      geo_matched: true,
      g_country: null,
      user_matched: true,
      u_age_group: '50+',
    });
    // null is the caller's word that no ind repeats: pin e (ind 5, two geo records) would get a row per partner
    expect(got.slice(1).map((x) => x.g_country)).toEqual(['Chile', 'Peru']);
  });

  test('dropUnread: the metrics of one record type first, then their columns leave the tables before the join; the same rows', async () => {
    for (const t of ['pin', 'geo', 'user']) await engine.run(`CREATE OR REPLACE TEMP TABLE c_${t} AS SELECT * FROM d_${t}`);
    const copies = { ...inputs, pin: 'c_pin', geo: 'c_geo', user: 'c_user' };
    const rowsOf = (x: { results: { metric: { id: string }; rows: unknown[] }[] }) => x.results.map((res) => [res.metric.id, res.rows]);
    const dropped = await computeRealtimeRange(engine, copies, BUILTIN.realtime, { dropUnread: true });
    expect(rowsOf(dropped)).toEqual(rowsOf(await computeRealtimeRange(engine, inputs, BUILTIN.realtime)));
    const columns = async (t: string) =>
      (await engine.all(`SELECT column_name FROM duckdb_columns() WHERE table_name = '${t}' ORDER BY column_index`)).map((r) => r.column_name);
    // R1 (category) and R5 (media_type, follower_count) read d_pin alone, R4 (user_name) d_user: gone; R2 and R3 read country and age_group
    expect(await columns('c_pin')).toEqual(['event_id', 'ind', 'ingested_at']);
    expect(await columns('c_geo')).toEqual(['event_id', 'ind', 'ingested_at', 'country']);
    expect(await columns('c_user')).toEqual(['event_id', 'ind', 'ingested_at', 'age_group']);
  });
});
